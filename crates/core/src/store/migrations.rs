//! Versioned schema migrations.
//!
//! Each migration is a SQL file in `migrations/`, named `NNNN_name.sql` and listed once in
//! `MIGRATIONS`; the schema version is SQLite's `user_version`, which equals the number of
//! migrations applied. Migrations are append-only: once released, a file never changes; a later
//! change is a new file.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use super::StoreError;

/// One migration: its name (the file name without `.sql`) and its SQL.
struct Migration {
    name: &'static str,
    sql: &'static str,
}

/// Lists a migration by file name, so the name in errors and the file cannot disagree.
macro_rules! migration {
    ($name:literal) => {
        Migration {
            name: $name,
            sql: include_str!(concat!("migrations/", $name, ".sql")),
        }
    };
}

/// All migrations, oldest first; the position plus one is the version each one leads to.
const MIGRATIONS: &[Migration] = &[
    migration!("0001_initial"),
    migration!("0002_job_dedupe_key"),
    migration!("0003_recording_status"),
    migration!("0004_job_progress_detail"),
    migration!("0005_flashcard_suspended"),
    migration!("0006_note_citations"),
];

/// The schema version of a fully migrated database.
pub const LATEST_VERSION: usize = MIGRATIONS.len();

/// The `store_meta` key recording which app version last migrated the file.
const WRITTEN_BY_KEY: &str = "migrated_by_app_version";

/// The migration set in `rusqlite_migration`'s form.
fn migration_set() -> Migrations<'static> {
    Migrations::new(
        MIGRATIONS
            .iter()
            .map(|m| M::up(m.sql).comment(m.name).foreign_key_check())
            .collect(),
    )
}

/// The schema version stored in the database (0 for a new file).
pub(super) fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Fails with [`StoreError::TooNew`] when the file's schema is newer than this build knows.
pub(super) fn refuse_newer(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if found <= LATEST_VERSION {
        return Ok(());
    }
    // Best effort: a newer schema may have moved this fact, and the error is useful without it.
    let written_by = conn
        .query_row(
            "SELECT value FROM store_meta WHERE key = ?1",
            [WRITTEN_BY_KEY],
            |row| row.get(0),
        )
        .ok();
    Err(StoreError::TooNew {
        path: path.to_path_buf(),
        found,
        supported: LATEST_VERSION,
        written_by,
    })
}

/// Applies the pending migrations one at a time, each in its own transaction, so a failure names
/// its migration and leaves the database at the last version that succeeded.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    migrate_to(conn, path, LATEST_VERSION)
}

