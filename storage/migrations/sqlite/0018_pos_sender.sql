-- The process attempting an order's send right after the order's commit
-- (its job client id, as in job_clients), while it does: an order then
-- has no job in the queue. The column is cleared when the order is sent,
-- taken off the POS path, or handed to the job queue (the attempt failed,
-- or its process stopped beating: pos/sendnow.go). Orders still queued
-- from before this migration have their jobs already.
ALTER TABLE orders ADD COLUMN pos_sender TEXT;
CREATE INDEX orders_pos_sender ON orders (pos_sender) WHERE pos_sync_state = 'QUEUED' AND pos_sender IS NOT NULL;
