//! The failures of search, with the folder, chunk or input they concern.

use std::path::PathBuf;

use lm_core::store::StoreError;

/// A failure of indexing or searching.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A file or folder of the index could not be created, read or removed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was attempted ("create the folder", "remove the damaged index", ...).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// Another program (or another window of the app) is writing to this index.
    #[error(
        "the search index in {path} is in use by another Little Monster window or process; \
         close it and try again"
    )]
    Locked {
        /// The index folder.
        path: PathBuf,
    },
    /// The full-text index failed; `operation` says what it was doing.
    #[error("the full-text index in {path} failed to {operation}: {source}")]
    FullText {
        /// The index folder.
        path: PathBuf,
        /// What the index was doing, in words ("commit", "search", ...).
        operation: &'static str,
        /// tantivy's error.
        source: tantivy::TantivyError,
    },
    /// An indexed entry lacks a field every entry has: the index is damaged and should be
    /// rebuilt ([`crate::SearchIndex::rebuild`]).
    #[error(
        "the full-text index in {path} is damaged (an entry has no {field}); rebuild the index"
    )]
    Damaged {
        /// The index folder.
        path: PathBuf,
        /// The missing or malformed field.
        field: &'static str,
    },
    /// A vector does not have the dimensions of the index's embedding model.
    #[error("{what} has {found} dimensions, but the index holds {expected}-dimensional vectors")]
    Dimensions {
        /// Which vector ("the query embedding", "the embedding of chunk X").
        what: String,
        /// Its length.
        found: usize,
        /// The index's dimensions.
        expected: usize,
    },
    /// A vector cannot be compared by direction (all zeros, NaN or infinite values).
    #[error("{what} is not a usable vector: {problem}")]
    BadVector {
        /// Which vector.
        what: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Reading the chunks or embeddings from the library database failed.
    #[error("cannot read the library database to update the search index: {0}")]
    Store(#[from] StoreError),
}
