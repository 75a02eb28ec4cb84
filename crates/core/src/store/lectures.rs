//! Lectures: recorded or imported audio/video of a class.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Row, params};

use super::{ClassId, Store, StoreError, UnixMillis, non_empty, now_ms, path_text, tombstone_live};

id_type!(
    /// The id of a [`Lecture`].
    LectureId
);

text_enum!(
    /// Where a lecture is in the processing pipeline.
    LectureStatus {
        /// The microphone is capturing into a file under the profile's `recordings/` folder; the
        /// media path points there until the recording ends.
        Recording => "recording",
        /// The media is stored; nothing has run yet.
        Imported => "imported",
        /// A transcription job is working on it.
        Transcribing => "transcribing",
        /// The transcript is stored.
        Transcribed => "transcribed",
        /// The transcript is chunked, embedded and searchable.
        Indexed => "indexed",
        /// Processing failed; the job holds the error.
        Failed => "failed",
    }
);

/// A lecture of a class.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Lecture {
    /// Stable global id.
    pub id: LectureId,
    /// The class it belongs to.
    pub class_id: ClassId,
    /// Display title.
    pub title: String,
    /// The media file, relative to the profile folder.
    pub media_path: PathBuf,
    /// Content hash of the media file (hex), for deduplication and content addressing.
    pub media_hash: String,
    /// Length of the media, once known.
    pub duration_ms: Option<u64>,
    /// Processing state.
    pub status: LectureStatus,
    /// When the lecture was added.
    pub created_at: UnixMillis,
    /// When it last changed.
    pub updated_at: UnixMillis,
}

/// What [`Lectures::create`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLecture {
    /// The class it belongs to.
    pub class_id: ClassId,
    /// Display title (trimmed, not empty).
    pub title: String,
    /// The media file, relative to the profile folder.
    pub media_path: PathBuf,
    /// Content hash of the media file (hex).
    pub media_hash: String,
}

const COLUMNS: &str =
    "id, class_id, title, media_path, media_hash, duration_ms, status, created_at, updated_at";

impl Lecture {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            class_id: row.get("class_id")?,
            title: row.get("title")?,
            media_path: PathBuf::from(row.get::<_, String>("media_path")?),
            media_hash: row.get("media_hash")?,
            duration_ms: row.get("duration_ms")?,
            status: row.get("status")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// The lecture repository, borrowed from [`Store::lectures`].
pub struct Lectures<'s> {
    store: &'s Store,
}

