-- 0002_job_dedupe_key: lets the queue refuse a second active job for the same work (say, two
-- "transcribe lecture X" jobs after a double drop). A key is unique among queued and running jobs
-- only, so the same work can be queued again once the earlier job has ended.
ALTER TABLE jobs ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX jobs_active_dedupe_key ON jobs (dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');
