-- Each store's number of orders, kept by every insert, so an unfiltered
-- order list reads its totalCount without counting the store's orders.
ALTER TABLE stores ADD COLUMN order_count BIGINT NOT NULL DEFAULT 0;
UPDATE stores SET order_count = (SELECT COUNT(*) FROM orders WHERE orders.store_id = stores.id);
