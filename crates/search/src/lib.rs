//! Little Monster's search over the chunks of a student's lectures and documents.
//!
//! Three ways to search, each scoped to one class or to everything and filtered by kind of
//! source and creation date ([`SearchFilter`]):
//! - full-text: tantivy, BM25, English stemming, highlighted snippets ([`TextIndex`]);
//! - semantic: exact cosine similarity over the chunk embeddings ([`VectorIndex`]);
//! - hybrid: both rankings fused by reciprocal rank ([`reciprocal_rank_fusion`], k = [`RRF_K`]).
//!
//! Every hit carries its [`lm_core::store::SourceLocator`], so the caller can open the PDF page
//! or seek the lecture. SQLite is the source of truth: [`SearchIndex`] builds both indexes from
//! the profile database, keeps them in step ([`SearchIndex::sync`]) and rebuilds the on-disk
//! full-text index when it is missing or damaged. Query embeddings come from the caller (the
//! embedder lives in `lm-embed`), so this crate needs no inference runtime.

mod error;
mod filter;
mod fusion;
mod hit;
mod index;
mod text;
mod vector;

pub use error::SearchError;
pub use filter::{ClassChunk, Scope, SearchFilter, SourceKind};
pub use fusion::{FusedRank, RRF_K, reciprocal_rank_fusion};
pub use hit::{SNIPPET_CHARS, SearchHit, Snippet};
pub use index::{
    EmbeddedChunk, FULL_TEXT_FOLDER, FUSION_DEPTH, RebuildReason, SearchIndex, SyncReport,
    live_chunks,
};
pub use text::TextIndex;
pub use vector::{VectorHit, VectorIndex};
