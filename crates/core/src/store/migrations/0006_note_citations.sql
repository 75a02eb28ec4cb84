-- Notes keep the sources their Markdown cites, and remember the local job that wrote them.
--
-- citations_json  the `[n]` markers of the Markdown mapped to chunks and their pages or lecture
--                 moments (a JSON array of citations, as messages and quiz questions store them);
-- source_job_id   the generating job on this device, unique, so a notes job resumed after a crash
--                 between storing its note and finishing finds the note instead of writing a
--                 second one. NULL for notes a student wrote or edited by hand.
ALTER TABLE notes ADD COLUMN citations_json TEXT
    CHECK (citations_json IS NULL OR json_valid(citations_json));
ALTER TABLE notes ADD COLUMN source_job_id TEXT;
CREATE UNIQUE INDEX notes_by_source_job ON notes (source_job_id) WHERE source_job_id IS NOT NULL;
