//! The knowledge pipeline as the CLI sets it up: the profile's search index and the embedder.

use std::sync::Arc;

use lm_core::engines::Embedder;
use lm_core::library::Library;
use lm_embed::{DIMENSIONS, FastEmbedder, FastEmbedderOptions, MODEL_ID};
use lm_knowledge::{LazyEmbedder, SharedIndex};

/// The profile's search index (opened when first used), holding all-MiniLM-L6-v2 vectors.
pub fn shared_index(library: &Library) -> SharedIndex {
    SharedIndex::new(library.index_dir(), MODEL_ID, DIMENSIONS)
}

/// The installed embedding model, loaded when the first text needs embedding.
pub fn embedder() -> Arc<dyn Embedder> {
    Arc::new(LazyEmbedder::new(
        DIMENSIONS,
        Box::new(|| {
            let embedder = FastEmbedder::new(&FastEmbedderOptions::default())?;
            Ok(Arc::new(embedder) as Arc<dyn Embedder>)
        }),
    ))
}
