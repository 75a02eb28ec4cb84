//! The `index` job's request: make a lecture's or document's chunks searchable.
//!
//! The job itself (chunk, embed, index) runs in `lm-knowledge`, which has the embedder and the
//! search index this crate must not depend on; the request lives here so that the transcription
//! job and document import can queue it.

use serde::{Deserialize, Serialize};

use crate::store::{ChunkSource, EnqueueOutcome, NewJob, Store, StoreError};

/// The job kind of indexing one lecture or document.
pub const INDEX_JOB: &str = "index";

/// Priority of index jobs queued by import and transcription (the same as theirs: first come,
/// first served).
const INDEX_PRIORITY: i64 = 0;

/// The arguments of an `index` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexRequest {
    /// The lecture or document to index.
    pub source: ChunkSource,
}

impl IndexRequest {
    /// The job for this request; at most one is queued or running per source.
    pub fn to_job(&self) -> NewJob {
        let key = match &self.source {
            ChunkSource::Document(id) => format!("{INDEX_JOB}:document:{id}"),
            ChunkSource::Lecture(id) => format!("{INDEX_JOB}:lecture:{id}"),
        };
        NewJob {
            priority: INDEX_PRIORITY,
            dedupe_key: Some(key),
            ..NewJob::new(INDEX_JOB, serde_json::json!(self))
        }
    }

    /// Queues the job (or finds the one already queued or running for this source).
    pub fn enqueue(&self, store: &Store) -> Result<EnqueueOutcome, StoreError> {
        store.jobs().enqueue(&self.to_job())
    }
}
