//! The job runner: runs the durable jobs stored by [`crate::store::Jobs`] (transcribe a lecture,
//! later index it, ...) with progress, cancellation, retries and recovery after a crash.
//!
//! - **Handlers per kind.** A [`JobHandler`] says which job kind it runs and on which [`Lane`];
//!   [`JobRunner::register`] wires it in. The queue itself (priority, backoff, checkpoints) is the
//!   repository's; the runner only claims, runs and records.
//! - **Lanes.** Each lane (speech-to-text, language model, embeddings) runs one job at a time,
//!   because each engine holds one model in one worker and two jobs on it would only fight for
//!   the same cores. Different lanes run side by side.
//! - **Progress** ([`JobProgress`]: fraction, seconds of media processed, a message) and
//!   checkpoints are stored through the repository, so a second process or a restarted app sees
//!   them, and published to every [`JobRunner::subscribe`]r as a [`JobEvent`] (the Tauri shell
//!   forwards them to the window, the CLI prints them).
//! - **Cancellation is cooperative.** Each running job has a flag, set by [`JobRunner::cancel`] or,
//!   when another process cancelled the job in the database, by a watcher that polls the running
//!   jobs' status; handlers check it between steps and pass it to engine calls
//!   (`WorkerTranscriber::transcribe_cancellable` kills the worker mid-chunk).
//! - **Retries.** A [`JobError::Retryable`] failure goes back to the queue with the repository's
//!   exponential backoff; a [`JobError::Permanent`] one (a damaged file) fails at once.
//! - **Recovery.** [`JobRunner::recover`] (called by every run) puts jobs left `running` by a killed
//!   process back in the queue; their handlers resume from the last checkpoint. One runner per
//!   profile at a time: a lock file next to the database makes a second runner process refuse to
//!   start instead of recovering (and re-running) the first one's jobs.
//!
//! **Threads, not tokio.** Every engine call is blocking (the [`crate::engines`] traits are
//! synchronous; whisper and llama run in worker processes we wait on), and a [`Store`] is one
//! SQLite connection that is not `Sync`. So each lane is one dedicated OS thread with its own
//! connection, which is exactly "one job at a time per lane" with no executor, no
//! `spawn_blocking` and no runtime for the CLI to start. An async front end (Tauri) receives
//! [`JobEvent`]s from a plain channel and calls [`RunnerHandle::notify`] after enqueueing.

mod runner;

use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde_json::Value;

pub use runner::{JobRunner, JobRunnerError, RunSummary, RunnerHandle};

use crate::engines::EngineError;
use crate::store::{Job, JobId, JobProgress, JobStatus, Store, StoreError};

/// A class of work that needs one engine; the runner runs one job at a time per lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lane {
    /// Speech to text (whisper worker).
    Stt,
    /// The language model (llama worker).
    Llm,
    /// Embeddings (ONNX Runtime).
    Embed,
}

/// Why a job's run ended without finishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// A failure a later attempt may not have (a worker crash, a busy disk): retried with
    /// backoff while attempts are left.
    #[error("{0}")]
    Retryable(String),
    /// A failure that would only happen again (a damaged or unsupported file): the job fails at
    /// once.
    #[error("{0}")]
    Permanent(String),
    /// The job was cancelled (or the runner is stopping).
    #[error("cancelled")]
    Cancelled,
}

impl From<StoreError> for JobError {
    fn from(error: StoreError) -> Self {
        match error {
            // The repository refuses progress on a job that is no longer running: cancelled.
            StoreError::JobState {
                status: JobStatus::Cancelled,
                ..
            } => Self::Cancelled,
            other => Self::Retryable(other.to_string()),
        }
    }
}

impl From<EngineError> for JobError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Cancelled => Self::Cancelled,
            // The same input or model fails the same way next time.
            EngineError::BadInput { .. }
            | EngineError::BadModel { .. }
            | EngineError::ContextOverflow { .. }
            | EngineError::OutputCutOff { .. } => Self::Permanent(error.to_string()),
            EngineError::WorkerCrashed { .. } | EngineError::Other(_) => {
                Self::Retryable(error.to_string())
            }
        }
    }
}

/// What subscribers hear about a job: it started, progressed, finished, failed, was cancelled or
/// was queued again for a retry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobEvent {
    /// The job.
    pub job_id: JobId,
    /// Its kind ("transcribe", ...).
    pub kind: String,
    /// Its status after this event (`queued` again means a retry is scheduled).
    pub status: JobStatus,
    /// Percent done, 0 to 100.
    pub percent: f64,
    /// Seconds of media processed, for jobs that work through audio.
    pub seconds_processed: Option<f64>,
    /// What is happening, in words (the error, for a failure).
    pub message: Option<String>,
}

/// Runs the jobs of one kind.
pub trait JobHandler: Send + Sync {
    /// The job kind this handler runs (the `kind` column).
    fn kind(&self) -> &str;

    /// The lane (engine) its jobs use.
    fn lane(&self) -> Lane;

    /// Runs one attempt of `context.job()`, resuming from its checkpoint when it has one.
    /// Progress and checkpoints go through `context`; returning `Ok` marks the job done.
    fn run(&self, context: &JobContext<'_>) -> Result<(), JobError>;

    /// Called once a job of this kind has ended without success for good (failed with no
    /// attempts left, or cancelled), with the job as stored; e.g. to mark its lecture failed.
    fn on_ended(&self, _store: &Store, _job: &Job) -> Result<(), StoreError> {
        Ok(())
    }
}

/// What a running handler gets: its job, its lane's database connection, its cancel flag and
/// a way to report progress.
pub struct JobContext<'a> {
    job: Job,
    store: &'a Store,
    cancel: &'a AtomicBool,
    publish: &'a (dyn Fn(JobEvent) + Sync),
}

impl<'a> JobContext<'a> {
    /// The job as claimed (payload, checkpoint, attempt number).
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The lane's database connection.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// The cancel flag, to pass to engine calls that can stop mid-way.
    pub fn cancel_flag(&self) -> &'a AtomicBool {
        self.cancel
    }

    /// `Err(Cancelled)` once the job was cancelled (or the runner is stopping): call between steps.
    pub fn check_cancelled(&self) -> Result<(), JobError> {
        if self.cancel.load(Ordering::SeqCst) {
            Err(JobError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Stores `progress` (and `checkpoint`, when given) and tells subscribers. A job cancelled
    /// meanwhile, in this process or another, gets `Err(Cancelled)`.
    pub fn report(
        &self,
        progress: &JobProgress,
        checkpoint: Option<&Value>,
    ) -> Result<(), JobError> {
        self.check_cancelled()?;
        let stored = self
            .store
            .jobs()
            .update_progress(&self.job.id, progress, checkpoint);
        if let Err(error) = stored {
            let error = JobError::from(error);
            if error == JobError::Cancelled {
                self.cancel.store(true, Ordering::SeqCst);
            }
            return Err(error);
        }
        self.published(progress);
        Ok(())
    }

    /// Tells subscribers about `progress` the handler has already stored itself (together with
    /// its results, in one transaction).
    pub fn published(&self, progress: &JobProgress) {
        (self.publish)(JobEvent {
            job_id: self.job.id.clone(),
            kind: self.job.kind.clone(),
            status: JobStatus::Running,
            percent: progress.fraction * 100.0,
            seconds_processed: progress.seconds,
            message: progress.message.clone(),
        });
    }
}
