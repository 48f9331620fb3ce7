-- The highest sale version a webhook announced while the order's send was
-- still recording its sale (9223372036854775807: a webhook without a
-- version). The recording compares it with the version it records, instead
-- of each such webhook taking a job that waits for the send.
ALTER TABLE orders ADD COLUMN pos_webhook_version BIGINT NOT NULL DEFAULT 0;
