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
    /// Structured output reached the token limit before it was complete.
    #[error(
        "the JSON answer was cut off at max_tokens ({max_tokens}); raise max_tokens or tighten \
         the schema's bounds"
    )]
    OutputCutOff {
        /// The limit that was reached.
        max_tokens: u32,
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
    #[error(
        "the {} worker ({worker}) crashed: {reason}{}",
        worker_role(worker),
        stderr_excerpt(.stderr_tail)
    )]
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

/// What a worker does, for messages a student reads ("stt" means nothing to them).
fn worker_role(worker: &str) -> &'static str {
    match worker {
        "stt" => "speech-to-text",
        "llm" => "language model",
        _ => "engine",
    }
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
    /// The words of `text` with their timings, in order, one per white-space separated word of
    /// `text`: word-level timestamps. Empty when the engine gave none, or when the text changed
    /// so that they no longer line up with it (see [`TranscriptSegment::set_text`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<TimedWord>,
}

/// One word of a [`TranscriptSegment`] with its timing (a word-level timestamp).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedWord {
    /// Start of the word, in ms from the start of the audio.
    pub start_ms: u64,
    /// End of the word, in ms from the start of the audio.
    pub end_ms: u64,
    /// The word as recognised, with the punctuation attached to it.
    pub text: String,
}

impl TranscriptSegment {
    /// A segment without word timings.
    pub fn new(start_ms: u64, end_ms: u64, text: impl Into<String>) -> Self {
        Self {
            start_ms,
            end_ms,
            text: text.into(),
            words: Vec::new(),
        }
    }

    /// The segment with every time, its own and its words', passed through `map` (a shift onto
    /// another timeline, a clamp).
    #[must_use]
    pub fn map_times(mut self, map: impl Fn(u64) -> u64) -> Self {
        self.start_ms = map(self.start_ms);
        self.end_ms = map(self.end_ms);
        for word in &mut self.words {
            word.start_ms = map(word.start_ms);
            word.end_ms = map(word.end_ms);
        }
        self
    }

    /// Replaces the text. The word timings stay when the new text has as many words (split at
    /// white space) as there are timings, the usual case for a typo fix: each timing takes the
    /// new word at its position. Otherwise they are dropped, since they would no longer describe
    /// the text. The same text changes nothing.
    pub fn set_text(&mut self, text: &str) {
        if self.text == text {
            return;
        }
        let new_words: Vec<&str> = text.split_whitespace().collect();
        if new_words.len() == self.words.len() {
            for (word, new_text) in self.words.iter_mut().zip(new_words) {
                new_text.clone_into(&mut word.text);
            }
        } else {
            self.words.clear();
        }
        text.clone_into(&mut self.text);
    }

    /// Whether the word timings line up with the text: one per white-space separated word.
    pub fn words_line_up(&self) -> bool {
        !self.words.is_empty() && self.words.len() == self.text.split_whitespace().count()
    }

    /// Moves the word timings inside the segment's bounds, keeping their order (used after the
    /// segment's edges moved).
    pub fn clamp_words(&mut self) {
        let (start, end) = (self.start_ms, self.end_ms.max(self.start_ms));
        for word in &mut self.words {
            word.start_ms = word.start_ms.clamp(start, end);
            word.end_ms = word.end_ms.clamp(word.start_ms, end);
        }
    }
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

    /// [`Transcriber::transcribe`] that stops with [`EngineError::Cancelled`] when `cancel`
    /// becomes true. The default only looks at the flag before starting; engines that can stop
    /// mid-way (the worker-backed one kills its worker) override it.
    fn transcribe_cancellable(
        &self,
        wav: &Path,
        options: &TranscribeOptions,
        cancel: Option<&std::sync::atomic::AtomicBool>,
        on_segment: &mut dyn FnMut(&TranscriptSegment),
    ) -> Result<Vec<TranscriptSegment>, EngineError> {
        if cancel.is_some_and(|flag| flag.load(std::sync::atomic::Ordering::SeqCst)) {
            return Err(EngineError::Cancelled);
        }
        self.transcribe(wav, options, on_segment)
    }
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
    /// Prompt processing speed, tokens per second.
    pub prompt_tokens_per_second: f64,
}

