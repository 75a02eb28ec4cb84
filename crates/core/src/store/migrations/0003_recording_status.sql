-- 0003_recording_status: lectures gain the status 'recording', held while the microphone is
-- capturing into recordings/ (a lecture left in it after a crash is repaired on the next start).
--
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt the way the SQLite manual's
-- "Making Other Kinds Of Table Schema Changes" describes: create the new table, copy the rows,
-- drop the old table, rename the new one into place, recreate its indexes and triggers. This runs
-- inside the migration's transaction with foreign_keys OFF (Store::open enables them only after
-- migrating), so dropping the old table neither cascades into transcript_segments, chunks and
-- notes nor breaks their REFERENCES lectures (id), which point at the renamed table by name; the
-- migration runner's foreign_key_check then proves every reference still resolves. change_seq is
-- copied as it was: nothing changed for sync peers.
--
-- Unlike an ALTER TABLE, a rebuild would succeed a second time. Two processes opening a new
-- library at once can both try this migration (the runner reads the version before it waits for
-- the write lock), and a second run would set the version back to 3 over a newer schema; this
-- marker row makes a second run fail, which the runner treats as "already applied".
INSERT INTO store_meta (key, value) VALUES ('0003_recording_status', 'applied');

CREATE TABLE lectures_new (
    id          TEXT PRIMARY KEY,
    class_id    TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    media_path  TEXT NOT NULL,
    media_hash  TEXT NOT NULL,
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    status      TEXT NOT NULL DEFAULT 'imported'
                CHECK (status IN ('recording', 'imported', 'transcribing', 'transcribed', 'indexed',
                                  'failed')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    change_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO lectures_new (id, class_id, title, media_path, media_hash, duration_ms, status,
                          created_at, updated_at, deleted_at, change_seq)
SELECT id, class_id, title, media_path, media_hash, duration_ms, status,
       created_at, updated_at, deleted_at, change_seq
FROM lectures;

DROP TABLE lectures;
ALTER TABLE lectures_new RENAME TO lectures;

CREATE INDEX lectures_by_class ON lectures (class_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX lectures_by_media_hash ON lectures (media_hash);
CREATE INDEX lectures_by_change ON lectures (change_seq);
CREATE TRIGGER lectures_stamp_insert AFTER INSERT ON lectures BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE lectures SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER lectures_stamp_update AFTER UPDATE ON lectures WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE lectures SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
-- Unfinished recordings are looked up on every start.
CREATE INDEX lectures_recording ON lectures (status) WHERE status = 'recording';
