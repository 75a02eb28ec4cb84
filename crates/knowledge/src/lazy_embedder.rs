//! [`LazyEmbedder`]: an embedder that loads its model on first use.

use std::sync::{Arc, Mutex, PoisonError};

use lm_core::engines::{Embedder, EngineError};

/// Loads the real embedder.
pub type EmbedderLoader = Box<dyn Fn() -> Result<Arc<dyn Embedder>, EngineError> + Send + Sync>;

/// An [`Embedder`] that loads the model (hundreds of milliseconds, tens of megabytes) only when
/// the first text needs embedding, so a job runner or a command that never embeds never pays
/// for it. A failed load is tried again on the next call.
pub struct LazyEmbedder {
    dimensions: usize,
    load: EmbedderLoader,
    loaded: Mutex<Option<Arc<dyn Embedder>>>,
}

impl LazyEmbedder {
    /// An embedder of `dimensions`-dimensional vectors that `load` makes when first needed.
    pub fn new(dimensions: usize, load: EmbedderLoader) -> Self {
        Self {
            dimensions,
            load,
            loaded: Mutex::new(None),
        }
    }

    fn get(&self) -> Result<Arc<dyn Embedder>, EngineError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(embedder) = loaded.as_ref() {
            return Ok(Arc::clone(embedder));
        }
        let embedder = (self.load)()?;
        if embedder.dimensions() != self.dimensions {
            return Err(EngineError::Other(format!(
                "the embedding model makes {}-dimensional vectors, {} were expected",
                embedder.dimensions(),
                self.dimensions
            )));
        }
        *loaded = Some(Arc::clone(&embedder));
        Ok(embedder)
    }
}

impl Embedder for LazyEmbedder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EngineError> {
        self.get()?.embed(texts)
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }
}
