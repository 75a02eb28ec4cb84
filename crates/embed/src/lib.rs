//! Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX) through fastembed, implementing
//! [`lm_core::engines::Embedder`].
//!
//! fastembed is pinned to 5.17.3 because it is the newest release built on `ort` 2.0.0-rc.12, the
//! version `piper-rs` (in `lm-tts`) pins; `ort-sys` links one ONNX Runtime per build, so both
//! engines must agree. ONNX Runtime itself is loaded at run time by `lm-onnx-runtime`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};
use lm_core::engines::{Embedder, EngineError};

/// Catalog id of the embedding model in the models folder.
pub const MODEL_ID: &str = "minilm-l6-v2";

/// Length of every all-MiniLM-L6-v2 vector.
pub const DIMENSIONS: usize = 384;

/// all-MiniLM-L6-v2 was trained on sequences of up to 256 tokens (sentence-transformers'
/// `max_seq_length`); longer input is truncated there, as it is here.
pub const MAX_TOKENS: usize = 256;

const MODEL_FILE: &str = "model.onnx";
const TOKENIZER_FILE: &str = "tokenizer.json";
const CONFIG_FILE: &str = "config.json";
const SPECIAL_TOKENS_FILE: &str = "special_tokens_map.json";
const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";

/// How to load a [`FastEmbedder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FastEmbedderOptions {
    /// Folder holding `model.onnx` and the tokenizer files.
    pub model_dir: PathBuf,
    /// The ONNX Runtime shared library to load if this process has not loaded one yet.
    pub onnx_runtime: PathBuf,
    /// ONNX Runtime intra-op threads. One by default: fastembed 5.17 cannot turn off ONNX
    /// Runtime's spin-waiting, and a spinning pool of two threads collapses when the other core is
    /// busy (transcription or an LLM running beside it); one thread has no pool to spin.
    pub threads: usize,
    /// Texts per inference call. Texts are grouped into batches longest first, whatever their
    /// input order, so that each batch pads little.
    pub batch_size: usize,
}

impl Default for FastEmbedderOptions {
    /// The catalog model and ONNX Runtime from [`lm_core::paths::models_dir`], one thread,
    /// batches of 32.
    fn default() -> Self {
        Self {
            model_dir: lm_core::paths::models_dir().join(MODEL_ID),
            onnx_runtime: lm_onnx_runtime::default_library_path(),
            threads: 1,
            batch_size: 32,
        }
    }
}

/// all-MiniLM-L6-v2 sentence embeddings: mean pooling over tokens, L2-normalised, 384 floats.
pub struct FastEmbedder {
    // fastembed's `embed` takes `&mut self`; the trait is `&self` and shared across threads.
    model: Mutex<TextEmbedding>,
    batch_size: usize,
}

impl FastEmbedder {
    /// Loads the model described by `options`, loading ONNX Runtime first if needed.
    ///
    /// Fails with [`EngineError::BadModel`] naming the file at fault when the folder or a file is
    /// missing, a tokenizer file is malformed, or `model.onnx` is not a valid ONNX model.
    pub fn new(options: &FastEmbedderOptions) -> Result<Self, EngineError> {
        let dir = &options.model_dir;
        if !dir.is_dir() {
            return Err(bad_model(
                dir,
                "model folder is missing: run scripts/fetch-models",
            ));
        }
        let tokenizer_files = TokenizerFiles {
            tokenizer_file: read_model_file(dir, TOKENIZER_FILE)?,
            config_file: read_model_file(dir, CONFIG_FILE)?,
            special_tokens_map_file: read_model_file(dir, SPECIAL_TOKENS_FILE)?,
            tokenizer_config_file: read_model_file(dir, TOKENIZER_CONFIG_FILE)?,
        };
        let onnx = read_model_file(dir, MODEL_FILE)?;
        lm_onnx_runtime::init(&options.onnx_runtime)?;

        let model =
            UserDefinedEmbeddingModel::new(onnx, tokenizer_files).with_pooling(Pooling::Mean);
        let init = InitOptionsUserDefined::new()
            .with_max_length(MAX_TOKENS)
            .with_intra_threads(options.threads.max(1));
        let embedding = TextEmbedding::try_new_from_user_defined(model, init).map_err(|e| {
            // fastembed builds the ONNX session first and the tokenizer second: an `ort` error
            // is the model's fault, anything else comes from the tokenizer files.
            if e.downcast_ref::<ort::Error>().is_some() {
                bad_model(
                    &dir.join(MODEL_FILE),
                    &format!("not a loadable ONNX model: {e:#}"),
                )
            } else {
                bad_model(dir, &format!("tokenizer files rejected: {e:#}"))
            }
        })?;
        Ok(Self {
            model: Mutex::new(embedding),
            batch_size: options.batch_size.max(1),
        })
    }
}

impl Embedder for FastEmbedder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EngineError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        // Every text of a batch is padded to the batch's longest, so batches of similar lengths
        // waste less work: embed the texts longest first (as sentence-transformers does), then
        // put the vectors back in input order. On the benchmark's 256 sentences this cut the
        // padded tokens by 14 %; lecture chunks vary in length far more.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&index| std::cmp::Reverse(texts[index].len()));
        let by_length: Vec<&str> = order.iter().map(|&index| texts[index]).collect();
        let mut model = self.model.lock().unwrap_or_else(PoisonError::into_inner);
        let sorted_vectors = model
            .embed(&by_length, Some(self.batch_size))
            .map_err(|e| EngineError::Other(format!("embedding failed: {e:#}")))?;
        drop(model);
        let mut vectors = vec![Vec::new(); sorted_vectors.len()];
        for (&index, vector) in order.iter().zip(sorted_vectors) {
            if let Some(slot) = vectors.get_mut(index) {
                *slot = vector;
            }
        }
        if vectors.len() != texts.len() || vectors.iter().any(|v| v.len() != DIMENSIONS) {
            return Err(EngineError::Other(format!(
                "embedding model returned {} vectors of {} floats for {} texts; expected {DIMENSIONS} floats each",
                vectors.len(),
                vectors.first().map_or(0, Vec::len),
                texts.len()
            )));
        }
        Ok(vectors)
    }

    fn dimensions(&self) -> usize {
        DIMENSIONS
    }
}

fn read_model_file(dir: &Path, name: &str) -> Result<Vec<u8>, EngineError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|e| {
        let problem = if e.kind() == std::io::ErrorKind::NotFound {
            "file is missing: run scripts/fetch-models".to_owned()
        } else {
            format!("cannot read: {e}")
        };
        bad_model(&path, &problem)
    })
}

fn bad_model(path: &Path, problem: &str) -> EngineError {
    EngineError::BadModel {
        path: path.to_path_buf(),
        problem: problem.to_owned(),
    }
}
