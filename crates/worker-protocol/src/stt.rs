//! Messages of the speech-to-text worker (`lm-stt-worker`, whisper.cpp).
//!
//! The worker is started as `lm-stt-worker --model PATH [--threads N]`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::Protocol;

/// Marker type naming the stt worker's message set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stt;

impl Protocol for Stt {
    const WORKER: &'static str = "stt";
    type Request = SttRequest;
    type Stream = SttStream;
    type Result = Transcription;
    type Model = WhisperModel;
}

/// What the host asks the stt worker to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SttRequest {
    /// Transcribe a 16 kHz mono WAV file (16-bit integer or 32-bit float samples).
    Transcribe {
        /// The WAV file to read.
        audio_path: PathBuf,
        /// A fixed language code ("en"); `None` auto-detects (multilingual models only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
        /// CPU threads for this request; `None` uses the worker's `--threads`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threads: Option<u32>,
    },
}

/// What the stt worker streams while it transcribes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SttStream {
    /// A segment that whisper has finished; later segments never change it.
    Segment(Segment),
}

/// One timed piece of a transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Start, in milliseconds from the start of the audio.
    pub start_ms: u64,
    /// End, in milliseconds from the start of the audio.
    pub end_ms: u64,
    /// The recognised text, trimmed.
    pub text: String,
    /// The words of `text` with their timings, in order: one per white-space separated word of
    /// `text`, punctuation included. Empty when the worker has none (streamed segments carry
    /// none; older workers never sent any), and then left out of the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
}

/// One word of a [`Segment`] with its timing, from whisper's token timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Word {
    /// Start, in milliseconds from the start of the audio; within its segment.
    pub start_ms: u64,
    /// End, in milliseconds from the start of the audio; within its segment, not before
    /// `start_ms`.
    pub end_ms: u64,
    /// The word as recognised, with the punctuation that follows it ("cells,").
    pub text: String,
}

/// The result of a transcription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcription {
    /// All segments, in time order.
    pub segments: Vec<Segment>,
    /// Length of the audio, in milliseconds.
    pub duration_ms: u64,
    /// The language transcribed (the requested one, or the detected one).
    pub language: String,
}

/// Facts about the whisper model the worker loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhisperModel {
    /// The model file.
    pub path: PathBuf,
    /// whisper.cpp's name for the model size ("tiny", "base", ...).
    pub model_type: String,
    /// Whether the model knows languages other than English (and can detect the language).
    pub multilingual: bool,
}
