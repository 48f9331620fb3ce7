-- The notification outbox: one row per notification to send, written in the
-- transaction of the change it tells of; its id makes each one unique (one
-- shopper notification per status change, one new-order email per order).
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    store_id        TEXT NOT NULL REFERENCES stores (id),
    order_id        TEXT REFERENCES orders (id),
    alert_id        TEXT,
    status          TEXT,
    previous_status TEXT,
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
);
