//! Little Monster's knowledge pipeline: what turns stored transcripts and documents into
//! searchable, citable knowledge, and what front ends call to search it and to ground answers.
//!
//! - [`IndexHandler`] runs the durable `index` job ([`lm_core::ingest::IndexRequest`], queued
//!   after a transcription and after a document import): chunk a lecture's transcript, embed the
//!   chunks in batches (the stored embeddings are the checkpoint), then update the search index.
//! - [`SharedIndex`] is the profile's [`lm_search::SearchIndex`], opened on first use and shared
//!   by the index job and the searches of one process.
//! - [`search`] runs a full-text, semantic or hybrid search ([`SearchMode`]).
//! - [`HybridRetriever`] implements [`lm_core::chat::Retriever`] over hybrid search, keeping only
//!   passages similar enough to the question ([`MIN_SIMILARITY`]), so that a question the
//!   material does not cover gets "nothing found" instead of an invented answer.
//! - [`LazyEmbedder`] loads the embedding model only when the first text needs embedding.
//!
//! This crate takes the embedder as `Arc<dyn Embedder>`, so it needs no inference runtime;
//! front ends pass `lm-embed`'s `FastEmbedder`.

mod index_job;
mod lazy_embedder;
mod retriever;
mod search;
mod shared_index;

pub use index_job::{EMBED_BATCH, IndexHandler};
pub use lazy_embedder::{EmbedderLoader, LazyEmbedder};
pub use retriever::{HybridRetriever, MIN_SIMILARITY};
pub use search::{SearchFailure, SearchMode, location_label, search};
pub use shared_index::SharedIndex;
