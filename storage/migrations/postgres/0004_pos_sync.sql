-- Sending orders to Lightspeed: why an order did not reach the POS, in a
-- machine-readable code; a problem that did not stop the sale (an address
-- Lightspeed refused); and the Lightspeed customer each shopper's email
-- matched, per store, so a returning shopper costs no lookup.
ALTER TABLE orders ADD COLUMN pos_error_code TEXT;
ALTER TABLE orders ADD COLUMN pos_warning TEXT;

CREATE TABLE lightspeed_customers (
    store_id    TEXT NOT NULL REFERENCES stores (id),
    email       TEXT NOT NULL,
    customer_id TEXT,
    PRIMARY KEY (store_id, email)
);
