//! Searching as a front end asks for it: one query, one mode, one filter.

use lm_core::chat::citations;
use lm_core::engines::Embedder;
use lm_core::store::{SourceLocator, Store, StoreError};
use lm_search::{SearchError, SearchFilter, SearchHit, SearchIndex};

/// How to rank the chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Full-text (BM25 over stemmed words): best for exact and rare terms.
    Text,
    /// Semantic (embedding similarity): best for paraphrases.
    Semantic,
    /// Both, fused by reciprocal rank.
    #[default]
    Hybrid,
}

/// What can go wrong while searching.
#[derive(Debug, thiserror::Error)]
pub enum SearchFailure {
    /// The index failed.
    #[error(transparent)]
    Index(#[from] SearchError),
    /// The query could not be embedded.
    #[error("cannot embed the query: {0}")]
    Embed(#[from] lm_core::engines::EngineError),
}

/// The best `limit` chunks for `query` within `filter`, ranked by `mode`. Semantic and hybrid
/// search embed the query with `embedder` (the model the index's vectors come from).
pub fn search(
    index: &SearchIndex,
    embedder: &dyn Embedder,
    query: &str,
    mode: SearchMode,
    filter: &SearchFilter,
    limit: usize,
) -> Result<Vec<SearchHit>, SearchFailure> {
    let embed = || -> Result<Vec<f32>, SearchFailure> {
        embedder.embed(&[query])?.pop().ok_or_else(|| {
            SearchFailure::Embed(lm_core::engines::EngineError::Other(
                "the embedder returned no vector".into(),
            ))
        })
    };
    Ok(match mode {
        SearchMode::Text => index.search_text(query, filter, limit)?,
        SearchMode::Semantic => index.search_semantic(&embed()?, filter, limit)?,
        SearchMode::Hybrid => index.search_hybrid(query, &embed()?, filter, limit)?,
    })
}

/// Where a chunk is, as a student reads it: `Cells @ 12:34` or `Biology notes p. 7` (the same
/// label a chat citation shows).
pub fn location_label(store: &Store, locator: &SourceLocator) -> Result<String, StoreError> {
    let title = match locator {
        SourceLocator::DocumentPage { document_id, .. } => {
            store.documents().get(document_id)?.title
        }
        SourceLocator::LectureSpan { lecture_id, .. } => store.lectures().get(lecture_id)?.title,
    };
    Ok(citations::label(&title, locator))
}
