-- When a notification was handed to the job queue: after its first attempt,
-- made by the process that wrote it right after commit, failed, or by the
-- sweep when no attempt followed (that process stopped first). A row not
-- sent, never attempted and never queued is the sweep's to hand over.
ALTER TABLE notifications ADD COLUMN queued_at TIMESTAMPTZ;
