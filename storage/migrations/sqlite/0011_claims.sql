-- Claims serialise the Lightspeed calls that must happen once (a token
-- refresh per connection, a customer per store and email) without holding a
-- transaction across them: a claim is taken and released in short
-- transactions and lapses at claim_until, so a crashed holder blocks no one.
ALTER TABLE lightspeed_connections ADD COLUMN claim_holder TEXT;
ALTER TABLE lightspeed_connections ADD COLUMN claim_until DATETIME;
ALTER TABLE lightspeed_customers ADD COLUMN claim_holder TEXT;
ALTER TABLE lightspeed_customers ADD COLUMN claim_until DATETIME;
