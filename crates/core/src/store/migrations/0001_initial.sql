-- 0001_initial: the first schema of a profile database (one SQLite file per profile).
--
-- SYNCED tables, replicated by the sync client:
--   profiles, classes, lectures, transcript_segments, documents, document_pages, conversations,
--   messages, notes, quizzes, quiz_questions, quiz_attempts, quiz_answers, flashcards, card_reviews.
-- Every synced table has
--   id          TEXT primary key, a UUIDv7 generated in Rust (stable across devices);
--   created_at, updated_at  milliseconds since the Unix epoch, set by Rust;
--   deleted_at  a tombstone: NULL while the row is alive. Synced rows are never hard-deleted by the
--               app; deleting sets deleted_at, and list queries skip tombstones;
--   change_seq  stamped by the triggers at the end of this file from the single-row change_counter
--               on every insert and every update (a tombstone is an update), so a sync client asks
--               "what changed since N" with `WHERE change_seq > N`. An update that sets change_seq
--               itself (a sync pull applying a remote row) is left as written.
--
-- LOCAL-ONLY tables, never synced, without the sync columns:
--   chunks, embeddings  derived from transcripts and pages by the index job; rebuildable;
--   jobs                this machine's work queue;
--   settings            per-device preferences;
--   store_meta          facts about the database file itself (which app version migrated it);
--   change_counter      the source of change_seq.
--
-- All tables are STRICT; JSON columns are TEXT checked with json_valid.

