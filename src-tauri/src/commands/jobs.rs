//! The job queue: transcriptions, indexing and generation running in the background.

use lm_core::ingest::{INDEX_JOB, IndexRequest, TRANSCRIBE_JOB, TranscribeRequest};
use lm_core::store::{ChunkSource, ClassId, Job, JobId, JobStatus, Store};
use lm_core::study::StudyScope;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::CommandResult;
use crate::state::ShellState;

/// How many ended (done, failed, cancelled) jobs `list_jobs` shows besides the active ones.
const RECENT_ENDED_JOBS: usize = 20;

/// A job as the jobs panel shows it (also the `job-progress` payload).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    /// The job's id.
    pub id: String,
    /// `transcribe`, `index`, `notes`, `quiz`, `flashcards`, ...
    pub kind: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub status: String,
    /// Percent done, 0 to 100.
    pub percent: f64,
    /// Seconds of media processed, for jobs that work through audio.
    pub seconds_processed: Option<f64>,
    /// What is happening, in words.
    pub message: Option<String>,
    /// Why it failed (the last attempt's error).
    pub error: Option<String>,
    /// What the job works on ("Cells", the lecture's title), when known.
    pub subject: Option<String>,
    /// The id of the lecture, document or class it works on, when known.
    pub subject_id: Option<String>,
    /// The class of what it works on, when known.
    pub class_id: Option<String>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When it was queued (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
    /// When it last changed (Unix ms).
    #[ts(type = "number")]
    pub updated_at: i64,
}

/// What a job works on, read from its payload.
enum Subject {
    Lecture(lm_core::store::LectureId),
    Document(lm_core::store::DocumentId),
    Class(ClassId),
}

fn subject_of(job: &Job) -> Option<Subject> {
    let from_source = |source: ChunkSource| match source {
        ChunkSource::Lecture(id) => Subject::Lecture(id),
        ChunkSource::Document(id) => Subject::Document(id),
    };
    let from_scope = |scope: StudyScope| match scope {
        StudyScope::Lecture(id) => Subject::Lecture(id),
        StudyScope::Document(id) => Subject::Document(id),
        StudyScope::Class(id) => Subject::Class(id),
    };
    match job.kind.as_str() {
        TRANSCRIBE_JOB => serde_json::from_value::<TranscribeRequest>(job.payload.clone())
            .ok()
            .map(|request| Subject::Lecture(request.lecture_id)),
        INDEX_JOB => serde_json::from_value::<IndexRequest>(job.payload.clone())
            .ok()
            .map(|request| from_source(request.source)),
        // Study jobs carry their scope (flashcard jobs inside their source).
        _ => job
            .payload
            .get("scope")
            .or_else(|| {
                job.payload
                    .get("source")
                    .and_then(|source| source.get("scope"))
            })
            .and_then(|scope| serde_json::from_value::<StudyScope>(scope.clone()).ok())
            .map(from_scope),
    }
}

/// What `job` works on, as the jobs panel names it.
struct SubjectDetails {
    /// The lecture's, document's or class's id.
    id: String,
    /// The class it belongs to.
    class_id: ClassId,
    /// Its title.
    title: String,
}

/// The id, class and title of what `job` works on, when they can be read.
fn subject_details(store: &Store, job: &Job) -> Option<SubjectDetails> {
    match subject_of(job)? {
        Subject::Lecture(id) => store
            .lectures()
            .get(&id)
            .ok()
            .map(|lecture| SubjectDetails {
                id: id.to_string(),
                class_id: lecture.class_id,
                title: lecture.title,
            }),
        Subject::Document(id) => store
            .documents()
            .get(&id)
            .ok()
            .map(|document| SubjectDetails {
                id: id.to_string(),
                class_id: document.class_id,
                title: document.title,
            }),
        Subject::Class(id) => store.classes().get(&id).ok().map(|class| SubjectDetails {
            id: id.to_string(),
            class_id: class.id,
            title: class.name,
        }),
    }
}

/// The class of what `job` works on, when known.
pub(crate) fn job_class(store: &Store, job: &Job) -> Option<ClassId> {
    subject_details(store, job).map(|details| details.class_id)
}

/// `job` as the jobs panel shows it.
pub(crate) fn job_summary(store: &Store, job: &Job) -> JobSummary {
    let details = subject_details(store, job);
    JobSummary {
        id: job.id.to_string(),
        kind: job.kind.clone(),
        status: job.status.as_str().to_owned(),
        percent: job.progress * 100.0,
        seconds_processed: job.progress_seconds,
        message: job.progress_message.clone(),
        error: job.error.clone(),
        class_id: details.as_ref().map(|details| details.class_id.to_string()),
        subject_id: details.as_ref().map(|details| details.id.clone()),
        subject: details.map(|details| details.title),
        attempts: job.attempts,
        max_attempts: job.max_attempts,
        created_at: job.created_at,
        updated_at: job.updated_at,
    }
}

/// The queued and running jobs, then the most recently ended ones.
#[tauri::command]
pub fn list_jobs(state: State<'_, ShellState>) -> CommandResult<Vec<JobSummary>> {
    state.with_library(|library| {
        let store = library.store();
        let (active, mut ended): (Vec<Job>, Vec<Job>) = store
            .jobs()
            .list(None)?
            .into_iter()
            .partition(|job| matches!(job.status, JobStatus::Queued | JobStatus::Running));
        ended.sort_by_key(|job| std::cmp::Reverse(job.updated_at));
        ended.truncate(RECENT_ENDED_JOBS);
        Ok(active
            .iter()
            .chain(&ended)
            .map(|job| job_summary(store, job))
            .collect())
    })
}

/// Cancels a queued or running job (a running one stops at its next step).
#[tauri::command]
pub fn cancel_job(state: State<'_, ShellState>, job_id: String) -> CommandResult<()> {
    state.cancel_job(&JobId::from(job_id))
}

/// Queues a failed or cancelled job again; it resumes from its last checkpoint.
#[tauri::command]
pub fn retry_job(state: State<'_, ShellState>, job_id: String) -> CommandResult<()> {
    state.with_library(|library| Ok(library.store().jobs().retry(&JobId::from(job_id))?))?;
    state.notify_jobs();
    Ok(())
}
