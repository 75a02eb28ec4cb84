//! Chunks: the pieces of text that search indexes, each with the place it came from.
//!
//! Chunks are derived data (the index job makes them from transcripts and pages), so they are
//! local-only and deleted for real when their source is re-chunked.

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{DocumentId, LectureId, Store, StoreError, UnixMillis, now_ms};

id_type!(
    /// The id of a [`Chunk`].
    ChunkId
);

/// Where a chunk's text comes from; a citation shows and opens this place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceLocator {
    /// A page of a document.
    DocumentPage {
        /// The document.
        document_id: DocumentId,
        /// 1-based page number.
        page: u32,
    },
    /// A time span of a lecture.
    LectureSpan {
        /// The lecture.
        lecture_id: LectureId,
        /// Start of the span, in ms from the start of the media.
        start_ms: u64,
        /// End of the span, in ms from the start of the media.
        end_ms: u64,
    },
}

impl SourceLocator {
    /// The document or lecture this place is in.
    pub fn source(&self) -> ChunkSource {
        match self {
            Self::DocumentPage { document_id, .. } => ChunkSource::Document(document_id.clone()),
            Self::LectureSpan { lecture_id, .. } => ChunkSource::Lecture(lecture_id.clone()),
        }
    }
}

/// A whole source of chunks: a document or a lecture.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ChunkSource {
    /// All chunks of a document.
    Document(DocumentId),
    /// All chunks of a lecture.
    Lecture(LectureId),
}

impl ChunkSource {
    /// The WHERE clause (using `?1`) selecting this source's chunks, in the columns the
    /// partial indexes cover, and the ORDER BY that reads them in source order.
    fn filter(&self) -> (&'static str, &'static str) {
        match self {
            Self::Document(_) => ("document_id = ?1", "page_number, rowid"),
            Self::Lecture(_) => ("lecture_id = ?1", "start_ms, end_ms, rowid"),
        }
    }

    pub(super) fn id(&self) -> &str {
        match self {
            Self::Document(id) => id.as_str(),
            Self::Lecture(id) => id.as_str(),
        }
    }
}

/// A chunk to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChunk {
    /// Where the text comes from.
    pub locator: SourceLocator,
    /// The text that is indexed and shown as context.
    pub text: String,
}

/// A stored chunk.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Chunk {
    /// Local id (search indexes refer to it).
    pub id: ChunkId,
    /// Where the text comes from.
    pub locator: SourceLocator,
    /// The text.
    pub text: String,
    /// When it was made.
    pub created_at: UnixMillis,
}

impl Chunk {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        let document_id: Option<DocumentId> = row.get("document_id")?;
        let locator = match document_id {
            Some(document_id) => SourceLocator::DocumentPage {
                document_id,
                page: row.get("page_number")?,
            },
            None => SourceLocator::LectureSpan {
                lecture_id: row.get("lecture_id")?,
                start_ms: row.get("start_ms")?,
                end_ms: row.get("end_ms")?,
            },
        };
        Ok(Self {
            id: row.get("id")?,
            locator,
            text: row.get("text")?,
            created_at: row.get("created_at")?,
        })
    }
}

/// The chunk repository, borrowed from [`Store::chunks`].
pub struct Chunks<'s> {
    store: &'s Store,
}

