-- Webhook replays: a body already kept for the store is a copy (the unique
-- hash makes the check atomic across replicas), and kept bodies are pruned
-- by age. Rows kept before this migration have no hash.
ALTER TABLE lightspeed_webhooks ADD COLUMN body_hash TEXT;
CREATE UNIQUE INDEX lightspeed_webhooks_store_body ON lightspeed_webhooks (store_id, body_hash);
CREATE INDEX lightspeed_webhooks_received ON lightspeed_webhooks (received_at);
