-- The Lightspeed side of a store: its connection (tokens encrypted by the
-- service before they reach this table), the setup form, the menu sync, the
-- single-use OAuth states, and rate-limit blocks shared by replicas.

CREATE TABLE lightspeed_connections (
    store_id      TEXT PRIMARY KEY REFERENCES stores (id),
    auth_method   TEXT NOT NULL,
    domain_prefix TEXT NOT NULL,
    access_token  TEXT NOT NULL,
    refresh_token TEXT,
    expires_at    DATETIME,
    scope         TEXT,
    webhook_id    TEXT,
    webhook_token TEXT NOT NULL UNIQUE,
    connected_at  DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);

ALTER TABLE stores ADD COLUMN outlet_id TEXT;
ALTER TABLE stores ADD COLUMN register_id TEXT;
ALTER TABLE stores ADD COLUMN user_id TEXT;
ALTER TABLE stores ADD COLUMN payment_type_id TEXT;
ALTER TABLE stores ADD COLUMN menu_sync_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE stores ADD COLUMN menu_synced_at DATETIME;
ALTER TABLE stores ADD COLUMN menu_sync_error TEXT;
ALTER TABLE stores ADD COLUMN menu_sync_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE oauth_states (
    nonce      TEXT PRIMARY KEY,
    store_id   TEXT NOT NULL REFERENCES stores (id),
    expires_at DATETIME NOT NULL,
    used_at    DATETIME
);

CREATE TABLE lightspeed_rate_blocks (
    domain_prefix TEXT PRIMARY KEY,
    blocked_until DATETIME NOT NULL
);