impl<'s> Chunks<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Inserts `chunks` all or nothing and returns their ids, in the same order.
    pub fn insert_batch(&self, chunks: &[NewChunk]) -> Result<Vec<ChunkId>, StoreError> {
        self.store
            .write("insert chunks", |tx| insert_chunks(tx, chunks, now_ms()))
    }

    /// One chunk.
    pub fn get(&self, id: &ChunkId) -> Result<Chunk, StoreError> {
        self.store
            .read("read a chunk", |conn| {
                conn.prepare_cached(
                    "SELECT id, document_id, page_number, lecture_id, start_ms, end_ms, text,
                            created_at
                     FROM chunks WHERE id = ?1",
                )?
                .query_row([id], Chunk::from_row)
                .optional()
            })?
            .ok_or_else(|| StoreError::NotFound {
                entity: "chunk",
                id: id.to_string(),
            })
    }

    /// How many chunks a source has.
    pub fn count_by_source(&self, source: &ChunkSource) -> Result<u64, StoreError> {
        let (filter, _) = source.filter();
        self.store.read("count chunks", |conn| {
            conn.query_row(
                &format!("SELECT count(*) FROM chunks WHERE {filter}"),
                [source.id()],
                |row| row.get(0),
            )
        })
    }

    /// The chunks of one source, in reading order (page, or time).
    pub fn list_by_source(&self, source: &ChunkSource) -> Result<Vec<Chunk>, StoreError> {
        let (filter, order) = source.filter();
        self.store.read("list chunks", |conn| {
            conn.prepare_cached(&format!(
                "SELECT id, document_id, page_number, lecture_id, start_ms, end_ms, text, created_at
                 FROM chunks WHERE {filter} ORDER BY {order}"
            ))?
            .query_map([source.id()], Chunk::from_row)?
            .collect()
        })
    }

    /// Replaces every chunk of `source` by `chunks` (which must all belong to it) in one
    /// transaction, so a reader sees the old chunks or the new ones, never a mix. The old chunks'
    /// embeddings go with them (foreign key). Returns the new ids, in order.
    pub fn replace_source(
        &self,
        source: &ChunkSource,
        chunks: &[NewChunk],
    ) -> Result<Vec<ChunkId>, StoreError> {
        if let Some(stranger) = chunks.iter().find(|c| &c.locator.source() != source) {
            return Err(StoreError::Invalid {
                field: "chunks",
                problem: format!(
                    "a chunk of {:?} cannot replace the chunks of {source:?}",
                    stranger.locator.source()
                ),
            });
        }
        let (filter, _) = source.filter();
        self.store.write("replace chunks", |tx| {
            tx.execute(&format!("DELETE FROM chunks WHERE {filter}"), [source.id()])?;
            insert_chunks(tx, chunks, now_ms())
        })
    }

    /// The chunks of `source` that have no embedding by `model_id` yet, in reading order: what
    /// an interrupted index job still has to embed.
    pub fn list_unembedded(
        &self,
        source: &ChunkSource,
        model_id: &str,
    ) -> Result<Vec<Chunk>, StoreError> {
        let (filter, order) = source.filter();
        self.store.read("list chunks without embeddings", |conn| {
            conn.prepare_cached(&format!(
                "SELECT id, document_id, page_number, lecture_id, start_ms, end_ms, text, created_at
                 FROM chunks
                 WHERE {filter} AND NOT EXISTS (
                     SELECT 1 FROM embeddings e WHERE e.chunk_id = chunks.id AND e.model_id = ?2)
                 ORDER BY {order}"
            ))?
            .query_map(params![source.id(), model_id], Chunk::from_row)?
            .collect()
        })
    }

    /// How many chunks the database holds in all.
    pub fn count(&self) -> Result<u64, StoreError> {
        self.store.read("count chunks", |conn| {
            conn.query_row("SELECT count(*) FROM chunks", [], |row| row.get(0))
        })
    }

    /// Deletes every chunk of a source (and, through the foreign key, their embeddings) before
    /// it is chunked again. Returns how many were deleted.
    pub fn delete_by_source(&self, source: &ChunkSource) -> Result<usize, StoreError> {
        let (filter, _) = source.filter();
        self.store.write("delete chunks", |tx| {
            tx.execute(&format!("DELETE FROM chunks WHERE {filter}"), [source.id()])
        })
    }
}

