//! [`SharedIndex`]: one profile's search index, opened on first use and shared by threads.

use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use lm_core::store::Store;
use lm_search::{SearchError, SearchIndex};

/// The search index of one profile, shared by the index job's lane and the searches of one
/// process. It is opened (and brought in line with the database, see [`SearchIndex::open`]) by
/// the first call that needs it, so a process that never indexes or searches never takes the
/// index's lock.
pub struct SharedIndex {
    dir: PathBuf,
    embedding_model: String,
    dims: usize,
    index: RwLock<Option<SearchIndex>>,
}

impl SharedIndex {
    /// The index in `dir` (the profile's index folder) for `dims`-dimensional embeddings stored
    /// under the model id `embedding_model`.
    pub fn new(dir: impl Into<PathBuf>, embedding_model: &str, dims: usize) -> Self {
        Self {
            dir: dir.into(),
            embedding_model: embedding_model.to_owned(),
            dims,
            index: RwLock::new(None),
        }
    }

    /// The index folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The model id under which the embeddings the index holds are stored.
    pub fn embedding_model(&self) -> &str {
        &self.embedding_model
    }

    /// Runs `change` on the index, opening it from `store` first if needed.
    pub fn write<R>(
        &self,
        store: &Store,
        change: impl FnOnce(&mut SearchIndex) -> Result<R, SearchError>,
    ) -> Result<R, SearchError> {
        let mut slot = self.index.write().unwrap_or_else(PoisonError::into_inner);
        let index = match slot.take() {
            Some(index) => index,
            None => self.open(store)?,
        };
        change(slot.insert(index))
    }

    /// Runs `look` on the index, opening it from `store` first if needed. Several readers run
    /// at once; a writer (the index job adding a lecture) waits for them.
    pub fn read<R>(
        &self,
        store: &Store,
        look: impl FnOnce(&SearchIndex) -> Result<R, SearchError>,
    ) -> Result<R, SearchError> {
        {
            let slot = self.index.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(index) = slot.as_ref() {
                return look(index);
            }
        }
        // Not open yet: open it, and look while holding the write lock this once.
        self.write(store, |index| look(index))
    }

    fn open(&self, store: &Store) -> Result<SearchIndex, SearchError> {
        let (index, report) =
            SearchIndex::open(&self.dir, store, &self.embedding_model, self.dims)?;
        if let Some(reason) = &report.rebuilt {
            tracing::info!(
                ?reason,
                chunks = report.chunks,
                "rebuilt the full-text index"
            );
        }
        Ok(index)
    }
}
