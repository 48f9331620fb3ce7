-- One row per process running jobs, beaten every few seconds: a running
-- job whose process stopped beating is handed back to the queue at once
-- (jobs/liveness.go) instead of when River's rescuer finds it stuck.
-- seen_at is in Unix seconds.
CREATE TABLE job_clients (
    id      TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
