-- The support trail: every call to Lightspeed made for an order, so support
-- can answer "why is this order not in my POS?" without the logs.
CREATE TABLE lightspeed_calls (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    started_at  DATETIME NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    error       TEXT
);
CREATE INDEX lightspeed_calls_order ON lightspeed_calls (order_id, id);