/// [`migrate`], stopping at `target` (tests build older schemas with it).
fn migrate_to(conn: &mut Connection, path: &Path, target: usize) -> Result<(), StoreError> {
    let current = user_version(conn).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if current >= target {
        return Ok(());
    }
    // Migrations that rebuild a table (SQLite cannot alter a CHECK) drop the old one, and with
    // foreign keys on that drop would cascade into every child table. The bundled SQLite turns
    // them on by default, and the pragma is a no-op inside the migration's transaction, so turn
    // them off here; each migration ends with a foreign_key_check instead, and Store::open turns
    // them back on.
    conn.pragma_update(None, "foreign_keys", false)
        .map_err(|source| StoreError::Configure {
            path: path.to_path_buf(),
            setting: "foreign_keys",
            source,
        })?;
    let set = migration_set();
    for (index, migration) in MIGRATIONS.iter().enumerate().take(target).skip(current) {
        let version = index + 1;
        if let Err(source) = set.to_version(conn, version) {
            // Another connection opening the same new file may have applied this migration
            // between our version check and our transaction; that is success, not failure.
            if user_version(conn).is_ok_and(|now| now >= version) {
                continue;
            }
            return Err(StoreError::Migration {
                path: path.to_path_buf(),
                version,
                name: migration.name,
                source: Box::new(source),
            });
        }
    }
    conn.execute(
        "INSERT INTO store_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [WRITTEN_BY_KEY, env!("CARGO_PKG_VERSION")],
    )
    .map_err(|source| StoreError::Configure {
        path: path.to_path_buf(),
        setting: "the app version in store_meta",
        source,
    })?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::{LectureStatus, NewLecture, Store, test_support::temp_store};

    /// A raw connection to a new file in `dir`, migrated only up to `version`.
    fn database_at_version(dir: &Path, version: usize) -> (std::path::PathBuf, Connection) {
        let path = dir.join("old.db");
        let mut conn = Connection::open(&path).unwrap();
        migrate_to(&mut conn, &path, version).unwrap();
        (path, conn)
    }

    #[test]
    fn migration_set_validates() {
        migration_set().validate().unwrap();
    }

    #[test]
    fn migration_names_follow_their_position() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let expected_prefix = format!("{:04}_", index + 1);
            assert!(
                migration.name.starts_with(&expected_prefix),
                "migration {} should start with {expected_prefix}",
                migration.name
            );
        }
    }

    #[test]
    fn fresh_database_reaches_the_latest_version() {
        let (_dir, store) = temp_store();
        assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
        let written_by: String = store
            .conn
            .query_row(
                "SELECT value FROM store_meta WHERE key = ?1",
                [WRITTEN_BY_KEY],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(written_by, env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn version_one_data_survives_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let (path, conn) = database_at_version(dir.path(), 1);
        assert_eq!(user_version(&conn).unwrap(), 1);
        // Rows written by a version-1 app, with version-1 SQL.
        conn.execute_batch(
            "INSERT INTO profiles (id, name, created_at, updated_at) VALUES ('p1', 'Ada', 1, 1);
             INSERT INTO classes (id, profile_id, name, created_at, updated_at)
                 VALUES ('c1', 'p1', 'Biology', 2, 2);
             INSERT INTO lectures (id, class_id, title, media_path, media_hash, duration_ms,
                                   status, created_at, updated_at)
                 VALUES ('l1', 'c1', 'Cells', 'media/ab.wav', 'ab', 60000, 'transcribed', 3, 3);
             INSERT INTO transcript_segments (id, lecture_id, start_ms, end_ms, text,
                                              created_at, updated_at)
                 VALUES ('s1', 'l1', 0, 1500, 'Cells are small.', 4, 4);
             INSERT INTO jobs (id, kind, payload_json, max_attempts, next_run_at,
                               created_at, updated_at)
                 VALUES ('j1', 'index', '{\"lecture\":\"l1\"}', 3, 5, 5, 5);",
        )
        .unwrap();
        let seq_before: i64 = conn
            .query_row("SELECT value FROM change_counter", [], |row| row.get(0))
            .unwrap();
        assert_eq!(seq_before, 4, "four synced rows were inserted");
        drop(conn);

        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
        let lecture = store.lectures().get(&"l1".to_string().into()).unwrap();
        assert_eq!(lecture.title, "Cells");
        assert_eq!(lecture.duration_ms, Some(60_000));
        assert_eq!(lecture.status, LectureStatus::Transcribed);
        let segments = store.transcripts().list(&lecture.id).unwrap();
        assert_eq!(segments.len(), 1);
        assert_eq!(segments[0].segment.text, "Cells are small.");
        assert_eq!(store.change_seq().unwrap(), seq_before);

        // The version-2 column exists and the old job is still claimable.
        let job = store.jobs().get(&"j1".to_string().into()).unwrap();
        assert_eq!(job.dedupe_key, None);
        assert_eq!(job.payload, serde_json::json!({"lecture": "l1"}));

        // And the upgraded file works like a new one.
        let class = store.classes().get(&"c1".to_string().into()).unwrap();
        store
            .lectures()
            .create(&NewLecture {
                class_id: class.id,
                title: "Mitosis".into(),
                media_path: "media/cd.wav".into(),
                media_hash: "cd".into(),
            })
            .unwrap();
    }

    #[test]
    fn the_lectures_rebuild_keeps_rows_references_and_stamps() {
        let dir = tempfile::tempdir().unwrap();
        let (path, conn) = database_at_version(dir.path(), 2);
        conn.execute_batch(
            "INSERT INTO profiles (id, name, created_at, updated_at) VALUES ('p1', 'Ada', 1, 1);
             INSERT INTO classes (id, profile_id, name, created_at, updated_at)
                 VALUES ('c1', 'p1', 'Biology', 2, 2);
             INSERT INTO lectures (id, class_id, title, media_path, media_hash, duration_ms,
                                   status, created_at, updated_at, deleted_at)
                 VALUES ('l1', 'c1', 'Cells', 'media/ab.wav', 'ab', 60000, 'indexed', 3, 3, NULL),
                        ('l2', 'c1', 'Gone', 'media/cd.wav', 'cd', NULL, 'failed', 4, 4, 9);
             INSERT INTO transcript_segments (id, lecture_id, start_ms, end_ms, text,
                                              created_at, updated_at)
                 VALUES ('s1', 'l1', 0, 1500, 'Cells are small.', 5, 5);",
        )
        .unwrap();
        let before: Vec<(String, i64)> = conn
            .prepare("SELECT id, change_seq FROM lectures ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        drop(conn);

        let store = Store::open(&path).unwrap();
        let conn = &store.conn;
        let after: Vec<(String, i64)> = conn
            .prepare("SELECT id, change_seq FROM lectures ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(after, before, "rows and their change stamps are kept");
        let segments: i64 = conn
            .query_row("SELECT count(*) FROM transcript_segments", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(segments, 1, "dropping the old table cascaded nothing");
        for index in [
            "lectures_by_class",
            "lectures_by_media_hash",
            "lectures_by_change",
            "lectures_stamp_insert",
            "lectures_stamp_update",
        ] {
            let found: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE name = ?1 AND tbl_name = 'lectures'",
                    [index],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(found, 1, "{index} was not recreated");
        }
        // References from other tables still resolve to the rebuilt table.
        conn.execute(
            "INSERT INTO transcript_segments (id, lecture_id, start_ms, end_ms, text,
                                              created_at, updated_at)
             VALUES ('s2', 'ghost', 0, 1, 'x', 6, 6)",
            [],
        )
        .unwrap_err();
        // A second run (a racing process) fails at once instead of rebuilding again.
        let rerun = conn
            .execute_batch(include_str!("migrations/0003_recording_status.sql"))
            .unwrap_err();
        assert!(rerun.to_string().contains("UNIQUE"), "{rerun}");
        // The new status is accepted, and the stamp trigger fires.
        let seq = store.change_seq().unwrap();
        conn.execute(
            "UPDATE lectures SET status = 'recording' WHERE id = 'l1'",
            [],
        )
        .unwrap();
        assert_eq!(store.change_seq().unwrap(), seq + 1);
        assert_eq!(
            store
                .lectures()
                .get(&"l1".to_string().into())
                .unwrap()
                .status,
            LectureStatus::Recording
        );
    }

    #[test]
    fn a_newer_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let (path, conn) = database_at_version(dir.path(), LATEST_VERSION);
        conn.execute_batch(&format!(
            "PRAGMA user_version = {};
             UPDATE store_meta SET value = '9.1.0' WHERE key = '{WRITTEN_BY_KEY}';",
            LATEST_VERSION + 3
        ))
        .unwrap();
        drop(conn);
        let err = Store::open(&path).unwrap_err();
        match &err {
            StoreError::TooNew {
                found,
                supported,
                written_by,
                ..
            } => {
                assert_eq!(*found, LATEST_VERSION + 3);
                assert_eq!(*supported, LATEST_VERSION);
                assert_eq!(written_by.as_deref(), Some("9.1.0"));
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.contains("this library was created by a newer Little Monster, version 9.1.0"),
            "{message}"
        );
        // Still the other app's version, and not switched to WAL by us.
        let conn = Connection::open(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), LATEST_VERSION + 3);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
    }

    #[test]
    fn a_failing_migration_is_named_and_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut conn) = database_at_version(dir.path(), 1);
        // Sabotage: a column of that name makes 0002's ALTER TABLE fail.
        conn.execute_batch("ALTER TABLE jobs ADD COLUMN dedupe_key INTEGER")
            .unwrap();
        let err = migrate(&mut conn, &path).unwrap_err();
        match &err {
            StoreError::Migration { version, name, .. } => {
                assert_eq!(*version, 2);
                assert_eq!(*name, "0002_job_dedupe_key");
            }
            other => panic!("expected Migration, got {other:?}"),
        }
        assert!(err.to_string().contains("0002_job_dedupe_key"), "{err}");
        assert_eq!(user_version(&conn).unwrap(), 1);
        let index_count: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'jobs_active_dedupe_key'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(index_count, 0);
    }

    #[test]
    fn wal_foreign_keys_and_synchronous_are_on_for_a_real_file() {
        let (_dir, store) = temp_store();
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let foreign_keys: bool = store
            .conn
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .unwrap();
        assert!(foreign_keys);
        let synchronous: i64 = store
            .conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 1, "1 is NORMAL");
        let busy_timeout: i64 = store
            .conn
            .pragma_query_value(None, "busy_timeout", |row| row.get(0))
            .unwrap();
        assert_eq!(busy_timeout, 5000);
    }

    #[test]
    fn every_synced_table_has_the_sync_columns_and_triggers() {
        let (_dir, store) = temp_store();
        let synced = [
            "profiles",
            "classes",
            "lectures",
            "transcript_segments",
            "documents",
            "document_pages",
            "conversations",
            "messages",
            "notes",
            "quizzes",
            "quiz_questions",
            "quiz_attempts",
            "quiz_answers",
            "flashcards",
            "card_reviews",
        ];
        for table in synced {
            let mut columns = store
                .conn
                .prepare(&format!("PRAGMA table_info({table})"))
                .unwrap();
            let columns: Vec<(String, String, bool)> = columns
                .query_map([], |row| Ok((row.get(1)?, row.get(2)?, row.get(5)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let has = |name: &str| columns.iter().any(|(column, _, _)| column == name);
            assert!(
                columns
                    .iter()
                    .any(|(name, kind, pk)| name == "id" && kind == "TEXT" && *pk),
                "{table} needs a TEXT id primary key"
            );
            for column in ["created_at", "updated_at", "deleted_at", "change_seq"] {
                assert!(has(column), "{table} lacks {column}");
            }
            let triggers: i64 = store
                .conn
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?1",
                    [table],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(
                triggers, 2,
                "{table} needs its insert and update stamp triggers"
            );
        }
    }

    #[test]
    fn the_chunk_locator_check_demands_exactly_one_kind() {
        let (_dir, store) = temp_store();
        let conn = &store.conn;
        conn.execute_batch(
            "INSERT INTO profiles (id, name, created_at, updated_at) VALUES ('p', 'P', 0, 0);
             INSERT INTO classes (id, profile_id, name, created_at, updated_at)
                 VALUES ('c', 'p', 'C', 0, 0);
             INSERT INTO lectures (id, class_id, title, media_path, media_hash,
                                   created_at, updated_at)
                 VALUES ('l', 'c', 'L', 'm', 'h', 0, 0);
             INSERT INTO documents (id, class_id, title, file_path, content_hash, kind, mime,
                                    created_at, updated_at)
                 VALUES ('d', 'c', 'D', 'f', 'h', 'pdf', 'application/pdf', 0, 0);",
        )
        .unwrap();
        let insert =
            |document: Option<&str>,
             page: Option<i64>,
             lecture: Option<&str>,
             span: Option<(i64, i64)>| {
                conn.execute(
                "INSERT INTO chunks (id, document_id, page_number, lecture_id, start_ms, end_ms,
                                     text, created_at)
                 VALUES (lower(hex(randomblob(8))), ?1, ?2, ?3, ?4, ?5, 'x', 0)",
                rusqlite::params![document, page, lecture, span.map(|s| s.0), span.map(|s| s.1)],
            )
            };
        insert(Some("d"), Some(1), None, None).unwrap();
        insert(None, None, Some("l"), Some((0, 10))).unwrap();
        // Both kinds, neither kind, half a locator, a backwards span.
        insert(Some("d"), Some(1), Some("l"), Some((0, 10))).unwrap_err();
        insert(None, None, None, None).unwrap_err();
        insert(Some("d"), None, None, None).unwrap_err();
        insert(None, None, Some("l"), Some((10, 0))).unwrap_err();
    }
}
