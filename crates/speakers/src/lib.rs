//! Speaker labels for lecture transcripts, on-device: who speaks in which segment.
//!
//! One job: 16 kHz mono speech → speaker embeddings → speakers.
//!
//! - [`SpeakerEncoder`] is Resemblyzer's GE2E speaker encoder (a 3-layer LSTM trained to put
//!   utterances of one voice close together), re-implemented in pure Rust: the librosa-style
//!   mel spectrogram of [`mel`] (FFT by `realfft`), the LSTM forward pass, partial utterances
//!   averaged as Resemblyzer does. Its weights are catalog model [`MODEL_ID`], converted from
//!   the PyPI wheel's PyTorch checkpoint to safetensors by `scripts/fetch-models`. Its output
//!   matches an independent numpy implementation (`scripts/speaker_reference.py`): at most
//!   1.4e-7 apart, tested to 1e-4 (`tests/reference.rs`).
//! - [`assign_speakers`] groups the segments' embeddings into speakers: average-linkage
//!   clustering on cosine distance with a threshold, short segments joining the nearest
//!   speaker (see [`cluster`]).
//!
//! The default threshold (average cosine distance 0.25) was calibrated on espeak-ng voices,
//! segment by segment as whisper cuts them (1–4 s): one voice's segments lie 0.11 apart on
//! average (at most 0.15), a clearly different voice's 0.29–0.37 from them; one voice stayed one
//! speaker at every threshold from 0.15 up, and two clearly different voices (`en-us` against the
//! `Annie`, `f2` and pitch-70 `f5` variants) were told apart at every threshold from 0.20 to 0.25
//! (up to 0.35 for Annie). Variants that differ mainly in pitch (`-p 80`, `m3`) merge into one
//! speaker above 0.15. It has not been calibrated on recordings of real
//! people (none are available offline here): [`ClusterSettings`] makes it a setting. See the
//! README's "Speaker labels" section for the numbers and the limits.

pub mod cluster;
pub mod encoder;
pub mod mel;

use std::path::PathBuf;

pub use cluster::{ClusterSettings, SegmentVoice, assign_speakers};
pub use encoder::{EMBEDDING_SIZE, Embedding, SpeakerEncoder};

/// Catalog id of the speaker encoder in the models folder.
pub const MODEL_ID: &str = "resemblyzer-ge2e";

/// File name of the encoder's weights inside its model folder.
pub const MODEL_FILE: &str = "speaker_encoder.safetensors";

/// The sample rate the encoder takes (mono).
pub const SAMPLE_RATE: u32 = 16_000;

/// What can go wrong while loading the encoder or embedding speech.
#[derive(Debug, thiserror::Error)]
pub enum SpeakerError {
    /// The model file could not be read.
    #[error("cannot read the speaker model {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The model file is not the expected encoder.
    #[error("the speaker model is not usable: {0}")]
    Model(String),
    /// The audio is empty or silent: there is no voice to describe.
    #[error("no speech to take a speaker embedding from")]
    NoSpeech,
}
