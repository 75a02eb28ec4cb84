//! The profile database: one SQLite file per profile, and the only place in the app with SQL.
//!
//! [`Store::open`] opens (or creates) the file, configures it (WAL, foreign keys, busy timeout) and
//! migrates it to the latest schema ([`migrations`]). Each aggregate has a repository, borrowed from
//! the store: [`Store::profiles`], [`Store::classes`], [`Store::lectures`], [`Store::transcripts`],
//! [`Store::documents`], [`Store::chunks`], [`Store::embeddings`], [`Store::jobs`],
//! [`Store::conversations`], [`Store::quizzes`], [`Store::notes`] and [`Store::flashcards`].
//!
//! Every write runs in one `IMMEDIATE` transaction, so a failed batch leaves nothing behind and a
//! second process waits for the write lock (up to the busy timeout) instead of failing mid-way.
//! Synced rows are soft-deleted (`deleted_at`) and carry a change counter for the sync client; the
//! header of `migrations/0001_initial.sql` lists which tables are synced and which are local-only.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::types::Type;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Defines a text-backed id newtype (a UUIDv7 made in Rust), storable in SQLite.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            pub(crate) fn generate() -> Self {
                Self($crate::store::new_id())
            }

            /// The id as text, as stored and as sent to the UI.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                String::column_result(value).map(Self)
            }
        }
    };
}

/// Defines a closed set of values stored as lowercase text (checked by the schema too).
macro_rules! text_enum {
    (
        $(#[$doc:meta])* $name:ident {
            $($(#[$variant_doc:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$variant_doc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The value as stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                match value.as_str()? {
                    $($text => Ok(Self::$variant),)+
                    other => Err(rusqlite::types::FromSqlError::Other(
                        format!("unknown {} {other:?}", stringify!($name)).into(),
                    )),
                }
            }
        }
    };
}

mod chunks;
mod classes;
mod conversations;
mod documents;
mod embeddings;
mod flashcards;
mod jobs;
mod lectures;
pub mod migrations;
mod notes;
mod profiles;
mod quizzes;
mod transcripts;

pub use chunks::{Chunk, ChunkId, ChunkSource, Chunks, NewChunk, SourceLocator};
pub use classes::{Class, ClassId, Classes};
pub use conversations::{
    Citation, Conversation, ConversationId, Conversations, MessageId, NewMessage, StoredMessage,
};
pub use documents::{
    Document, DocumentId, DocumentKind, DocumentPage, DocumentWriter, Documents, NewDocument,
};
pub use embeddings::Embeddings;
pub use flashcards::{
    CardReview, CardReviewId, CardSchedule, CardState, DueCount, Flashcard, FlashcardId,
    Flashcards, NewFlashcard, NewReview, Rating,
};
pub use jobs::{EnqueueOutcome, FailOutcome, Job, JobId, JobProgress, JobStatus, Jobs, NewJob};
pub use lectures::{Lecture, LectureId, LectureStatus, Lectures, NewLecture};
pub use notes::{NewNote, Note, NoteId, NoteScope, Notes};
pub use profiles::{Profile, ProfileId, Profiles};
pub use quizzes::{
    AttemptId, GradedAnswer, NewQuestion, QuestionId, QuestionKind, Quiz, QuizAttempt, QuizId,
    QuizQuestion, Quizzes,
};
pub use transcripts::{SegmentId, SegmentInput, TimedWord, TranscriptSegmentRow, Transcripts};

