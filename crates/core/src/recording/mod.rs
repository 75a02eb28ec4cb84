//! Recording a lecture from a microphone (or any [`AudioSource`]) into a class.
//!
//! A [`RecordingSession`] creates the lecture (status [`LectureStatus::Recording`]) and a WAV file
//! in the profile's `recordings/` folder, writes the audio as it arrives and makes the file valid
//! and durable every [`CHECKPOINT_INTERVAL`], so a crash or power cut loses at most that much. It
//! reports the input level about ten times a second and, given a [`Transcriber`], a live
//! transcript whose segments appear a few seconds after they are spoken (see
//! [`LiveTranscriptSettings`]). Stopping moves
//! the WAV into the content store and keeps the live transcript as the lecture's transcript.
//!
//! After a crash the lecture is still "recording": [`recover_interrupted_recordings`], run when a
//! front end opens the library, repairs the WAV ([`repair_wav`]) and finishes the lecture the
//! same way, with the live transcript segments saved next to the WAV as they were produced.
//!
//! Threads: the source's callback only copies samples into a channel (it may run on a real-time
//! audio thread); a writer thread owns the file, the level meter and the checkpoints; a third
//! thread runs the live transcription. No thread but the caller's touches the database.
//!
//! [`AudioSource`]: crate::engines::AudioSource
//! [`LectureStatus::Recording`]: crate::store::LectureStatus::Recording
//! [`Transcriber`]: crate::engines::Transcriber

mod level;
mod live;
mod recover;
mod session;
mod wav;
mod wav_source;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use level::{InputLevel, SILENCE_DBFS, to_dbfs};
pub use live::LiveTranscriptSettings;
pub use recover::{RecoveredRecording, recover_interrupted_recordings};
pub use session::{
    FinishedRecording, RecordingControls, RecordingEvent, RecordingOptions, RecordingSession,
};
pub use wav::{WavSummary, repair_wav};
pub use wav_source::WavFileSource;

use crate::engines::EngineError;
use crate::library::LibraryError;
use crate::store::StoreError;

/// How often the recording's file is made valid and forced to disk: the most a crash can lose.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(2);

/// A recording that could not start, continue or be finished.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// A file operation failed.
    #[error("cannot {action} the recording {path}: {source}")]
    Io {
        /// What was attempted ("create", "write", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The WAV file is damaged beyond repair, or could not be written.
    #[error("the recording {path} is not usable audio: {problem}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        problem: String,
    },
    /// The microphone (or other source) failed to start.
    #[error("the microphone could not start: {0}")]
    Source(#[source] EngineError),
    /// The source delivers a format that cannot be recorded.
    #[error("the microphone delivers unusable audio ({0})")]
    BadFormat(String),
    /// The library's files or database failed.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A recording thread stopped unexpectedly (a bug); the audio up to the last checkpoint is
    /// still on disk and is recovered on the next start.
    #[error("the recording's {0} thread stopped unexpectedly")]
    ThreadDied(&'static str),
}

impl RecordingError {
    /// A constructor for [`RecordingError::Io`], for `map_err`.
    fn io(action: &'static str, path: &Path) -> impl Fn(std::io::Error) -> Self + use<> {
        let path = path.to_path_buf();
        move |source| Self::Io {
            action,
            path: path.clone(),
            source,
        }
    }

    fn wav(path: &Path, error: hound::Error) -> Self {
        Self::Wav {
            path: path.to_path_buf(),
            problem: error.to_string(),
        }
    }
}
