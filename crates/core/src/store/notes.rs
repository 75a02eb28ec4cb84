//! Notes and study guides: Markdown a student edits, scoped to a class or to one lecture or
//! document of it, keeping the sources its `[n]` markers cite.
//!
//! Generated notes ([`crate::study::notes`]) are stored whole, in one transaction, and remember
//! the job that wrote them, so a job resumed after a crash finds its note instead of storing a
//! second one.

use rusqlite::{OptionalExtension, Row, params};

use super::{
    Citation, ClassId, DocumentId, JobId, LectureId, Store, StoreError, UnixMillis, json_column,
    non_empty, now_ms, to_json, tombstone_live,
};

id_type!(
    /// The id of a [`Note`].
    NoteId
);

/// What a note covers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum NoteScope {
    /// The whole class.
    Class,
    /// One lecture of the class.
    Lecture(LectureId),
    /// One document of the class.
    Document(DocumentId),
}

impl NoteScope {
    fn kind(&self) -> &'static str {
        match self {
            Self::Class => "class",
            Self::Lecture(_) => "lecture",
            Self::Document(_) => "document",
        }
    }

    fn lecture_id(&self) -> Option<&LectureId> {
        match self {
            Self::Lecture(id) => Some(id),
            _ => None,
        }
    }

    fn document_id(&self) -> Option<&DocumentId> {
        match self {
            Self::Document(id) => Some(id),
            _ => None,
        }
    }
}

/// A stored note.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Note {
    /// Stable global id.
    pub id: NoteId,
    /// The class it belongs to.
    pub class_id: ClassId,
    /// What it covers.
    pub scope: NoteScope,
    /// Display title.
    pub title: String,
    /// The note itself, in Markdown.
    pub markdown: String,
    /// The sources its `[n]` markers point at (empty for a note written by hand).
    pub citations: Vec<Citation>,
    /// The job on this device that generated it, if one did.
    pub source_job_id: Option<JobId>,
    /// When it was made.
    pub created_at: UnixMillis,
    /// When it was last edited or renamed.
    pub updated_at: UnixMillis,
}

const COLUMNS: &str = "id, class_id, scope, lecture_id, document_id, title, markdown, \
                       citations_json, source_job_id, created_at, updated_at";

impl Note {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        let kind: String = row.get("scope")?;
        let scope = match kind.as_str() {
            "lecture" => NoteScope::Lecture(row.get("lecture_id")?),
            "document" => NoteScope::Document(row.get("document_id")?),
            _ => NoteScope::Class,
        };
        Ok(Self {
            id: row.get("id")?,
            class_id: row.get("class_id")?,
            scope,
            title: row.get("title")?,
            markdown: row.get("markdown")?,
            citations: json_column(row, "citations_json")?.unwrap_or_default(),
            source_job_id: row.get("source_job_id")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// A note to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNote {
    /// The class it belongs to.
    pub class_id: ClassId,
    /// What it covers (a lecture or document of `class_id`, or the class).
    pub scope: NoteScope,
    /// Display title (trimmed, not empty).
    pub title: String,
    /// The Markdown (may be empty: a blank note to write in).
    pub markdown: String,
    /// The sources its `[n]` markers point at.
    pub citations: Vec<Citation>,
    /// The job generating it, when a job does.
    pub source_job_id: Option<JobId>,
}

/// The note repository, borrowed from [`Store::notes`].
pub struct Notes<'s> {
    store: &'s Store,
}

impl<'s> Notes<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Stores a note in one transaction. The lecture or document of its scope must belong to
    /// its class. When `source_job_id` already wrote a note, that note is returned and nothing
    /// new is stored, so a generating job that is resumed cannot store its note twice.
    pub fn create(&self, new: &NewNote) -> Result<Note, StoreError> {
        let title = non_empty("note title", &new.title)?;
        let now = now_ms();
        let id = NoteId::generate();
        let stored_id = self.store.write("save a note", |tx| {
            if let Some(job_id) = &new.source_job_id {
                let existing: Option<NoteId> = tx
                    .query_row(
                        "SELECT id FROM notes WHERE source_job_id = ?1",
                        [job_id],
                        |row| row.get(0),
                    )
                    .optional()?;
                if let Some(existing) = existing {
                    return Ok(Ok(existing));
                }
            }
            let owner: Option<ClassId> = match &new.scope {
                NoteScope::Class => Some(new.class_id.clone()),
                NoteScope::Lecture(id) => tx
                    .query_row(
                        "SELECT class_id FROM lectures WHERE id = ?1 AND deleted_at IS NULL",
                        [id],
                        |row| row.get(0),
                    )
                    .optional()?,
                NoteScope::Document(id) => tx
                    .query_row(
                        "SELECT class_id FROM documents WHERE id = ?1 AND deleted_at IS NULL",
                        [id],
                        |row| row.get(0),
                    )
                    .optional()?,
            };
            if owner.as_ref() != Some(&new.class_id) {
                return Ok(Err(()));
            }
            tx.execute(
                "INSERT INTO notes (id, class_id, scope, lecture_id, document_id, title, markdown,
                                    citations_json, source_job_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                params![
                    id,
                    new.class_id,
                    new.scope.kind(),
                    new.scope.lecture_id(),
                    new.scope.document_id(),
                    title,
                    new.markdown,
                    to_json(&new.citations)?,
                    new.source_job_id,
                    now
                ],
            )?;
            Ok(Ok(id))
        })?;
        let stored_id = stored_id.map_err(|()| StoreError::Invalid {
            field: "note scope",
            problem: format!(
                "the {} is not a live part of class {}",
                new.scope.kind(),
                new.class_id
            ),
        })?;
        self.get(&stored_id)
    }