CREATE TABLE change_counter (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
) STRICT;
INSERT INTO change_counter (id, value) VALUES (1, 0);

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE profiles (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    change_seq INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE classes (
    id         TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    change_seq INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX classes_by_profile ON classes (profile_id, name) WHERE deleted_at IS NULL;

CREATE TABLE lectures (
    id          TEXT PRIMARY KEY,
    class_id    TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    media_path  TEXT NOT NULL,
    media_hash  TEXT NOT NULL,
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    status      TEXT NOT NULL DEFAULT 'imported'
                CHECK (status IN ('imported', 'transcribing', 'transcribed', 'indexed', 'failed')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    change_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX lectures_by_class ON lectures (class_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX lectures_by_media_hash ON lectures (media_hash);

CREATE TABLE transcript_segments (
    id         TEXT PRIMARY KEY,
    lecture_id TEXT NOT NULL REFERENCES lectures (id) ON DELETE CASCADE,
    start_ms   INTEGER NOT NULL CHECK (start_ms >= 0),
    end_ms     INTEGER NOT NULL CHECK (end_ms >= start_ms),
    text       TEXT NOT NULL,
    speaker    TEXT,
    words_json TEXT CHECK (words_json IS NULL OR json_valid(words_json)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    change_seq INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX transcript_segments_by_lecture ON transcript_segments (lecture_id, start_ms)
    WHERE deleted_at IS NULL;

CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    class_id     TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    title        TEXT NOT NULL CHECK (length(trim(title)) > 0),
    file_path    TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('pdf', 'docx', 'markdown', 'text', 'image')),
    mime         TEXT NOT NULL,
    page_count   INTEGER CHECK (page_count IS NULL OR page_count >= 0),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER,
    change_seq   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX documents_by_class ON documents (class_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX documents_by_content_hash ON documents (content_hash);

CREATE TABLE document_pages (
    id          TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    page_number INTEGER NOT NULL CHECK (page_number >= 1),
    text        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    change_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX document_pages_by_document ON document_pages (document_id, page_number)
    WHERE deleted_at IS NULL;

-- A piece of text that search indexes, with exactly one kind of source locator: a document page,
-- or a span of a lecture.
CREATE TABLE chunks (
    id          TEXT PRIMARY KEY,
    document_id TEXT REFERENCES documents (id) ON DELETE CASCADE,
    page_number INTEGER CHECK (page_number IS NULL OR page_number >= 1),
    lecture_id  TEXT REFERENCES lectures (id) ON DELETE CASCADE,
    start_ms    INTEGER CHECK (start_ms IS NULL OR start_ms >= 0),
    end_ms      INTEGER,
    text        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK (
        (document_id IS NOT NULL AND page_number IS NOT NULL
            AND lecture_id IS NULL AND start_ms IS NULL AND end_ms IS NULL)
        OR
        (document_id IS NULL AND page_number IS NULL
            AND lecture_id IS NOT NULL AND start_ms IS NOT NULL AND end_ms IS NOT NULL
            AND end_ms >= start_ms)
    )
) STRICT;
CREATE INDEX chunks_by_document ON chunks (document_id, page_number) WHERE document_id IS NOT NULL;
CREATE INDEX chunks_by_lecture ON chunks (lecture_id, start_ms) WHERE lecture_id IS NOT NULL;

-- One vector per (chunk, embedding model): little-endian f32 values, dims of them.
CREATE TABLE embeddings (
    chunk_id   TEXT NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
    model_id   TEXT NOT NULL,
    dims       INTEGER NOT NULL CHECK (dims > 0),
    vector     BLOB NOT NULL CHECK (length(vector) = 4 * dims),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (chunk_id, model_id)
) STRICT;
CREATE INDEX embeddings_by_model ON embeddings (model_id);

-- A chat; class_id NULL means it searches across all classes.
CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    class_id   TEXT REFERENCES classes (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER,
    change_seq INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX conversations_by_class ON conversations (class_id, updated_at) WHERE deleted_at IS NULL;

CREATE TABLE messages (
    id                TEXT PRIMARY KEY,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT NOT NULL,
    citations_json    TEXT CHECK (citations_json IS NULL OR json_valid(citations_json)),
    prompt_tokens     INTEGER CHECK (prompt_tokens IS NULL OR prompt_tokens >= 0),
    completion_tokens INTEGER CHECK (completion_tokens IS NULL OR completion_tokens >= 0),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    deleted_at        INTEGER,
    change_seq        INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at)
    WHERE deleted_at IS NULL;

-- Markdown notes and study guides, scoped to a class, or to one lecture or document of it.
CREATE TABLE notes (
    id          TEXT PRIMARY KEY,
    class_id    TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    scope       TEXT NOT NULL CHECK (scope IN ('class', 'lecture', 'document')),
    lecture_id  TEXT REFERENCES lectures (id) ON DELETE CASCADE,
    document_id TEXT REFERENCES documents (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    markdown    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    change_seq  INTEGER NOT NULL DEFAULT 0,
    CHECK (
        (scope = 'class' AND lecture_id IS NULL AND document_id IS NULL)
        OR (scope = 'lecture' AND lecture_id IS NOT NULL AND document_id IS NULL)
        OR (scope = 'document' AND document_id IS NOT NULL AND lecture_id IS NULL)
    )
) STRICT;
CREATE INDEX notes_by_class ON notes (class_id, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX notes_by_lecture ON notes (lecture_id) WHERE lecture_id IS NOT NULL;
CREATE INDEX notes_by_document ON notes (document_id) WHERE document_id IS NOT NULL;

CREATE TABLE quizzes (
    id          TEXT PRIMARY KEY,
    class_id    TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    source_json TEXT CHECK (source_json IS NULL OR json_valid(source_json)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    change_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX quizzes_by_class ON quizzes (class_id, created_at) WHERE deleted_at IS NULL;

CREATE TABLE quiz_questions (
    id             TEXT PRIMARY KEY,
    quiz_id        TEXT NOT NULL REFERENCES quizzes (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL CHECK (position >= 0),
    kind           TEXT NOT NULL CHECK (kind IN ('multiple_choice', 'true_false', 'short_answer')),
    prompt         TEXT NOT NULL,
    choices_json   TEXT CHECK (choices_json IS NULL OR json_valid(choices_json)),
    answer         TEXT NOT NULL,
    explanation    TEXT,
    citations_json TEXT CHECK (citations_json IS NULL OR json_valid(citations_json)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER,
    change_seq     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX quiz_questions_by_quiz ON quiz_questions (quiz_id, position) WHERE deleted_at IS NULL;

CREATE TABLE quiz_attempts (
    id          TEXT PRIMARY KEY,
    quiz_id     TEXT NOT NULL REFERENCES quizzes (id) ON DELETE CASCADE,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    score       REAL CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    change_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX quiz_attempts_by_quiz ON quiz_attempts (quiz_id, started_at) WHERE deleted_at IS NULL;

CREATE TABLE quiz_answers (
    id          TEXT PRIMARY KEY,
    attempt_id  TEXT NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL REFERENCES quiz_questions (id) ON DELETE CASCADE,
    answer      TEXT NOT NULL,
    is_correct  INTEGER CHECK (is_correct IS NULL OR is_correct IN (0, 1)),
    answered_at INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    change_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX quiz_answers_by_attempt ON quiz_answers (attempt_id, question_id)
    WHERE deleted_at IS NULL;
CREATE INDEX quiz_answers_by_question ON quiz_answers (question_id);

-- Flashcards with their FSRS memory state; due and last_review are ms since the epoch.
CREATE TABLE flashcards (
    id             TEXT PRIMARY KEY,
    class_id       TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    front          TEXT NOT NULL,
    back           TEXT NOT NULL,
    citations_json TEXT CHECK (citations_json IS NULL OR json_valid(citations_json)),
    due            INTEGER NOT NULL,
    stability      REAL NOT NULL DEFAULT 0 CHECK (stability >= 0),
    difficulty     REAL NOT NULL DEFAULT 0 CHECK (difficulty >= 0),
    state          TEXT NOT NULL DEFAULT 'new'
                   CHECK (state IN ('new', 'learning', 'review', 'relearning')),
    reps           INTEGER NOT NULL DEFAULT 0 CHECK (reps >= 0),
    lapses         INTEGER NOT NULL DEFAULT 0 CHECK (lapses >= 0),
    last_review    INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER,
    change_seq     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX flashcards_due_by_class ON flashcards (class_id, due) WHERE deleted_at IS NULL;

-- The review log FSRS learns from: rating 1 again, 2 hard, 3 good, 4 easy.
CREATE TABLE card_reviews (
    id          TEXT PRIMARY KEY,
    card_id     TEXT NOT NULL REFERENCES flashcards (id) ON DELETE CASCADE,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    reviewed_at INTEGER NOT NULL,
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    change_seq  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX card_reviews_by_card ON card_reviews (card_id, reviewed_at);

-- The durable work queue of this machine (transcribe, index, generate, ...).
CREATE TABLE jobs (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    payload_json    TEXT NOT NULL CHECK (json_valid(payload_json)),
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    priority        INTEGER NOT NULL DEFAULT 0,
    progress        REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    INTEGER NOT NULL CHECK (max_attempts >= 1),
    next_run_at     INTEGER NOT NULL,
    error           TEXT,
    checkpoint_json TEXT CHECK (checkpoint_json IS NULL OR json_valid(checkpoint_json)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER
) STRICT;
CREATE INDEX jobs_queue ON jobs (status, priority DESC, next_run_at);

CREATE TABLE settings (
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value_json TEXT NOT NULL CHECK (json_valid(value_json)),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (profile_id, key)
) STRICT, WITHOUT ROWID;

-- Change stamping for the synced tables (see the top of this file), two triggers per table:
-- stamp a fresh change_seq after an insert, and after an update that did not set change_seq.

CREATE INDEX profiles_by_change ON profiles (change_seq);
CREATE TRIGGER profiles_stamp_insert AFTER INSERT ON profiles BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE profiles SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER profiles_stamp_update AFTER UPDATE ON profiles WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE profiles SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX classes_by_change ON classes (change_seq);
CREATE TRIGGER classes_stamp_insert AFTER INSERT ON classes BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE classes SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER classes_stamp_update AFTER UPDATE ON classes WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE classes SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX lectures_by_change ON lectures (change_seq);
CREATE TRIGGER lectures_stamp_insert AFTER INSERT ON lectures BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE lectures SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER lectures_stamp_update AFTER UPDATE ON lectures WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE lectures SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX transcript_segments_by_change ON transcript_segments (change_seq);
CREATE TRIGGER transcript_segments_stamp_insert AFTER INSERT ON transcript_segments BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE transcript_segments SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER transcript_segments_stamp_update AFTER UPDATE ON transcript_segments WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE transcript_segments SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX documents_by_change ON documents (change_seq);
CREATE TRIGGER documents_stamp_insert AFTER INSERT ON documents BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE documents SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER documents_stamp_update AFTER UPDATE ON documents WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE documents SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX document_pages_by_change ON document_pages (change_seq);
CREATE TRIGGER document_pages_stamp_insert AFTER INSERT ON document_pages BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE document_pages SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER document_pages_stamp_update AFTER UPDATE ON document_pages WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE document_pages SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX conversations_by_change ON conversations (change_seq);
CREATE TRIGGER conversations_stamp_insert AFTER INSERT ON conversations BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE conversations SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER conversations_stamp_update AFTER UPDATE ON conversations WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE conversations SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX messages_by_change ON messages (change_seq);
CREATE TRIGGER messages_stamp_insert AFTER INSERT ON messages BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE messages SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER messages_stamp_update AFTER UPDATE ON messages WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE messages SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX notes_by_change ON notes (change_seq);
CREATE TRIGGER notes_stamp_insert AFTER INSERT ON notes BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE notes SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER notes_stamp_update AFTER UPDATE ON notes WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE notes SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX quizzes_by_change ON quizzes (change_seq);
CREATE TRIGGER quizzes_stamp_insert AFTER INSERT ON quizzes BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE quizzes SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER quizzes_stamp_update AFTER UPDATE ON quizzes WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE quizzes SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX quiz_questions_by_change ON quiz_questions (change_seq);
CREATE TRIGGER quiz_questions_stamp_insert AFTER INSERT ON quiz_questions BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE quiz_questions SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER quiz_questions_stamp_update AFTER UPDATE ON quiz_questions WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE quiz_questions SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX quiz_attempts_by_change ON quiz_attempts (change_seq);
CREATE TRIGGER quiz_attempts_stamp_insert AFTER INSERT ON quiz_attempts BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE quiz_attempts SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER quiz_attempts_stamp_update AFTER UPDATE ON quiz_attempts WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE quiz_attempts SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX quiz_answers_by_change ON quiz_answers (change_seq);
CREATE TRIGGER quiz_answers_stamp_insert AFTER INSERT ON quiz_answers BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE quiz_answers SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER quiz_answers_stamp_update AFTER UPDATE ON quiz_answers WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE quiz_answers SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX flashcards_by_change ON flashcards (change_seq);
CREATE TRIGGER flashcards_stamp_insert AFTER INSERT ON flashcards BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE flashcards SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER flashcards_stamp_update AFTER UPDATE ON flashcards WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE flashcards SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE INDEX card_reviews_by_change ON card_reviews (change_seq);
CREATE TRIGGER card_reviews_stamp_insert AFTER INSERT ON card_reviews BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE card_reviews SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER card_reviews_stamp_update AFTER UPDATE ON card_reviews WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE card_reviews SET change_seq = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