impl<'s> Lectures<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Adds a lecture in status [`LectureStatus::Imported`].
    pub fn create(&self, new: &NewLecture) -> Result<Lecture, StoreError> {
        self.insert(new, LectureStatus::Imported)
    }

    /// Adds a lecture in status [`LectureStatus::Recording`], whose media path names the file
    /// being recorded; [`Lectures::finish_recording`] ends it.
    pub fn create_recording(&self, new: &NewLecture) -> Result<Lecture, StoreError> {
        self.insert(new, LectureStatus::Recording)
    }

    fn insert(&self, new: &NewLecture, status: LectureStatus) -> Result<Lecture, StoreError> {
        let now = now_ms();
        let media_path = path_text("media path", &new.media_path)?;
        let lecture = Lecture {
            id: LectureId::generate(),
            class_id: new.class_id.clone(),
            title: non_empty("lecture title", &new.title)?.to_owned(),
            media_path: new.media_path.clone(),
            media_hash: non_empty("media hash", &new.media_hash)?.to_owned(),
            duration_ms: None,
            status,
            created_at: now,
            updated_at: now,
        };
        self.store.write("create a lecture", |tx| {
            tx.execute(
                "INSERT INTO lectures (id, class_id, title, media_path, media_hash, status,
                                       created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    lecture.id,
                    lecture.class_id,
                    lecture.title,
                    media_path,
                    lecture.media_hash,
                    lecture.status,
                    now,
                    now
                ],
            )
        })?;
        Ok(lecture)
    }

    /// One live lecture.
    pub fn get(&self, id: &LectureId) -> Result<Lecture, StoreError> {
        self.store
            .read("read a lecture", |conn| {
                conn.query_row(
                    &format!("SELECT {COLUMNS} FROM lectures WHERE id = ?1 AND deleted_at IS NULL"),
                    [id],
                    Lecture::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| not_found(id))
    }

    /// The live lectures of a class, oldest first.
    pub fn list_by_class(&self, class_id: &ClassId) -> Result<Vec<Lecture>, StoreError> {
        self.store.read("list lectures", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM lectures WHERE class_id = ?1 AND deleted_at IS NULL
                 ORDER BY created_at, id"
            ))?
            .query_map([class_id], Lecture::from_row)?
            .collect()
        })
    }

    /// The live lectures in `status` across all classes, oldest first (recovery looks for the
    /// ones left in [`LectureStatus::Recording`] by a crash).
    pub fn list_with_status(&self, status: LectureStatus) -> Result<Vec<Lecture>, StoreError> {
        self.store.read("list lectures by status", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM lectures WHERE status = ?1 AND deleted_at IS NULL
                 ORDER BY created_at, id"
            ))?
            .query_map([status], Lecture::from_row)?
            .collect()
        })
    }

    /// Ends a recording in one update: the lecture gets its stored media file, hash and length
    /// and moves from [`LectureStatus::Recording`] to [`LectureStatus::Imported`]. A lecture that
    /// is not recording (already finished by another process, say) is not found.
    pub fn finish_recording(
        &self,
        id: &LectureId,
        media_path: &Path,
        media_hash: &str,
        duration_ms: u64,
    ) -> Result<Lecture, StoreError> {
        let media_text = path_text("media path", media_path)?;
        let media_hash = non_empty("media hash", media_hash)?;
        let changed = self.store.write("finish a recording", |tx| {
            tx.execute(
                "UPDATE lectures SET media_path = ?2, media_hash = ?3, duration_ms = ?4,
                                     status = ?5, updated_at = ?6
                 WHERE id = ?1 AND status = ?7 AND deleted_at IS NULL",
                params![
                    id,
                    media_text,
                    media_hash,
                    duration_ms,
                    LectureStatus::Imported,
                    now_ms(),
                    LectureStatus::Recording
                ],
            )
        })?;
        if changed == 0 {
            return Err(not_found(id));
        }
        self.get(id)
    }

    /// Deletes a lecture: the lecture and its transcript become tombstones (synced, so other
    /// devices delete them too) and its chunks and their embeddings, which are derived and
    /// local, are deleted for real, all in one transaction. The media file stays in the content
    /// store (another lecture may share it). The search index drops the chunks on its next sync.
    pub fn delete(&self, id: &LectureId) -> Result<(), StoreError> {
        let changed = self.store.write("delete a lecture", |tx| {
            let now = now_ms();
            let changed = tombstone_live(tx, "lectures", "id", id, now)?;
            if changed > 0 {
                tombstone_live(tx, "transcript_segments", "lecture_id", id, now)?;
                tx.execute("DELETE FROM chunks WHERE lecture_id = ?1", [id])?;
            }
            Ok(changed)
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }

    /// Moves a lecture to `status`.
    pub fn set_status(&self, id: &LectureId, status: LectureStatus) -> Result<(), StoreError> {
        self.update(id, "set a lecture's status", "status = ?2", status)
    }

    /// Records the media length once it is known (after decoding).
    pub fn set_duration(&self, id: &LectureId, duration_ms: u64) -> Result<(), StoreError> {
        self.update(
            id,
            "set a lecture's duration",
            "duration_ms = ?2",
            duration_ms,
        )
    }

    /// Applies `assignment` (which uses `?2` for `value`) to a live lecture.
    fn update(
        &self,
        id: &LectureId,
        operation: &'static str,
        assignment: &'static str,
        value: impl rusqlite::ToSql,
    ) -> Result<(), StoreError> {
        let changed = self.store.write(operation, |tx| {
            tx.execute(
                &format!(
                    "UPDATE lectures SET {assignment}, updated_at = ?3
                     WHERE id = ?1 AND deleted_at IS NULL"
                ),
                params![id, value, now_ms()],
            )
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }
}

/// Lookups used by lecture import.
impl Lectures<'_> {
    /// The oldest live lecture whose media has this content hash, if any (the same file
    /// imported again).
    pub fn find_by_media_hash(&self, media_hash: &str) -> Result<Option<Lecture>, StoreError> {
        self.store.read("find a lecture by its media", |conn| {
            conn.query_row(
                &format!(
                    "SELECT {COLUMNS} FROM lectures WHERE media_hash = ?1 AND deleted_at IS NULL
                     ORDER BY created_at, id LIMIT 1"
                ),
                [media_hash],
                Lecture::from_row,
            )
            .optional()
        })
    }
}

fn not_found(id: &LectureId) -> StoreError {
    StoreError::NotFound {
        entity: "lecture",
        id: id.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
pub(crate) mod tests {
    use super::*;
    use crate::store::test_support::{count_rows, row_change_seq, temp_store};

    /// A store with one profile, one class and one lecture in it.
    pub(crate) fn store_with_lecture() -> (tempfile::TempDir, Store, Lecture) {
        let (dir, store) = temp_store();
        let profile = store.profiles().create("Ada").unwrap();
        let class = store.classes().create(&profile.id, "Biology").unwrap();
        let lecture = store
            .lectures()
            .create(&NewLecture {
                class_id: class.id,
                title: "Cells".into(),
                media_path: "media/ab/abcdef.m4a".into(),
                media_hash: "abcdef".into(),
            })
            .unwrap();
        (dir, store, lecture)
    }

    #[test]
    fn create_get_and_list_by_class() {
        let (_dir, store, cells) = store_with_lecture();
        assert_eq!(cells.status, LectureStatus::Imported);
        assert_eq!(cells.duration_ms, None);
        assert_eq!(store.lectures().get(&cells.id).unwrap(), cells);
        let mitosis = store
            .lectures()
            .create(&NewLecture {
                title: "Mitosis".into(),
                ..new_lecture_like(&cells)
            })
            .unwrap();
        assert_eq!(
            store.lectures().list_by_class(&cells.class_id).unwrap(),
            vec![cells, mitosis]
        );
    }

    fn new_lecture_like(lecture: &Lecture) -> NewLecture {
        NewLecture {
            class_id: lecture.class_id.clone(),
            title: lecture.title.clone(),
            media_path: lecture.media_path.clone(),
            media_hash: lecture.media_hash.clone(),
        }
    }

    #[test]
    fn status_and_duration_updates_are_stored_and_stamped() {
        let (_dir, store, lecture) = store_with_lecture();
        let seq = row_change_seq(&store, "lectures", lecture.id.as_str());
        store
            .lectures()
            .set_status(&lecture.id, LectureStatus::Transcribing)
            .unwrap();
        store
            .lectures()
            .set_duration(&lecture.id, 3_723_456)
            .unwrap();
        let updated = store.lectures().get(&lecture.id).unwrap();
        assert_eq!(updated.status, LectureStatus::Transcribing);
        assert_eq!(updated.duration_ms, Some(3_723_456));
        assert_eq!(
            row_change_seq(&store, "lectures", lecture.id.as_str()),
            seq + 2
        );
    }

    #[test]
    fn updates_to_an_unknown_lecture_are_not_found() {
        let (_dir, store, _) = store_with_lecture();
        let ghost = LectureId::from("ghost".to_string());
        let err = store
            .lectures()
            .set_status(&ghost, LectureStatus::Failed)
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    entity: "lecture",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_lecture_in_an_unknown_class_is_refused() {
        let (_dir, store, lecture) = store_with_lecture();
        let orphan = NewLecture {
            class_id: ClassId::from("ghost".to_string()),
            ..new_lecture_like(&lecture)
        };
        assert!(matches!(
            store.lectures().create(&orphan),
            Err(StoreError::Db { .. })
        ));
        assert_eq!(count_rows(&store, "lectures"), 1);
    }

    #[test]
    fn a_status_the_app_does_not_know_is_a_clear_read_error() {
        let (_dir, store, lecture) = store_with_lecture();
        // Simulates a row that slipped past the CHECK (e.g. written by a buggy sync peer).
        store
            .conn
            .execute_batch("PRAGMA ignore_check_constraints = ON")
            .unwrap();
        store
            .conn
            .execute(
                "UPDATE lectures SET status = 'exploded' WHERE id = ?1",
                [&lecture.id],
            )
            .unwrap();
        let err = store.lectures().get(&lecture.id).unwrap_err().to_string();
        assert!(err.contains("unknown LectureStatus \"exploded\""), "{err}");
    }

    #[test]
    fn a_recording_is_listed_until_it_is_finished_once() {
        let (_dir, store, imported) = store_with_lecture();
        let recording = store
            .lectures()
            .create_recording(&NewLecture {
                title: "Live".into(),
                media_path: "recordings/live.wav".into(),
                media_hash: "recording".into(),
                ..new_lecture_like(&imported)
            })
            .unwrap();
        assert_eq!(recording.status, LectureStatus::Recording);
        let listed = store
            .lectures()
            .list_with_status(LectureStatus::Recording)
            .unwrap();
        assert_eq!(listed, vec![recording.clone()]);

        let finished = store
            .lectures()
            .finish_recording(
                &recording.id,
                Path::new("media/ab/ab12.wav"),
                "ab12",
                61_000,
            )
            .unwrap();
        assert_eq!(finished.status, LectureStatus::Imported);
        assert_eq!(finished.media_path, Path::new("media/ab/ab12.wav"));
        assert_eq!(finished.media_hash, "ab12");
        assert_eq!(finished.duration_ms, Some(61_000));
        assert!(
            store
                .lectures()
                .list_with_status(LectureStatus::Recording)
                .unwrap()
                .is_empty()
        );
        // A second finish (another process got there first) changes nothing.
        let again =
            store
                .lectures()
                .finish_recording(&recording.id, Path::new("media/cd/cd.wav"), "cd", 1);
        assert!(
            matches!(again, Err(StoreError::NotFound { .. })),
            "{again:?}"
        );
        assert_eq!(store.lectures().get(&recording.id).unwrap(), finished);
        // An imported lecture is never "finished" as a recording.
        assert!(
            store
                .lectures()
                .finish_recording(&imported.id, Path::new("media/x.wav"), "x", 1)
                .is_err()
        );
    }
}
