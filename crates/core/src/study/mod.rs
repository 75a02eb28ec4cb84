//! Study tools made from the student's material: notes, quizzes and flashcards.
//!
//! Everything here starts from a [`StudyScope`] (a lecture, a document or a whole class), reads
//! its chunks from the store, and asks the local model for structured output constrained by a
//! JSON schema, so what comes back always parses; what parses but is useless is rejected and
//! generated again.
//!
//! Each generator also runs as a durable job on the language-model lane: [`notes::NotesJob`],
//! [`quiz::QuizJob`] and [`flashcards::CardsJob`], queued by the `enqueue` function next to each.

pub mod flashcards;
pub mod notes;
pub mod quiz;

use std::sync::atomic::AtomicBool;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::engines::{ChatMessage, EngineError, GenerateOptions, Llm};
use crate::jobs::{JobContext, JobError};
use crate::store::{
    Chunk, ChunkSource, ClassId, DocumentId, Job, JobId, JobProgress, LectureId, NewJob, Store,
    StoreError,
};

/// What a study tool works from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum StudyScope {
    /// One lecture's transcript.
    Lecture(LectureId),
    /// One document.
    Document(DocumentId),
    /// Every lecture and document of a class.
    Class(ClassId),
}

impl StudyScope {
    /// The class the scope belongs to.
    pub fn class_id(&self, store: &Store) -> Result<ClassId, StoreError> {
        Ok(match self {
            Self::Lecture(id) => store.lectures().get(id)?.class_id,
            Self::Document(id) => store.documents().get(id)?.class_id,
            Self::Class(id) => store.classes().get(id)?.id,
        })
    }

    /// The scope's chunks in source order (lectures, then documents, for a class); an error
    /// that says what to do when there are none.
    pub fn chunks(&self, store: &Store) -> Result<Vec<Chunk>, StudyError> {
        let sources = match self {
            Self::Lecture(id) => vec![ChunkSource::Lecture(id.clone())],
            Self::Document(id) => vec![ChunkSource::Document(id.clone())],
            Self::Class(id) => {
                let lectures = store.lectures().list_by_class(id)?;
                let documents = store.documents().list_by_class(id)?;
                lectures
                    .into_iter()
                    .map(|lecture| ChunkSource::Lecture(lecture.id))
                    .chain(
                        documents
                            .into_iter()
                            .map(|doc| ChunkSource::Document(doc.id)),
                    )
                    .collect()
            }
        };
        let mut chunks = Vec::new();
        for source in &sources {
            chunks.extend(store.chunks().list_by_source(source)?);
        }
        if chunks.is_empty() {
            return Err(StudyError::EmptyScope(self.describe()));
        }
        Ok(chunks)
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Lecture(_) => "this lecture has no transcript yet (wait for transcription)",
            Self::Document(_) => "this document has no text",
            Self::Class(_) => "this class has no transcribed lectures or documents yet",
        }
    }
}

/// A failure of a study tool.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// There is nothing to study from.
    #[error("nothing to work from: {0}")]
    EmptyScope(&'static str),
    /// The request itself is not valid.
    #[error("{0}")]
    Invalid(String),
    /// The model could not produce enough good output.
    #[error(
        "the model wrote only {made} good question(s) of the {wanted} asked; try fewer \
         questions, a larger scope, or a stronger model"
    )]
    NotEnoughQuestions {
        /// Questions that passed the checks.
        made: usize,
        /// Questions asked for.
        wanted: usize,
    },
    /// The model could not produce enough good flashcards.
    #[error(
        "the model wrote only {made} good card(s) of the {wanted} asked; try fewer cards, a \
         larger scope or passage, or a stronger model"
    )]
    NotEnoughCards {
        /// Cards that passed the checks.
        made: usize,
        /// Cards asked for.
        wanted: usize,
    },
    /// A row of a CSV file of cards is not usable; nothing was imported.
    #[error("row {row} of the CSV file: {problem}. Nothing was imported")]
    CsvRow {
        /// 1-based row number in the file (a header row counts), as a spreadsheet shows it.
        row: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// A CSV file could not be read or written.
    #[error("cannot {action} the CSV file: {source}")]
    Csv {
        /// "read" or "write".
        action: &'static str,
        /// The reader's or writer's error.
        source: csv::Error,
    },
    /// The spaced-repetition scheduler refused a card's memory state.
    #[error("cannot schedule the card: the FSRS scheduler reported {0}")]
    Scheduler(#[from] fsrs::FSRSError),
    /// One chunk of the material is too long for the model's context even alone.
    #[error(
        "the passage at {label} is too long for the model: it has {tokens} tokens and the \
         model's {context}-token context leaves room for {room}; choose a model with a larger \
         context"
    )]
    ChunkTooLong {
        /// Where the passage is (`Cells @ 12:34`).
        label: String,
        /// Its tokens.
        tokens: usize,
        /// Tokens a passage may have.
        room: usize,
        /// The model's context size.
        context: usize,
    },
    /// The model wrote nothing usable for notes.
    #[error("the model wrote no usable key point for this material; try a stronger model")]
    NoNotes,
    /// The model failed or was cancelled.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Reading or saving failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Asks the model for one JSON value under `options.json_schema`; `None` when the output is
