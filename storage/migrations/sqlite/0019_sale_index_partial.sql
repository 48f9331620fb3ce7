-- Orders are found by their sale (store_id, pos_sale_id) for every
-- webhook, but orders never sent to Lightspeed (imported history, orders
-- from before the integration) have no sale. Once ANALYZE has counted a
-- store's many orders of no sale as one value of the index, SQLite's
-- planner judged it useless and scanned every order for every webhook.
-- Indexing only the orders that have a sale keeps the index's statistics
-- to them. PostgreSQL's statistics count NULLs apart, so its index stays.
DROP INDEX orders_store_sale;
CREATE INDEX orders_store_sale ON orders (store_id, pos_sale_id) WHERE pos_sale_id IS NOT NULL;
