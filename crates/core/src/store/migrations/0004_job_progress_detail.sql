-- 0004_job_progress_detail: what a running job reports besides its fraction done, so an app that
-- restarts (or a second process, such as `littlemonster jobs list`) can show it: the seconds of
-- media processed so far and a short message ("chunk 3 of 12").
ALTER TABLE jobs ADD COLUMN progress_seconds REAL
    CHECK (progress_seconds IS NULL OR progress_seconds >= 0);
ALTER TABLE jobs ADD COLUMN progress_message TEXT;