/// unusable (cut off at the token limit, or not the expected shape), so the caller draws again.
fn ask_json<T: DeserializeOwned>(
    llm: &dyn Llm,
    messages: &[ChatMessage],
    options: &GenerateOptions,
    cancel: Option<&AtomicBool>,
) -> Result<Option<T>, EngineError> {
    match llm.chat(messages, options, cancel, &mut |_| {}) {
        Ok(generation) => match serde_json::from_str(&generation.text) {
            Ok(value) => Ok(Some(value)),
            Err(error) => {
                tracing::debug!(%error, "model output did not parse");
                Ok(None)
            }
        },
        Err(EngineError::OutputCutOff { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The checkpoint key under which a generation job ([`quiz::QuizJob`], [`flashcards::CardsJob`])
/// keeps what it stored, so a job resumed after the result was stored does not make it twice.
const RESULT_KEY: &str = "result";

/// What a finished generation job stored (the quiz id, the card ids), as its handler recorded it.
fn job_result<T: DeserializeOwned>(job: &Job) -> Option<T> {
    let value = job.checkpoint.as_ref()?.get(RESULT_KEY)?;
    serde_json::from_value(value.clone()).ok()
}

/// Queues a generation job of `kind` for `request`, which `validate` has accepted (count in
/// range, material present): a bad request is refused here with nothing queued.
fn enqueue_generation<R: Serialize>(
    store: &Store,
    kind: &str,
    request: &R,
    validate: impl FnOnce() -> Result<(), StudyError>,
) -> Result<JobId, StudyError> {
    validate()?;
    let payload = serde_json::to_value(request)
        .map_err(|e| StudyError::Invalid(format!("cannot encode the {kind} request: {e}")))?;
    Ok(store
        .jobs()
        .enqueue(&NewJob::new(kind, payload))?
        .id()
        .clone())
}

/// Runs one attempt of a generation job whose result the generator stores in one go: decodes
/// the request `R` from the payload, runs `generate` with the cancel flag and a progress
/// callback (`done` of `wanted` `unit`s), and records what it stored in the checkpoint. A job
/// whose checkpoint already holds a result (it was stored, then the process stopped) ends at once.
fn run_generation_job<R, T>(
    context: &JobContext<'_>,
    unit: &str,
    generate: impl FnOnce(&R, &AtomicBool, &mut dyn FnMut(usize, usize)) -> Result<T, StudyError>,
) -> Result<(), JobError>
where
    R: DeserializeOwned,
    T: Serialize + DeserializeOwned,
{
    let job = context.job();
    if job_result::<T>(job).is_some() {
        return Ok(());
    }
    let request: R = serde_json::from_value(job.payload.clone()).map_err(|e| {
        JobError::Permanent(format!("the {} job's request is damaged: {e}", job.kind))
    })?;
    let mut on_progress = |done: usize, wanted: usize| {
        let progress = JobProgress {
            fraction: done as f64 / wanted.max(1) as f64,
            seconds: None,
            message: Some(format!("{unit} {done} of {wanted} written")),
        };
        // Progress is informative only; a cancel it detects sets the flag the generator reads.
        let _ = context.report(&progress, None);
    };
    let result = generate(&request, context.cancel_flag(), &mut on_progress)?;
    let checkpoint = serde_json::json!({ RESULT_KEY: result });
    let done = JobProgress {
        fraction: 1.0,
        seconds: None,
        message: Some("stored".to_owned()),
    };
    context.report(&done, Some(&checkpoint))
}
