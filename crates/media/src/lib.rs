//! Lecture audio and video in, 16 kHz mono WAV out, in pure Rust: no ffmpeg binary is needed at
//! run time.
//!
//! - [`probe`] tells what a file is from its bytes (never its extension): container, codec,
//!   channels, sample rate, duration. A PDF renamed `.mp3`, an empty file or a video without sound
//!   gets a specific [`MediaError`] before any work starts.
//! - [`transcode_to_wav16k`] decodes (symphonia; libopus for Opus), downmixes, resamples (rubato)
//!   and writes a 16-bit mono WAV (hound) in bounded memory, with progress, cancellation and an
//!   atomic rename at the end. Its module documents how cut-off and damaged files are handled.
//! - [`To16k`] is the streaming 16 kHz converter underneath, for audio that arrives live (a
//!   recording's live transcript).
//! - [`content_sha256`] hashes a file's bytes, to spot the same lecture imported twice.
//!
//! Formats read: WAV, MP3, FLAC, Ogg (Vorbis, Opus), MP4/M4A/MOV (AAC-LC audio track),
//! WebM/Matroska (Opus, Vorbis, AAC, FLAC, MP3 audio track), raw AAC (ADTS).

mod error;
mod hash;
mod probe;
mod resample;
mod sniff;
mod transcode;

pub use error::MediaError;
pub use hash::content_sha256;
pub use probe::{MediaInfo, probe};
pub use resample::{Sink, TARGET_RATE, To16k};
pub use transcode::{DecodeProgress, TranscodeReport, transcode_to_wav16k};
