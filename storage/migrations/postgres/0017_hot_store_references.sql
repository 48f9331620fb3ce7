-- The tables written for every order and every webhook no longer declare
-- their store_id a foreign key of stores. Each such insert took a KEY SHARE
-- lock on the store's row while every order change updates that row (its
-- order update counter, migration 0013), so the row's versions carried
-- multixacts, which every reader of the store (each request, each webhook,
-- each send) then resolved: a fifth of PostgreSQL's CPU in the order burst.
-- Stores are never deleted, and each of these rows is written for a store
-- the same transaction has read or locked (an order's insert logs its
-- creation with the UPDATE of the store's counter, which finds no store
-- and fails the change otherwise). SQLite has one writer and keeps them.
ALTER TABLE orders DROP CONSTRAINT orders_store_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT notifications_store_id_fkey;
ALTER TABLE lightspeed_webhooks DROP CONSTRAINT lightspeed_webhooks_store_id_fkey;
ALTER TABLE lightspeed_customers DROP CONSTRAINT lightspeed_customers_store_id_fkey;