/// A local language model.
pub trait Llm: Send + Sync {
    /// Generates a reply to `messages` using the model's chat template, calling `on_token` with
    /// each piece of text as it is produced. Stops with [`EngineError::Cancelled`] soon after
    /// `cancel` becomes true (the student pressed Stop).
    fn chat(
        &self,
        messages: &[ChatMessage],
        options: &GenerateOptions,
        cancel: Option<&std::sync::atomic::AtomicBool>,
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

/// A stretch of speech found by a [`VoiceActivityDetector`], on the timeline of the whole
/// recording (milliseconds from its first sample); `start_ms < end_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeechSpan {
    /// Where the speech starts, padding included.
    pub start_ms: u64,
    /// Where the speech ends, padding included.
    pub end_ms: u64,
}

impl SpeechSpan {
    /// The span's length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }
}

/// Finds where people speak in 16 kHz mono audio, so silence, music and noise are never
/// transcribed.
///
/// Streaming: the caller feeds a recording block after block with [`push`](Self::push) (any block
/// length; the detector counts samples itself, so spans are on the whole recording's timeline) and
/// ends it with [`finish`](Self::finish). A recording of any length is thus processed in bounded
/// memory. Spans come out in time order, never overlap, and each is reported once, as soon as it
/// is final.
pub trait VoiceActivityDetector: Send {
    /// Feeds the next `samples_16k` (16 kHz mono, -1.0..=1.0) of the recording and returns the
    /// spans that became final with them (often none).
    fn push(&mut self, samples_16k: &[f32]) -> Result<Vec<SpeechSpan>, EngineError>;

    /// Ends the recording: returns the spans still open, and resets the detector so the next
    /// `push` starts a new recording at 0 ms. It resets even when it fails, so it is also how a
    /// caller abandons a recording after an error.
    fn finish(&mut self) -> Result<Vec<SpeechSpan>, EngineError>;

    /// All spans of a recording held in memory: [`push`](Self::push) then
    /// [`finish`](Self::finish).
    fn speech_spans(&mut self, samples_16k: &[f32]) -> Result<Vec<SpeechSpan>, EngineError> {
        let mut spans = self.push(samples_16k)?;
        spans.extend(self.finish()?);
        Ok(spans)
    }
}

/// One stretch of a recording as a [`SpeakerDiarizer`] sees it: the speaker embedding of its
/// audio (`None` when it held no usable speech) and its length.
#[derive(Debug, Clone, PartialEq)]
pub struct VoiceSample {
    /// What [`SpeakerDiarizer::embed`] gave for its audio.
    pub embedding: Option<Vec<f32>>,
    /// Its length in milliseconds (short stretches are too little to found a speaker on).
    pub duration_ms: u64,
}

/// Tells the voices of a recording apart, for speaker labels on its transcript.
///
/// The caller embeds each transcript segment's audio with [`embed`](Self::embed), then asks
/// [`assign_speakers`](Self::assign_speakers) to group them. Both run on the caller's thread.
pub trait SpeakerDiarizer: Send + Sync {
    /// The speaker embedding of one stretch of speech (16 kHz mono, -1.0..=1.0); `Ok(None)` when
    /// it holds no usable speech (silence, nothing).
    fn embed(&self, samples_16k: &[f32]) -> Result<Option<Vec<f32>>, EngineError>;

    /// A speaker number for each sample, in order: 0, 1, ... in order of first appearance.
    fn assign_speakers(&self, samples: &[VoiceSample]) -> Vec<usize>;
}

/// The shape of the audio an [`AudioSource`] delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioFormat {
    /// Frames per second.
    pub sample_rate: u32,
    /// Samples per frame, interleaved.
    pub channels: u16,
}

/// What an [`AudioSource`] reports while it captures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CaptureEvent<'a> {
    /// Interleaved samples in -1.0..=1.0, whole frames only.
    Frames(&'a [f32]),
    /// The source has no more audio (a file source reached its end); nothing follows.
    Ended,
    /// Capture failed (say, the microphone was unplugged); nothing follows.
    Failed(&'a str),
}

/// Receives an [`AudioSource`]'s events on the source's own thread (often a real-time audio
/// thread), so it must return quickly: hand the samples on, never wait for disk or a model.
pub type CaptureCallback = Box<dyn FnMut(CaptureEvent<'_>) + Send>;

/// A live audio input: a microphone, or a file played as if it were one.
pub trait AudioSource: Send {
    /// The format of the frames [`start`](Self::start) delivers.
    fn format(&self) -> AudioFormat;

    /// Starts capturing, passing every event to `on_event` until [`stop`](Self::stop).
    fn start(&mut self, on_event: CaptureCallback) -> Result<(), EngineError>;

    /// Stops capturing. When it returns, `on_event` has been dropped and is never called again.
    /// Stopping a source that is not running does nothing.
    fn stop(&mut self);
}
