//! The engine traits: the only way the core talks to speech recognition, language models,
//! embeddings and speech synthesis.
//!
//! The traits are synchronous and report streaming output through callbacks; async callers run
//! them on a blocking thread. Each implementation turns its own failures into [`EngineError`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A failure of an inference engine, specific enough to show to a user.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The model file is missing, unreadable, or not a model of the expected kind.
    #[error("model {path}: {problem}")]
    BadModel {
        /// The model file that was rejected.
        path: PathBuf,
        /// What is wrong with it, in words.
        problem: String,
    },
    /// An input file (audio, text) could not be used.
    #[error("input {path}: {problem}")]
    BadInput {
        /// The input file that was rejected.
        path: PathBuf,
        /// What is wrong with it, in words.
        problem: String,
    },
    /// The request does not fit in the model's context window; nothing was truncated.
    #[error("context overflow: {needed} tokens needed but the model's context holds {limit}")]
    ContextOverflow {
        /// Tokens the request needs (prompt plus requested output).
        needed: usize,
        /// The context size the model was loaded with.
        limit: usize,
    },
    /// A worker process died or misbehaved; carries the last lines it wrote to stderr.
    #[error("{worker} worker crashed: {reason}{}", stderr_excerpt(.stderr_tail))]
    WorkerCrashed {
        /// Which worker ("stt", "llm", ...).
        worker: String,
        /// How it ended (exit status, signal, protocol violation).
        reason: String,
        /// The last lines of the worker's stderr.
        stderr_tail: Vec<String>,
    },
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// Any other engine failure, with its message.
    #[error("{0}")]
    Other(String),
}

fn stderr_excerpt(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("\n--- last worker output ---\n{}", lines.join("\n"))
    }
}

/// One timed piece of a transcript, as produced by a [`Transcriber`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptSegment {
    /// Start of the segment, in milliseconds from the start of the audio.
    pub start_ms: u64,
    /// End of the segment, in milliseconds from the start of the audio.
    pub end_ms: u64,
    /// The recognised text, trimmed.
    pub text: String,
}

/// Options for one transcription.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TranscribeOptions {
    /// A fixed language code ("en"), or `None` to auto-detect.
    pub language: Option<String>,
    /// CPU threads for the engine; `None` uses the engine's safe default.
    pub threads: Option<u32>,
}

/// Speech to text.
pub trait Transcriber: Send + Sync {
    /// Transcribes a 16 kHz mono WAV file, calling `on_segment` for each segment as soon as it
    /// is final, and returns all segments in time order.
    fn transcribe(
        &self,
        wav: &Path,
        options: &TranscribeOptions,
        on_segment: &mut dyn FnMut(&TranscriptSegment),
    ) -> Result<Vec<TranscriptSegment>, EngineError>;
}

/// Who said a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    /// Instructions to the model.
    System,
    /// The student.
    User,
    /// The model.
    Assistant,
}

/// One message of a conversation sent to an [`Llm`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who said it.
    pub role: ChatRole,
    /// What was said.
    pub content: String,
}

/// Options for one generation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenerateOptions {
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// Sampling temperature; 0 is greedy.
    pub temperature: f32,
    /// Sampling seed, for reproducible output.
    pub seed: u32,
    /// When set, output is constrained by grammar to JSON matching this JSON Schema.
    pub json_schema: Option<serde_json::Value>,
    /// CPU threads for the engine; `None` uses the engine's safe default.
    pub threads: Option<u32>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            max_tokens: 512,
            temperature: 0.7,
            seed: 42,
            json_schema: None,
            threads: None,
        }
    }
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its answer.
    Stop,
    /// `max_tokens` was reached; the text may be incomplete.
    Length,
}

/// The outcome of one generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    /// The full generated text.
    pub text: String,
    /// Tokens in the prompt after the chat template was applied.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
    /// Why generation stopped.
    pub finish_reason: FinishReason,
    /// Generation speed, tokens per second (excluding prompt processing).
    pub tokens_per_second: f64,
}

/// A local language model.
pub trait Llm: Send + Sync {
    /// Generates a reply to `messages` using the model's chat template, calling `on_token` with
    /// each piece of text as it is produced.
    fn chat(
        &self,
        messages: &[ChatMessage],
        options: &GenerateOptions,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<Generation, EngineError>;

    /// Counts the tokens of `text` with the model's own tokenizer.
    fn count_tokens(&self, text: &str) -> Result<usize, EngineError>;

    /// The context window the model is loaded with, in tokens.
    fn context_size(&self) -> Result<usize, EngineError>;
}

/// Text to vectors.
pub trait Embedder: Send + Sync {
    /// Embeds each text into a unit-length vector of [`Embedder::dimensions`] floats.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EngineError>;

    /// The length of every vector this embedder returns.
    fn dimensions(&self) -> usize;
}

/// Mono PCM audio produced by a [`Synthesizer`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechAudio {
    /// Samples in the range -1.0..=1.0.
    pub samples: Vec<f32>,
    /// Samples per second.
    pub sample_rate: u32,
}

/// Text to speech.
pub trait Synthesizer: Send + Sync {
    /// Synthesises `text` sentence by sentence, calling `on_sentence` with each sentence's audio
    /// as soon as it is ready (so playback can start early), and returns the whole utterance.
    fn synthesize(
        &self,
        text: &str,
        on_sentence: &mut dyn FnMut(&SpeechAudio),
    ) -> Result<SpeechAudio, EngineError>;
}
