-- One row per process running jobs, beaten every few seconds: a running
-- job whose process stopped beating is handed back to the queue at once
-- (jobs/liveness.go) instead of when River's rescuer finds it stuck.
CREATE TABLE job_clients (
    id      TEXT PRIMARY KEY,
    seen_at TIMESTAMPTZ NOT NULL
);
