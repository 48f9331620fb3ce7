-- orderUpdated replays a store's updates after a cursor: read them by store
-- in seq order without scanning every store's events.
CREATE INDEX events_store_seq ON events (store_id, seq);
