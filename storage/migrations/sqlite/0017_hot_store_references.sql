-- PostgreSQL's 0017 drops the foreign keys of stores from the tables written
-- for every order and webhook, whose key-share locks put multixacts on the
-- store's row. SQLite has one writer and no such locks: it keeps them. This
-- file keeps the two dialects' versions in step.
SELECT 1;
