//! The `index` job: a lecture's transcript or a document's chunks made searchable.
//!
//! 1. **Chunk** (lectures only; documents are chunked at import): the stored transcript is cut
//!    with [`chunk_transcript`] and replaces the lecture's old chunks in one transaction. The
//!    job's checkpoint then records that chunking is done, so a resumed job does not chunk
//!    again (which would throw away the embeddings made so far).
//! 2. **Embed** the chunks that have no embedding by the index's model yet, [`EMBED_BATCH`] at a
//!    time. Each batch's vectors are stored in one transaction, and the stored embeddings *are*
//!    the checkpoint: a job killed mid-way resumes with the chunks still missing one, so nothing
//!    is embedded twice or lost. Progress is reported after each batch, and cancellation is
//!    checked between batches.
//! 3. **Index**: the source's entries in the full-text and vector indexes are replaced by its
//!    chunks and embeddings. A crash before this step leaves the index behind the database,
//!    which [`lm_search::SearchIndex::open`] repairs on the next start.
//!
//! A lecture goes `transcribed` → `indexed`. A source deleted before its job runs is removed
//! from the index and the job ends without error.

use std::collections::HashMap;
use std::sync::Arc;

use lm_core::chunking::chunk_transcript;
use lm_core::engines::{Embedder, TranscriptSegment};
use lm_core::ingest::{INDEX_JOB, IndexRequest};
use lm_core::jobs::{JobContext, JobError, JobHandler, Lane};
use lm_core::store::{
    ChunkSource, ClassId, JobProgress, LectureId, LectureStatus, NewChunk, SourceLocator, Store,
    StoreError,
};
use lm_search::{ClassChunk, EmbeddedChunk, SearchError};
use serde::{Deserialize, Serialize};

use crate::shared_index::SharedIndex;

/// Chunks embedded (and stored) per step. 32 is the embedder's own batch size: a step is one
/// inference call, about a second of work on one core, so cancelling is quick and a crash loses
/// at most that.
pub const EMBED_BATCH: usize = 32;

/// Share of the progress bar given to embedding; updating the index fills the rest.
const EMBED_SHARE: f64 = 0.95;

/// Where an index job stands; stored as its checkpoint once the lecture is chunked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct IndexCheckpoint {
    /// The lecture's chunks are written; embeddings come next.
    chunked: bool,
}

/// Runs `index` jobs on the [`Lane::Embed`] lane. See the module documentation.
pub struct IndexHandler {
    index: Arc<SharedIndex>,
    embedder: Arc<dyn Embedder>,
}

impl IndexHandler {
    /// A handler embedding with `embedder` (whose vectors are stored under the index's model
    /// id, [`SharedIndex::embedding_model`]) and updating `index`.
    pub fn new(index: Arc<SharedIndex>, embedder: Arc<dyn Embedder>) -> Self {
        Self { index, embedder }
    }

    /// Cuts the lecture's transcript into chunks, replacing its old ones.
    fn chunk_lecture(
        &self,
        context: &JobContext<'_>,
        lecture_id: &LectureId,
        title: &str,
    ) -> Result<(), JobError> {
        let store = context.store();
        let segments: Vec<TranscriptSegment> = store
            .transcripts()
            .list(lecture_id)?
            .into_iter()
            .map(|row| row.segment)
            .collect();
        let chunks: Vec<NewChunk> = chunk_transcript(title, &segments)
            .into_iter()
            .map(|chunk| NewChunk {
                locator: SourceLocator::LectureSpan {
                    lecture_id: lecture_id.clone(),
                    start_ms: chunk.start_ms,
                    end_ms: chunk.end_ms,
                },
                text: chunk.text.stored(),
            })
            .collect();
        let source = ChunkSource::Lecture(lecture_id.clone());
        store.chunks().replace_source(&source, &chunks)?;
        let checkpoint = serde_json::json!(IndexCheckpoint { chunked: true });
        context.report(
            &progress(
                0.0,
                &format!("cut the transcript into {} chunks", chunks.len()),
            ),
            Some(&checkpoint),
        )
    }

