-- The order service's first schema: stores, menu items, orders with lines and
-- status history, alerts, and the event log subscribers catch up from.

CREATE TABLE stores (
    id                              TEXT PRIMARY KEY,
    name                            TEXT NOT NULL,
    time_zone                       TEXT NOT NULL,
    pickup_enabled                  BOOLEAN NOT NULL,
    delivery_enabled                BOOLEAN NOT NULL,
    advertising_subscription_active BOOLEAN NOT NULL,
    integration_enabled             BOOLEAN NOT NULL DEFAULT FALSE,
    integration_health              TEXT NOT NULL DEFAULT 'HEALTHY',
    alert_emails                    TEXT NOT NULL DEFAULT '[]',
    new_order_emails                TEXT NOT NULL DEFAULT '[]',
    created_at                      TIMESTAMPTZ NOT NULL,
    updated_at                      TIMESTAMPTZ NOT NULL
);

CREATE TABLE menu_items (
    id             TEXT PRIMARY KEY,
    store_id       TEXT NOT NULL REFERENCES stores (id),
    name           TEXT NOT NULL,
    sku            TEXT,
    pos_product_id TEXT NOT NULL,
    price_cents    BIGINT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX menu_items_store_product ON menu_items (store_id, pos_product_id);
CREATE INDEX menu_items_store_id ON menu_items (store_id, id);

CREATE TABLE orders (
    id                     TEXT PRIMARY KEY,
    store_id               TEXT NOT NULL REFERENCES stores (id),
    leafly_order_id        TEXT NOT NULL,
    status                 TEXT NOT NULL,
    fulfillment_method     TEXT NOT NULL,
    customer_first_name    TEXT NOT NULL,
    customer_last_name     TEXT NOT NULL,
    customer_email         TEXT,
    customer_phone         TEXT,
    customer_date_of_birth TEXT,
    delivery_address       TEXT,
    subtotal_cents         BIGINT NOT NULL,
    total_cents            BIGINT NOT NULL,
    has_government_id      BOOLEAN NOT NULL,
    cancel_reason          TEXT,
    pos_sync_state         TEXT NOT NULL,
    pos_sale_id            TEXT,
    pos_customer_id        TEXT,
    pos_attempts           INTEGER NOT NULL DEFAULT 0,
    pos_last_error         TEXT,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    UNIQUE (store_id, leafly_order_id)
);
CREATE INDEX orders_store_created ON orders (store_id, created_at DESC, id DESC);

CREATE TABLE order_lines (
    order_id                    TEXT NOT NULL REFERENCES orders (id),
    position                    INTEGER NOT NULL,
    menu_item_id                TEXT NOT NULL,
    name                        TEXT NOT NULL,
    quantity                    INTEGER NOT NULL,
    unit_price_cents            BIGINT NOT NULL,
    discounted_unit_price_cents BIGINT,
    deal_title                  TEXT,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE order_status_changes (
    id          BIGSERIAL PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    status      TEXT NOT NULL,
    source      TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_status_changes_order ON order_status_changes (order_id, id);

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores (id),
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    order_id    TEXT REFERENCES orders (id),
    raised_at   TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ
);
CREATE INDEX alerts_store ON alerts (store_id, raised_at DESC);

-- Every change subscribers hear of, in commit order, so a replica whose
-- listener reconnects can catch up on what it missed.
CREATE TABLE events (
    seq             BIGSERIAL PRIMARY KEY,
    store_id        TEXT NOT NULL,
    order_id        TEXT,
    alert_id        TEXT,
    previous_status TEXT,
    status          TEXT,
    source          TEXT,
    occurred_at     TIMESTAMPTZ NOT NULL
);
