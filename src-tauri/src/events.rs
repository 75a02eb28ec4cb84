//! Events pushed to the window: job progress, library changes, live transcript segments,
//! recording levels, chat tokens and read-aloud sentences (see docs/ipc.md).

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::Receiver;

use lm_core::jobs::JobEvent;
use lm_core::store::{JobId, JobStatus, Store};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use ts_rs::TS;

use crate::commands::chat::MessageView;
use crate::commands::jobs::{JobSummary, job_class, job_summary};
use crate::commands::lecture::TranscriptSegmentView;
use crate::error::CommandError;

/// Event names, as the UI listens for them.
pub mod names {
    /// A job changed state or moved by a whole percent ([`super::JobSummary`]).
    pub const JOB_PROGRESS: &str = "job-progress";
    /// A lecture or document was added, finished or removed ([`super::LibraryChanged`]).
    pub const LIBRARY_CHANGED: &str = "library-changed";
    /// A transcript segment arrived ([`super::TranscriptSegmentEvent`]).
    pub const TRANSCRIPT_SEGMENT: &str = "transcript-segment";
    /// The microphone level while recording ([`super::RecordingLevel`]).
    pub const RECORDING_LEVEL: &str = "recording-level";
    /// A piece of an answer ([`super::ChatToken`]).
    pub const CHAT_TOKEN: &str = "chat-token";
    /// An answer ended ([`super::ChatDone`]).
    pub const CHAT_DONE: &str = "chat-done";
    /// A read-aloud sentence is ready, or the session ended ([`super::ReadAloudEvent`]).
    pub const READ_ALOUD: &str = "read-aloud";
}

/// What the state needs from the running app: sending events and widening or narrowing the
/// folders the window may load media from.
pub trait Shell: Send + Sync {
    /// Sends `payload` as event `event` to every window.
    fn emit_json(&self, event: &str, payload: serde_json::Value);
    /// Lets the window load files under `dir` through the asset protocol.
    fn allow_folder(&self, dir: &Path);
    /// Takes `dir` out of the asset protocol's scope again.
    fn forbid_folder(&self, dir: &Path);
}

impl<R: Runtime> Shell for AppHandle<R> {
    fn emit_json(&self, event: &str, payload: serde_json::Value) {
        if let Err(error) = self.emit(event, payload) {
            tracing::warn!("cannot send the {event} event: {error}");
        }
    }

    fn allow_folder(&self, dir: &Path) {
        if let Err(error) = self.asset_protocol_scope().allow_directory(dir, true) {
            tracing::warn!("cannot allow {} to the window: {error}", dir.display());
        }
    }

    fn forbid_folder(&self, dir: &Path) {
        if let Err(error) = self.asset_protocol_scope().forbid_directory(dir, true) {
            tracing::warn!("cannot forbid {} to the window: {error}", dir.display());
        }
    }
}

/// Sends a typed payload through `shell`.
pub fn emit(shell: &dyn Shell, event: &str, payload: &impl Serialize) {
    match serde_json::to_value(payload) {
        Ok(value) => shell.emit_json(event, value),
        Err(error) => tracing::warn!("cannot encode the {event} event: {error}"),
    }
}

/// `library-changed`: the lectures or documents of a class changed.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LibraryChanged {
    /// The class whose lists to reload.
    pub class_id: String,
}

/// `transcript-segment`: a segment of a lecture's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptSegmentEvent {
    /// The lecture.
    pub lecture_id: String,
    /// The segment.
    pub segment: TranscriptSegmentView,
    /// Whether it comes from the live transcript of a recording (replaced later by the full
    /// transcription).
    pub live: bool,
}

/// `recording-level`: the microphone level of the last tenth of a second.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordingLevel {
    /// Root mean square level, in dBFS (−100 is silence, 0 full scale).
    pub rms: f32,
    /// Peak level, in dBFS.
    pub peak: f32,
    /// Audio recorded so far (pauses excluded), in ms.
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    /// Whether the recording is paused.
    pub paused: bool,
}

/// `chat-token`: the next piece of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChatToken {
    /// The `ask` request.
    pub request_id: String,
    /// The text to append.
    pub text: String,
}

/// `chat-done`: the answer is complete (with the stored message) or failed.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChatDone {
    /// The `ask` request.
    pub request_id: String,
    /// The stored answer with its citations.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub message: Option<MessageView>,
    /// Why there is no answer (an answer stopped by `stop_answer` ends with kind `busy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<CommandError>,
}

/// `read-aloud`: a sentence to play, the end of the session, or its failure.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(untagged)]
pub enum ReadAloudEvent {
    /// The next sentence's audio is ready.
    #[serde(rename_all = "camelCase")]
    Sentence {
        /// The `read_aloud` session.
        session_id: String,
        /// The sentence's position, from 0.
        #[ts(type = "number")]
        index: usize,
        /// What it says.
        text: String,
        /// A WAV file the window can play.
        audio_url: String,
    },
    /// Every sentence was delivered, or the session was stopped.
    #[serde(rename_all = "camelCase")]
    Done {
        /// The session.
        session_id: String,
        /// Always `true`.
        done: bool,
    },
    /// The voice failed; nothing follows.
    #[serde(rename_all = "camelCase")]
    Failed {
        /// The session.
        session_id: String,
        /// What went wrong.
        error: CommandError,
    },
}

/// Forwards the job runner's `events` to the window until the runner stops: a `job-progress`
/// on every state change and each whole percent, and a `library-changed` when a lecture's or
/// document's job ends.
pub fn forward_jobs(events: &Receiver<JobEvent>, store: &Store, shell: &dyn Shell) {
    let mut last: HashMap<JobId, (JobStatus, i64)> = HashMap::new();
    for event in events {
        let key = (event.status, event.percent.floor() as i64);
        if last.get(&event.job_id) == Some(&key) {
            continue;
        }
        last.insert(event.job_id.clone(), key);
        let Ok(job) = store.jobs().get(&event.job_id) else {
            continue;
        };
        let mut summary: JobSummary = job_summary(store, &job);
        // The event is newer than the row for progress that is only published.
        summary.status = event.status.as_str().to_owned();
        summary.percent = event.percent;
        if event.message.is_some() {
            summary.message = event.message.clone();
        }
        emit(shell, names::JOB_PROGRESS, &summary);
        let ended = !matches!(event.status, JobStatus::Queued | JobStatus::Running);
        if ended && let Some(class_id) = job_class(store, &job) {
            emit(
                shell,
                names::LIBRARY_CHANGED,
                &LibraryChanged {
                    class_id: class_id.to_string(),
                },
            );
        }
    }
}
