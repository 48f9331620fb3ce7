-- The tables written for every order and every webhook no longer declare
-- their store_id a foreign key of stores. Each such insert took a KEY SHARE
-- lock on the store's row while every order change updates that row (its
-- order update counter, migration 0013), so the row's versions carried
-- multixacts, which every reader of the store (each request, each webhook,
-- each send) then resolved: a fifth of PostgreSQL's CPU in the order burst.
-- Stores are never deleted, and each of these rows is written for a store
-- the service has just read; an order of a store that does not exist is
-- refused by the code (CreateOrder's log statement, which updates the
-- store's counter, finds no store; ImportOrders counts the store's orders
-- first). SQLite has one writer and keeps them.
ALTER TABLE orders DROP CONSTRAINT orders_store_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT notifications_store_id_fkey;
ALTER TABLE lightspeed_webhooks DROP CONSTRAINT lightspeed_webhooks_store_id_fkey;
ALTER TABLE lightspeed_customers DROP CONSTRAINT lightspeed_customers_store_id_fkey;