    /// One live note.
    pub fn get(&self, id: &NoteId) -> Result<Note, StoreError> {
        self.store
            .read("read a note", |conn| {
                conn.query_row(
                    &format!("SELECT {COLUMNS} FROM notes WHERE id = ?1 AND deleted_at IS NULL"),
                    [id],
                    Note::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| not_found(id))
    }

    /// The live note generated by job `job_id`, if it stored one.
    pub fn find_by_job(&self, job_id: &JobId) -> Result<Option<Note>, StoreError> {
        self.store.read("find a job's note", |conn| {
            conn.query_row(
                &format!(
                    "SELECT {COLUMNS} FROM notes WHERE source_job_id = ?1 AND deleted_at IS NULL"
                ),
                [job_id],
                Note::from_row,
            )
            .optional()
        })
    }

    /// The live notes of a class (its lectures' and documents' included), most recently edited
    /// first.
    pub fn list_by_class(&self, class_id: &ClassId) -> Result<Vec<Note>, StoreError> {
        self.store.read("list notes", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM notes WHERE class_id = ?1 AND deleted_at IS NULL
                 ORDER BY updated_at DESC, id DESC"
            ))?
            .query_map([class_id], Note::from_row)?
            .collect()
        })
    }

    /// Replaces the Markdown of a live note (the student edited it). Its citations stay: they
    /// are the list of sources, whether or not the edit kept every marker.
    pub fn update_markdown(&self, id: &NoteId, markdown: &str) -> Result<(), StoreError> {
        self.update("edit a note", id, "markdown", markdown)
    }

    /// Renames a live note.
    pub fn rename(&self, id: &NoteId, title: &str) -> Result<(), StoreError> {
        let title = non_empty("note title", title)?;
        self.update("rename a note", id, "title", title)
    }

    /// Deletes a note (as a tombstone, so sync peers delete it too).
    pub fn delete(&self, id: &NoteId) -> Result<(), StoreError> {
        let changed = self.store.write("delete a note", |tx| {
            tombstone_live(tx, "notes", "id", id, now_ms())
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }

    /// Sets one text `column` (a `'static` name from this file, never input) of a live note.
    fn update(
        &self,
        operation: &'static str,
        id: &NoteId,
        column: &'static str,
        value: &str,
    ) -> Result<(), StoreError> {
        let changed = self.store.write(operation, |tx| {
            tx.execute(
                &format!(
                    "UPDATE notes SET {column} = ?2, updated_at = ?3
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

fn not_found(id: &NoteId) -> StoreError {
    StoreError::NotFound {
        entity: "note",
        id: id.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::lectures::tests::store_with_lecture;
    use crate::store::test_support::row_change_seq;
    use crate::store::{ChunkId, NewJob, SourceLocator};

    fn generated(lecture: &crate::store::Lecture, job: Option<JobId>) -> NewNote {
        NewNote {
            class_id: lecture.class_id.clone(),
            scope: NoteScope::Lecture(lecture.id.clone()),
            title: " Cells — notes ".into(),
            markdown: "## Key points\n\n- Cells are small. [1] (Cells @ 12:34)\n".into(),
            citations: vec![Citation {
                marker: 1,
                chunk_id: ChunkId::from("chunk-1".to_owned()),
                locator: SourceLocator::LectureSpan {
                    lecture_id: lecture.id.clone(),
                    start_ms: 754_000,
                    end_ms: 760_000,
                },
                label: "Cells @ 12:34".into(),
            }],
            source_job_id: job,
        }
    }

    #[test]
    fn create_edit_rename_list_and_delete() {
        let (_dir, store, lecture) = store_with_lecture();
        let notes = store.notes();
        let note = notes.create(&generated(&lecture, None)).unwrap();
        assert_eq!(note.title, "Cells — notes");
        assert_eq!(note.citations[0].label, "Cells @ 12:34");
        assert_eq!(notes.get(&note.id).unwrap(), note);

        let seq = row_change_seq(&store, "notes", note.id.as_str());
        notes
            .update_markdown(&note.id, "## Mine\n\nRewritten.")
            .unwrap();
        notes.rename(&note.id, "My cells").unwrap();
        let edited = notes.get(&note.id).unwrap();
        assert_eq!(
            (edited.title.as_str(), edited.markdown.as_str()),
            ("My cells", "## Mine\n\nRewritten.")
        );
        assert_eq!(
            edited.citations, note.citations,
            "an edit keeps the sources"
        );
        assert!(row_change_seq(&store, "notes", note.id.as_str()) > seq);

        let class_note = notes
            .create(&NewNote {
                scope: NoteScope::Class,
                title: "Whole class".into(),
                markdown: String::new(),
                citations: Vec::new(),
                ..generated(&lecture, None)
            })
            .unwrap();
        let listed: Vec<NoteId> = notes
            .list_by_class(&lecture.class_id)
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect();
        assert_eq!(listed.len(), 2);
        assert!(listed.contains(&class_note.id));

        notes.delete(&note.id).unwrap();
        assert!(matches!(
            notes.get(&note.id),
            Err(StoreError::NotFound { entity: "note", .. })
        ));
        assert!(matches!(
            notes.delete(&note.id),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(notes.list_by_class(&lecture.class_id).unwrap().len(), 1);
    }

    #[test]
    fn bad_input_is_refused_and_stores_nothing() {
        let (_dir, store, lecture) = store_with_lecture();
        let notes = store.notes();
        let untitled = NewNote {
            title: "  ".into(),
            ..generated(&lecture, None)
        };
        assert!(matches!(
            notes.create(&untitled),
            Err(StoreError::Invalid {
                field: "note title",
                ..
            })
        ));
        let profile = store.profiles().create("Bo").unwrap();
        let other_class = store.classes().create(&profile.id, "History").unwrap();
        let wrong_class = NewNote {
            class_id: other_class.id.clone(),
            ..generated(&lecture, None)
        };
        let error = notes.create(&wrong_class).unwrap_err();
        assert!(
            error.to_string().contains("not a live part of class"),
            "{error}"
        );
        assert!(notes.list_by_class(&lecture.class_id).unwrap().is_empty());
        assert!(notes.list_by_class(&other_class.id).unwrap().is_empty());
        let note = notes.create(&generated(&lecture, None)).unwrap();
        assert!(matches!(
            notes.rename(&note.id, ""),
            Err(StoreError::Invalid { .. })
        ));
        assert_eq!(notes.get(&note.id).unwrap().title, note.title);
    }

    #[test]
    fn a_job_stores_its_note_once() {
        let (_dir, store, lecture) = store_with_lecture();
        let job = store
            .jobs()
            .enqueue(&NewJob::new("notes", serde_json::json!({})))
            .unwrap()
            .id()
            .clone();
        let first = store
            .notes()
            .create(&generated(&lecture, Some(job.clone())))
            .unwrap();
        let again = store
            .notes()
            .create(&generated(&lecture, Some(job.clone())))
            .unwrap();
        assert_eq!(again.id, first.id);
        assert_eq!(
            store.notes().find_by_job(&job).unwrap().unwrap().id,
            first.id
        );
        assert_eq!(
            store
                .notes()
                .list_by_class(&lecture.class_id)
                .unwrap()
                .len(),
            1
        );
    }
}