    /// Embeds the source's chunks that have no embedding yet, a batch at a time.
    fn embed(&self, context: &JobContext<'_>, source: &ChunkSource) -> Result<(), JobError> {
        let store = context.store();
        let model = self.index.embedding_model();
        let total = store.chunks().count_by_source(source)?;
        let missing = store.chunks().list_unembedded(source, model)?;
        let mut done = total - missing.len() as u64;
        for batch in missing.chunks(EMBED_BATCH) {
            context.check_cancelled()?;
            let texts: Vec<&str> = batch.iter().map(|chunk| chunk.text.as_str()).collect();
            let vectors = self.embedder.embed(&texts)?;
            if vectors.len() != batch.len() {
                return Err(JobError::Retryable(format!(
                    "the embedder returned {} vectors for {} chunks",
                    vectors.len(),
                    batch.len()
                )));
            }
            let rows: Vec<_> = batch
                .iter()
                .map(|chunk| chunk.id.clone())
                .zip(vectors)
                .collect();
            store.embeddings().put_batch(model, &rows)?;
            done += batch.len() as u64;
            context.report(
                &progress(
                    EMBED_SHARE * done as f64 / total.max(1) as f64,
                    &format!("embedded {done} of {total} chunks"),
                ),
                None,
            )?;
        }
        Ok(())
    }

    /// Replaces the source's entries in the search index by its stored chunks and embeddings.
    fn update_index(
        &self,
        store: &Store,
        source: &ChunkSource,
        class_id: &ClassId,
    ) -> Result<usize, SearchError> {
        let mut vectors: HashMap<_, _> = store
            .embeddings()
            .list_by_source(self.index.embedding_model(), source)?
            .into_iter()
            .collect();
        let entries: Vec<EmbeddedChunk> = store
            .chunks()
            .list_by_source(source)?
            .into_iter()
            .map(|chunk| EmbeddedChunk {
                embedding: vectors.remove(&chunk.id),
                chunk: ClassChunk {
                    class_id: class_id.clone(),
                    chunk,
                },
            })
            .collect();
        self.index.write(store, |index| {
            index.remove_source(source)?;
            index.add(&entries)
        })?;
        Ok(entries.len())
    }
}

impl JobHandler for IndexHandler {
    fn kind(&self) -> &str {
        INDEX_JOB
    }

    fn lane(&self) -> Lane {
        Lane::Embed
    }

    fn run(&self, context: &JobContext<'_>) -> Result<(), JobError> {
        let job = context.job();
        let request: IndexRequest = serde_json::from_value(job.payload.clone()).map_err(|e| {
            JobError::Permanent(format!("job {} is not an index request: {e}", job.id))
        })?;
        let store = context.store();
        let source = request.source;
        let found = match &source {
            ChunkSource::Lecture(id) => store
                .lectures()
                .get(id)
                .map(|lecture| (lecture.class_id, Some(lecture.title))),
            ChunkSource::Document(id) => store.documents().get(id).map(|d| (d.class_id, None)),
        };
        let (class_id, lecture_title) = match found {
            Ok(found) => found,
            Err(StoreError::NotFound { .. }) => {
                // Deleted meanwhile: make sure nothing of it stays searchable.
                self.index
                    .write(store, |index| index.remove_source(&source))
                    .map_err(search_error)?;
                return Ok(());
            }
            Err(other) => return Err(other.into()),
        };
        if let (ChunkSource::Lecture(id), Some(title)) = (&source, &lecture_title) {
            let chunked = job
                .checkpoint
                .clone()
                .and_then(|value| serde_json::from_value::<IndexCheckpoint>(value).ok())
                .is_some_and(|checkpoint| checkpoint.chunked);
            if !chunked {
                self.chunk_lecture(context, id, title)?;
            }
        }
        self.embed(context, &source)?;
        context.check_cancelled()?;
        let indexed = self
            .update_index(store, &source, &class_id)
            .map_err(search_error)?;
        if let ChunkSource::Lecture(id) = &source {
            store.lectures().set_status(id, LectureStatus::Indexed)?;
        }
        context.report(
            &progress(1.0, &format!("{indexed} chunks searchable")),
            None,
        )
    }
}

fn progress(fraction: f64, message: &str) -> JobProgress {
    JobProgress {
        fraction,
        seconds: None,
        message: Some(message.to_owned()),
    }
}

/// An index failure as a job failure: worth retrying (another process holding the index lets
/// go; a damaged index is rebuilt when next opened).
fn search_error(error: SearchError) -> JobError {
    JobError::Retryable(error.to_string())
}
