-- What /metrics reads every few seconds: orders by posSync state and the
-- notifications not sent yet. Indexes keep those reads off a full scan of
-- tables that only grow.
CREATE INDEX orders_pos_sync_state ON orders (pos_sync_state);
CREATE INDEX notifications_unsent ON notifications (created_at) WHERE sent_at IS NULL;
