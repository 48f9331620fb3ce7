-- Status changes back from Lightspeed: the sale version last applied to
-- each order, each store's position in the sales change feed, and the raw
-- webhooks received (kept for support and replay).
ALTER TABLE orders ADD COLUMN pos_sale_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX orders_store_sale ON orders (store_id, pos_sale_id);
ALTER TABLE stores ADD COLUMN sales_cursor BIGINT NOT NULL DEFAULT 0;

CREATE TABLE lightspeed_webhooks (
    id          BIGSERIAL PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores (id),
    sale_id     TEXT,
    body        TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
