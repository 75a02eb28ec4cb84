//! Embedding vectors of chunks, one per (chunk, model), stored as little-endian `f32` blobs.
//!
//! Local-only and rebuildable: deleting a chunk deletes its vectors through the foreign key.

use rusqlite::params;
use rusqlite::types::Type;

use super::{ChunkId, ChunkSource, Store, StoreError, now_ms};

/// The embedding repository, borrowed from [`Store::embeddings`].
pub struct Embeddings<'s> {
    store: &'s Store,
}

impl<'s> Embeddings<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Stores (or replaces) the vectors of `model_id` for the given chunks, all or nothing.
    /// Every vector of one call must have the same, non-zero length.
    pub fn put_batch(
        &self,
        model_id: &str,
        vectors: &[(ChunkId, Vec<f32>)],
    ) -> Result<(), StoreError> {
        let dims = vectors.first().map_or(0, |(_, vector)| vector.len());
        if let Some((chunk, vector)) = vectors
            .iter()
            .find(|(_, vector)| vector.len() != dims || dims == 0)
        {
            return Err(StoreError::Invalid {
                field: "embedding",
                problem: format!(
                    "chunk {chunk} has {} dimensions, expected {dims} (non-zero)",
                    vector.len()
                ),
            });
        }
        self.store.write("store embeddings", |tx| {
            let now = now_ms();
            let mut upsert = tx.prepare_cached(
                "INSERT INTO embeddings (chunk_id, model_id, dims, vector, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (chunk_id, model_id)
                 DO UPDATE SET dims = excluded.dims, vector = excluded.vector,
                               created_at = excluded.created_at",
            )?;
            for (chunk, vector) in vectors {
                upsert.execute(params![chunk, model_id, dims, encode(vector), now])?;
            }
            Ok(())
        })
    }

    /// The vectors of `model_id` for the chunks of one source (what the index job adds to the
    /// vector index once the source is embedded).
    pub fn list_by_source(
        &self,
        model_id: &str,
        source: &ChunkSource,
    ) -> Result<Vec<(ChunkId, Vec<f32>)>, StoreError> {
        let column = match source {
            ChunkSource::Document(_) => "document_id",
            ChunkSource::Lecture(_) => "lecture_id",
        };
        self.store.read("read a source's embeddings", |conn| {
            conn.prepare_cached(&format!(
                "SELECT e.chunk_id, e.vector FROM embeddings e JOIN chunks c ON c.id = e.chunk_id
                 WHERE e.model_id = ?1 AND c.{column} = ?2 ORDER BY e.chunk_id"
            ))?
            .query_map(params![model_id, source.id()], vector_row)?
            .collect()
        })
    }

    /// How many vectors of `model_id` are stored.
    pub fn count_by_model(&self, model_id: &str) -> Result<u64, StoreError> {
        self.store.read("count embeddings", |conn| {
            conn.query_row(
                "SELECT count(*) FROM embeddings WHERE model_id = ?1",
                [model_id],
                |row| row.get(0),
            )
        })
    }

    /// Every vector of `model_id`, for building the in-memory vector index.
    pub fn list_by_model(&self, model_id: &str) -> Result<Vec<(ChunkId, Vec<f32>)>, StoreError> {
        self.store.read("read embeddings", |conn| {
            conn.prepare_cached(
                "SELECT chunk_id, vector FROM embeddings WHERE model_id = ?1 ORDER BY chunk_id",
            )?
            .query_map([model_id], vector_row)?
            .collect()
        })
    }
}

/// A `(chunk_id, vector)` row.
fn vector_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(ChunkId, Vec<f32>)> {
    let bytes: Vec<u8> = row.get(1)?;
    let vector = decode(&bytes).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            Type::Blob,
            format!(
                "an embedding of {} bytes is not a whole number of f32",
                bytes.len()
            )
            .into(),
        )
    })?;
    Ok((row.get(0)?, vector))
}

fn encode(vector: &[f32]) -> Vec<u8> {
    vector
        .iter()
        .flat_map(|value| value.to_le_bytes())
        .collect()
}

fn decode(bytes: &[u8]) -> Option<Vec<f32>> {
    let chunks = bytes.chunks_exact(4);
    if !chunks.remainder().is_empty() {
        return None;
    }
    Some(
        chunks
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::documents::tests::store_with_document;
    use crate::store::test_support::count_rows;
    use crate::store::{ChunkSource, NewChunk, SourceLocator};

    #[test]
    fn vectors_round_trip_bit_exactly_and_follow_their_chunks() {
        let (_dir, store, document) = store_with_document();
        let chunk = |page| NewChunk {
            locator: SourceLocator::DocumentPage {
                document_id: document.id.clone(),
                page,
            },
            text: format!("page {page}"),
        };
        let ids = store.chunks().insert_batch(&[chunk(1), chunk(2)]).unwrap();
        let a = vec![0.25_f32, -1.5, f32::MIN_POSITIVE, 3.0e-8];
        let b = vec![1.0_f32, 0.0, -0.0, 42.0];
        store
            .embeddings()
            .put_batch(
                "minilm",
                &[(ids[0].clone(), a.clone()), (ids[1].clone(), b)],
            )
            .unwrap();
        let replaced = vec![9.0_f32, 8.0, 7.0, 6.0];
        store
            .embeddings()
            .put_batch("minilm", &[(ids[1].clone(), replaced.clone())])
            .unwrap();

        let mut stored = store.embeddings().list_by_model("minilm").unwrap();
        stored.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            stored,
            vec![(ids[0].clone(), a), (ids[1].clone(), replaced)]
        );
        let raw: Vec<u8> = store
            .conn
            .query_row(
                "SELECT vector FROM embeddings WHERE chunk_id = ?1",
                [&ids[0]],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(&raw[..4], &0.25_f32.to_le_bytes(), "stored little-endian");
        assert!(
            store
                .embeddings()
                .list_by_model("other-model")
                .unwrap()
                .is_empty()
        );

        store
            .chunks()
            .delete_by_source(&ChunkSource::Document(document.id.clone()))
            .unwrap();
        assert_eq!(
            count_rows(&store, "embeddings"),
            0,
            "vectors go with their chunks"
        );
    }

    #[test]
    fn mixed_lengths_are_refused_before_writing() {
        let (_dir, store, document) = store_with_document();
        let ids = store
            .chunks()
            .insert_batch(&[NewChunk {
                locator: SourceLocator::DocumentPage {
                    document_id: document.id.clone(),
                    page: 1,
                },
                text: "x".into(),
            }])
            .unwrap();
        let err = store
            .embeddings()
            .put_batch(
                "m",
                &[
                    (ids[0].clone(), vec![1.0, 2.0]),
                    (ids[0].clone(), vec![1.0]),
                ],
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Invalid {
                    field: "embedding",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            store
                .embeddings()
                .put_batch("m", &[(ids[0].clone(), vec![])])
                .is_err()
        );
        assert_eq!(count_rows(&store, "embeddings"), 0);
    }
}
