-- Each store numbers its order updates 1, 2, 3… with no gap (events.store_seq)
-- from a counter on its row (stores.order_updates). The writing transaction
-- bumps the counter, which locks the row to its commit, so a store's updates
-- commit in number order and a subscriber that sees a number skip knows the
-- missing update is already in the log.
ALTER TABLE stores ADD COLUMN order_updates BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN store_seq BIGINT;
UPDATE events SET store_seq = numbered.n
FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY store_id ORDER BY seq) AS n
      FROM events WHERE order_id IS NOT NULL) AS numbered
WHERE events.seq = numbered.seq;
UPDATE stores SET order_updates = (SELECT COUNT(*) FROM events
                                   WHERE events.store_id = stores.id AND events.order_id IS NOT NULL);
