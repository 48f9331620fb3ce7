-- One value sealed with ENCRYPTION_KEY when the database is first used, so
-- a start with another key is refused before it can seal tokens no other
-- replica can open (or fail to open the ones already kept).
CREATE TABLE key_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed TEXT NOT NULL
);