/// Inserts `chunks` inside the caller's transaction (see [`Chunks::insert_batch`]) and returns
/// their ids, in the same order.
pub(super) fn insert_chunks(
    tx: &Transaction<'_>,
    chunks: &[NewChunk],
    now: UnixMillis,
) -> rusqlite::Result<Vec<ChunkId>> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO chunks (id, document_id, page_number, lecture_id, start_ms, end_ms,
                             text, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut ids = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let id = ChunkId::generate();
        match &chunk.locator {
            SourceLocator::DocumentPage { document_id, page } => insert.execute(params![
                id,
                document_id,
                page,
                None::<&str>,
                None::<u64>,
                None::<u64>,
                chunk.text,
                now
            ])?,
            SourceLocator::LectureSpan {
                lecture_id,
                start_ms,
                end_ms,
            } => insert.execute(params![
                id,
                None::<&str>,
                None::<u32>,
                lecture_id,
                start_ms,
                end_ms,
                chunk.text,
                now
            ])?,
        };
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::documents::tests::store_with_document;
    use crate::store::test_support::count_rows;
    use crate::store::{Document, NewLecture};

    fn page_chunk(document: &Document, page: u32, text: &str) -> NewChunk {
        NewChunk {
            locator: SourceLocator::DocumentPage {
                document_id: document.id.clone(),
                page,
            },
            text: text.into(),
        }
    }

    fn span_chunk(lecture_id: &LectureId, start_ms: u64, end_ms: u64, text: &str) -> NewChunk {
        NewChunk {
            locator: SourceLocator::LectureSpan {
                lecture_id: lecture_id.clone(),
                start_ms,
                end_ms,
            },
            text: text.into(),
        }
    }

    /// The fixture document plus a lecture in the same class.
    fn store_with_both() -> (tempfile::TempDir, Store, Document, LectureId) {
        let (dir, store, document) = store_with_document();
        let lecture = store
            .lectures()
            .create(&NewLecture {
                class_id: document.class_id.clone(),
                title: "Cells".into(),
                media_path: "media/ab.wav".into(),
                media_hash: "ab".into(),
            })
            .unwrap();
        (dir, store, document, lecture.id)
    }

    #[test]
    fn insert_list_by_source_and_delete_by_source() {
        let (_dir, store, document, lecture) = store_with_both();
        let ids = store
            .chunks()
            .insert_batch(&[
                page_chunk(&document, 2, "page two"),
                span_chunk(&lecture, 60_000, 90_000, "minute one"),
                page_chunk(&document, 1, "page one, part a"),
                page_chunk(&document, 1, "page one, part b"),
                span_chunk(&lecture, 0, 30_000, "start"),
            ])
            .unwrap();
        assert_eq!(ids.len(), 5);

        let document_source = ChunkSource::Document(document.id.clone());
        let texts = |source: &ChunkSource| -> Vec<String> {
            store
                .chunks()
                .list_by_source(source)
                .unwrap()
                .into_iter()
                .map(|c| c.text)
                .collect()
        };
        assert_eq!(
            texts(&document_source),
            ["page one, part a", "page one, part b", "page two"]
        );
        let lecture_chunks = store
            .chunks()
            .list_by_source(&ChunkSource::Lecture(lecture.clone()))
            .unwrap();
        assert_eq!(lecture_chunks[0].text, "start");
        assert_eq!(
            lecture_chunks[1].locator,
            SourceLocator::LectureSpan {
                lecture_id: lecture.clone(),
                start_ms: 60_000,
                end_ms: 90_000
            }
        );
        assert_eq!(lecture_chunks[1].id, ids[1]);
        assert_eq!(
            lecture_chunks[1].locator.source(),
            ChunkSource::Lecture(lecture.clone())
        );

        assert_eq!(
            store.chunks().delete_by_source(&document_source).unwrap(),
            3
        );
        assert!(texts(&document_source).is_empty());
        assert_eq!(
            texts(&ChunkSource::Lecture(lecture)).len(),
            2,
            "the other source is untouched"
        );
    }

    #[test]
    fn a_bad_chunk_in_the_middle_leaves_nothing_written() {
        let (_dir, store, document, lecture) = store_with_both();
        let batch = [
            page_chunk(&document, 1, "fine"),
            span_chunk(&lecture, 5_000, 1_000, "backwards span"),
            page_chunk(&document, 2, "also fine"),
        ];
        let err = store.chunks().insert_batch(&batch).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Db {
                    operation: "insert chunks",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(count_rows(&store, "chunks"), 0);

        let unknown_lecture = LectureId::from("ghost".to_string());
        let batch = [
            page_chunk(&document, 1, "fine"),
            span_chunk(&unknown_lecture, 0, 1, "orphan"),
        ];
        assert!(store.chunks().insert_batch(&batch).is_err());
        assert_eq!(count_rows(&store, "chunks"), 0);
    }

    #[test]
    fn locators_serialise_with_a_kind_tag() {
        let locator = SourceLocator::DocumentPage {
            document_id: DocumentId::from("d1".to_string()),
            page: 4,
        };
        assert_eq!(
            serde_json::to_value(&locator).unwrap(),
            serde_json::json!({"kind": "document_page", "document_id": "d1", "page": 4})
        );
    }
}