/// Milliseconds since the Unix epoch, the unit of every timestamp in the database.
pub type UnixMillis = i64;

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A failure of the profile database, with enough context to show to a user or put in a log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The folder that should hold the database could not be created.
    #[error("cannot create the folder {path}: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// SQLite could not open the file (permissions, not a database, ...).
    #[error("cannot open the library database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A connection setting could not be applied.
    #[error("cannot set {setting} on the library database {path}: {source}")]
    Configure {
        /// The database file.
        path: PathBuf,
        /// The pragma that failed.
        setting: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// SQLite refused write-ahead logging (for example on a file system without shared memory).
    #[error("the library database {path} cannot use write-ahead logging (journal mode is {mode})")]
    NoWal {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The database was written by a newer app whose schema this one does not know.
    #[error(
        "{path}: this library was created by a newer Little Monster{}: its schema version is \
         {found}, this app understands up to version {supported}. Update Little Monster to open it.",
        written_by.as_deref().map(|v| format!(", version {v}")).unwrap_or_default()
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The schema version found in the file.
        found: usize,
        /// The newest schema version this build knows.
        supported: usize,
        /// The app version that last migrated the file, when it recorded one.
        written_by: Option<String>,
    },
    /// A schema migration failed; the database stays at the previous version.
    #[error("migrating {path} to schema version {version} ({name}) failed: {source}")]
    Migration {
        /// The database file.
        path: PathBuf,
        /// The version the failed migration leads to.
        version: usize,
        /// The migration's name (its file name without `.sql`).
        name: &'static str,
        /// What went wrong (boxed: it is large and rare).
        source: Box<rusqlite_migration::Error>,
    },
    /// A query or write failed; nothing of a failed write was kept.
    #[error("database error while trying to {operation}: {source}")]
    Db {
        /// What the store was doing, in words ("create a class").
        operation: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The row does not exist (or was deleted).
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of row ("class", "lecture", ...).
        entity: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// The caller passed a value the store will not write.
    #[error("invalid {field}: {problem}")]
    Invalid {
        /// Which input.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A job is not in a state that allows the operation.
    #[error("cannot {operation} job {id}: it is {status}")]
    JobState {
        /// The job.
        id: JobId,
        /// Its current status.
        status: JobStatus,
        /// What was attempted ("finish", "cancel", ...).
        operation: &'static str,
    },
}

/// The database of one profile. Not `Sync`: use one `Store` per thread (WAL lets them work side
/// by side).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the database at `path`, creating it and its folder if needed, configures the
    /// connection and migrates the schema to the latest version.
    ///
    /// A database written by a newer app is refused with [`StoreError::TooNew`] before anything
    /// in it is changed.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(&path, flags).map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        let configure = |setting, source| StoreError::Configure {
            path: path.clone(),
            setting,
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| configure("busy_timeout", e))?;
        // Every transaction takes the write lock up front: a deferred transaction that later
        // writes can fail with SQLITE_BUSY without waiting, which the busy timeout cannot help.
        conn.set_transaction_behavior(TransactionBehavior::Immediate);

        migrations::refuse_newer(&conn, &path)?;

        let mode = enable_wal(&conn).map_err(|e| configure("journal_mode", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal { path, mode });
        }
        // NORMAL is durable across application crashes in WAL mode; only a power cut can lose
        // the last transactions, never corrupt the file.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| configure("synchronous", e))?;

        // Foreign keys go on only after migrating: SQLite's recipe for rebuilding a table needs
        // them off, and each migration runs `PRAGMA foreign_key_check` instead.
        migrations::migrate(&mut conn, &path)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(|e| configure("foreign_keys", e))?;

        Ok(Self { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database (always [`migrations::LATEST_VERSION`] after
    /// [`Store::open`]).
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        self.read("read the schema version", migrations::user_version)
    }

    /// The latest value of the change counter: every insert or update of a synced row takes the
    /// next value, so rows with `change_seq` greater than an earlier reading changed since then.
    pub fn change_seq(&self) -> Result<i64, StoreError> {
        self.read("read the change counter", |conn| {
            conn.query_row("SELECT value FROM change_counter WHERE id = 1", [], |row| {
                row.get(0)
            })
        })
    }

    /// The profiles in this database.
    pub fn profiles(&self) -> Profiles<'_> {
        Profiles::new(self)
    }

    /// Classes (courses) of a profile.
    pub fn classes(&self) -> Classes<'_> {
        Classes::new(self)
    }

    /// Recorded or imported lectures.
    pub fn lectures(&self) -> Lectures<'_> {
        Lectures::new(self)
    }

    /// Lecture transcripts.
    pub fn transcripts(&self) -> Transcripts<'_> {
        Transcripts::new(self)
    }

    /// Imported documents and their page texts.
    pub fn documents(&self) -> Documents<'_> {
        Documents::new(self)
    }

    /// Searchable text chunks with their source locators.
    pub fn chunks(&self) -> Chunks<'_> {
        Chunks::new(self)
    }

    /// Chunk embedding vectors.
    pub fn embeddings(&self) -> Embeddings<'_> {
        Embeddings::new(self)
    }

    /// The durable job queue.
    pub fn jobs(&self) -> Jobs<'_> {
        Jobs::new(self)
    }

    /// The conversation repository.
    pub fn conversations(&self) -> Conversations<'_> {
        Conversations::new(self)
    }

    /// The quiz repository.
    pub fn quizzes(&self) -> Quizzes<'_> {
        Quizzes::new(self)
    }

    /// Flashcards, their memory state and their review log.
    pub fn flashcards(&self) -> Flashcards<'_> {
        Flashcards::new(self)
    }

    /// Notes and study guides.
    pub fn notes(&self) -> Notes<'_> {
        Notes::new(self)
    }

    /// Runs `body` in one immediate transaction, committing if it succeeds and rolling back
    /// otherwise; a failure is reported as "while trying to `operation`".
    fn write<T>(
        &self,
        operation: &'static str,
        body: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let run = || {
            // `new_unchecked` only means nesting is checked at run time: the store never nests.
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            let value = body(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run().map_err(|source| StoreError::Db { operation, source })
    }

    /// Runs a read-only `body`; a failure is reported as "while trying to `operation`".
    fn read<T>(
        &self,
        operation: &'static str,
        body: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        body(&self.conn).map_err(|source| StoreError::Db { operation, source })
    }
}

/// Switches the file to write-ahead logging and returns the journal mode SQLite reports.
///
/// Switching needs an exclusive lock, and SQLite reports `SQLITE_BUSY` for it without calling
/// the busy handler, so when several connections open a new file at once this retries for up to
/// [`BUSY_TIMEOUT`]. A file already in WAL mode (every later open) needs no lock at all.
fn enable_wal(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        let current: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
        if current.eq_ignore_ascii_case("wal") {
            return Ok(current);
        }
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

/// A fresh row id: a UUIDv7, so ids sort by creation time and never collide across devices.
fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The current time in [`UnixMillis`].
fn now_ms() -> UnixMillis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Turns the live rows of the synced `table` whose `column` equals `value` (a parent's id, or a
/// row's own id) into tombstones stamped `now`, so sync peers drop them too; returns how many.
///
/// `table` and `column` are spliced into the SQL, so they are `'static` names from the code,
/// never user input.
fn tombstone_live(
    tx: &Transaction<'_>,
    table: &'static str,
    column: &'static str,
    value: &dyn rusqlite::ToSql,
    now: UnixMillis,
) -> rusqlite::Result<usize> {
    tx.prepare_cached(&format!(
        "UPDATE {table} SET deleted_at = ?2, updated_at = ?2
         WHERE {column} = ?1 AND deleted_at IS NULL"
    ))?
    .execute(rusqlite::params![value, now])
}

/// Trims `value` and refuses an empty result, naming `field` in the error.
fn non_empty<'v>(field: &'static str, value: &'v str) -> Result<&'v str, StoreError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(StoreError::Invalid {
            field,
            problem: "must not be empty".into(),
        });
    }
    Ok(trimmed)
}

/// A path as stored in a TEXT column; SQLite text is UTF-8, so other paths are refused.
fn path_text<'p>(field: &'static str, path: &'p Path) -> Result<&'p str, StoreError> {
    path.to_str().ok_or_else(|| StoreError::Invalid {
        field,
        problem: format!("{} is not valid UTF-8", path.display()),
    })
}

/// Serialises `value` for a JSON TEXT column.
fn to_json<T: Serialize + ?Sized>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Reads an optional JSON TEXT column.
fn json_column<T: DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    column: &str,
) -> rusqlite::Result<Option<T>> {
    let Some(text) = row.get::<_, Option<String>>(column)? else {
        return Ok(None);
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        let index = row.as_ref().column_index(column).unwrap_or(usize::MAX);
        rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e))
    })
}

/// A store with one profile, class and lecture, for the tests of other modules.
#[cfg(test)]
pub(crate) use lectures::tests::store_with_lecture;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod test_support {
    use super::Store;

    /// A store in a fresh temporary folder; keep the folder alive as long as the store.
    pub(crate) fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("profile.db")).unwrap();
        (dir, store)
    }

    /// The `change_seq` of one row of a synced table.
    pub(crate) fn row_change_seq(store: &Store, table: &str, id: &str) -> i64 {
        store
            .conn
            .query_row(
                &format!("SELECT change_seq FROM {table} WHERE id = ?1"),
                [id],
                |row| row.get(0),
            )
            .unwrap()
    }

    /// Counts the rows of a table, tombstones included.
    pub(crate) fn count_rows(store: &Store, table: &str) -> i64 {
        store
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap()
    }
}
