//! [`CommandError`]: the one error every command rejects with, built from the core's typed errors.
//!
//! The UI shows `message` as is, so it is always a complete sentence naming the file or thing
//! concerned; `kind` lets it react (offer to install a model, retry later, ...).

use lm_core::chat::ChatError;
use lm_core::document_import::DocumentImportError;
use lm_core::engines::EngineError;
use lm_core::ingest::{ImportError, ImportFileError};
use lm_core::jobs::JobRunnerError;
use lm_core::library::LibraryError;
use lm_core::models::ModelError;
use lm_core::read_aloud::ReadAloudError;
use lm_core::recording::RecordingError;
use lm_core::store::StoreError;
use lm_core::study::StudyError;
use lm_core::transcript_export::UnknownExportFormat;
use lm_services::ServicesError;
use serde::Serialize;
use ts_rs::TS;

/// What kind of failure a [`CommandError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The lecture, class, card... does not exist (any more).
    NotFound,
    /// The arguments were refused (an empty name, a file that is not a document, ...).
    InvalidInput,
    /// A model the command needs is not installed.
    MissingModel,
    /// An engine worker crashed or failed.
    Worker,
    /// Something else holds what the command needs (another process runs the jobs, ...).
    Busy,
    /// Reading or writing a file failed.
    Io,
    /// A bug or an unexpected state.
    Internal,
}

/// A failed command, as the UI receives it: `{ kind, message }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct CommandError {
    /// What kind of failure it is.
    pub kind: ErrorKind,
    /// A complete sentence for the student.
    pub message: String,
}

impl CommandError {
    /// An error of `kind` whose message is `text` made a sentence (capital first letter, final
    /// full stop).
    pub fn new(kind: ErrorKind, text: impl AsRef<str>) -> Self {
        Self {
            kind,
            message: sentence(text.as_ref()),
        }
    }

    /// An error of `kind` from a core error's report. A report may go on after its first line
    /// (a crashed worker's last log lines): the window gets the first line, the app's log all.
    fn from_report(kind: ErrorKind, report: &str) -> Self {
        match report.split_once('\n') {
            Some((first, _)) => {
                tracing::warn!(?kind, "{report}");
                Self::new(kind, first)
            }
            None => Self::new(kind, report),
        }
    }

    /// Arguments the command refuses.
    pub fn invalid(text: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::InvalidInput, text)
    }

    /// Something that does not exist.
    pub fn not_found(text: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::NotFound, text)
    }

    /// An unexpected failure.
    pub fn internal(text: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::Internal, text)
    }
}

/// `text` with a capital first letter and a final full stop (unless it already ends a sentence).
/// A first word that is a name (`notes.pdf`, `/home/ada`, an id) keeps its case.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "Something went wrong.".to_owned();
    }
    let first_word = text.split_whitespace().next().unwrap_or_default();
    let plain_word = first_word
        .trim_end_matches([':', ','])
        .chars()
        .all(|c| c.is_alphabetic() || c == '\'');
    let mut sentence = if plain_word {
        let mut chars = text.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        text.to_owned()
    };
    if !sentence.ends_with(['.', '!', '?']) {
        sentence.push('.');
    }
    sentence
}

/// Shorthand for command results.
pub type CommandResult<T> = Result<T, CommandError>;

fn store_kind(error: &StoreError) -> ErrorKind {
    match error {
        StoreError::NotFound { .. } => ErrorKind::NotFound,
        StoreError::Invalid { .. } | StoreError::JobState { .. } => ErrorKind::InvalidInput,
        StoreError::CreateDir { .. } | StoreError::Open { .. } => ErrorKind::Io,
        _ => ErrorKind::Internal,
    }
}

fn engine_kind(error: &EngineError) -> ErrorKind {
    match error {
        EngineError::BadModel { .. } => ErrorKind::MissingModel,
        EngineError::BadInput { .. } => ErrorKind::InvalidInput,
        _ => ErrorKind::Worker,
    }
}

fn model_kind(error: &ModelError) -> ErrorKind {
    match error {
        ModelError::NotInstalled { .. } => ErrorKind::MissingModel,
        ModelError::UnknownModel { .. } | ModelError::UnknownFile { .. } => ErrorKind::NotFound,
        ModelError::EmptyFile { .. }
        | ModelError::UnknownFormat { .. }
        | ModelError::NotInCatalog { .. } => ErrorKind::InvalidInput,
        ModelError::Io { .. } => ErrorKind::Io,
        _ => ErrorKind::Internal,
    }
}

fn library_kind(error: &LibraryError) -> ErrorKind {
    match error {
        LibraryError::Io { .. } => ErrorKind::Io,
        LibraryError::Store(error) => store_kind(error),
        LibraryError::NoSuchProfile(_) => ErrorKind::NotFound,
        LibraryError::EmptyProfile(_) => ErrorKind::Internal,
    }
}

fn study_kind(error: &StudyError) -> ErrorKind {
    match error {
        StudyError::Store(error) => store_kind(error),
        StudyError::Engine(error) => engine_kind(error),
        _ => ErrorKind::InvalidInput,
    }
}

fn import_kind(error: &ImportError) -> ErrorKind {
    match error {
        ImportError::Library(error) => library_kind(error),
        ImportError::Store(error) => store_kind(error),
        ImportError::ReadDir { .. } => ErrorKind::Io,
        _ => ErrorKind::InvalidInput,
    }
}

fn document_import_kind(error: &DocumentImportError) -> ErrorKind {
    match error {
        DocumentImportError::Library(error) => library_kind(error),
        DocumentImportError::Store(error) => store_kind(error),
        DocumentImportError::Staging { .. } => ErrorKind::Io,
        _ => ErrorKind::InvalidInput,
    }
}

/// Implements `From<$error>` with a function choosing the kind.
macro_rules! from_error {
    ($($error:ty => $kind:expr),+ $(,)?) => {
        $(impl From<$error> for CommandError {
            fn from(error: $error) -> Self {
                #[allow(clippy::redundant_closure_call)] // One macro for fns and closures.
                let kind = ($kind)(&error);
                Self::from_report(kind, &error.to_string())
            }
        })+
    };
}

from_error! {
    StoreError => store_kind,
    EngineError => engine_kind,
    ModelError => model_kind,
    LibraryError => library_kind,
    StudyError => study_kind,
    UnknownExportFormat => |_: &UnknownExportFormat| ErrorKind::InvalidInput,
    ImportError => import_kind,
    DocumentImportError => document_import_kind,
    ImportFileError => |error: &ImportFileError| match error {
        ImportFileError::Lecture(error) => import_kind(error),
        ImportFileError::Document(error) => document_import_kind(error),
        ImportFileError::Store(error) => store_kind(error),
    },
    JobRunnerError => |error: &JobRunnerError| match error {
        JobRunnerError::Store(error) => store_kind(error),
        JobRunnerError::Busy { .. } => ErrorKind::Busy,
        JobRunnerError::Lock { .. } => ErrorKind::Io,
        _ => ErrorKind::Internal,
    },
    ChatError => |error: &ChatError| match error {
        ChatError::Engine(error) => engine_kind(error),
        ChatError::Store(error) => store_kind(error),
        ChatError::EmptyQuestion => ErrorKind::InvalidInput,
        _ => ErrorKind::Internal,
    },
    RecordingError => |error: &RecordingError| match error {
        RecordingError::Library(error) => library_kind(error),
        RecordingError::Store(error) => store_kind(error),
        RecordingError::Io { .. } => ErrorKind::Io,
        RecordingError::Source(_) | RecordingError::BadFormat(_) => ErrorKind::InvalidInput,
        _ => ErrorKind::Internal,
    },
    ReadAloudError => |error: &ReadAloudError| match error {
        ReadAloudError::NothingToSay => ErrorKind::InvalidInput,
        ReadAloudError::Engine(error) => engine_kind(error),
        ReadAloudError::Write { .. } => ErrorKind::Io,
    },
    ServicesError => |error: &ServicesError| match error {
        ServicesError::Model(error) => model_kind(error),
        ServicesError::VoiceNotInstalled(_) => ErrorKind::MissingModel,
        ServicesError::Engine(error) => engine_kind(error),
        ServicesError::Runner(JobRunnerError::Busy { .. }) => ErrorKind::Busy,
        _ => ErrorKind::Internal,
    },
    lm_search::SearchError => |_: &lm_search::SearchError| ErrorKind::Internal,
    lm_knowledge::SearchFailure => |error: &lm_knowledge::SearchFailure| match error {
        lm_knowledge::SearchFailure::Embed(error) => engine_kind(error),
        lm_knowledge::SearchFailure::Index(_) => ErrorKind::Internal,
    },
    lm_audio::AudioError => |error: &lm_audio::AudioError| match error {
        lm_audio::AudioError::NoSuchDevice { .. } => ErrorKind::NotFound,
        _ => ErrorKind::InvalidInput,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentences() {
        assert_eq!(sentence("lecture x not found"), "Lecture x not found.");
        assert_eq!(sentence("Done already."), "Done already.");
        assert_eq!(sentence("  "), "Something went wrong.");
        assert_eq!(
            sentence("notes.pdf is empty (0 bytes)"),
            "notes.pdf is empty (0 bytes)."
        );
    }

    #[test]
    fn store_errors_keep_their_kind() {
        let error = CommandError::from(StoreError::NotFound {
            entity: "lecture",
            id: "42".into(),
        });
        assert_eq!(error.kind, ErrorKind::NotFound);
        assert_eq!(error.message, "Lecture 42 not found.");
    }

    #[test]
    fn a_crashed_worker_is_one_sentence_without_its_log() {
        let error = CommandError::from(EngineError::WorkerCrashed {
            worker: "llm".into(),
            reason: "killed by signal 9".into(),
            stderr_tail: vec![
                "llama_model_load: loading".into(),
                "load_tensors: done".into(),
            ],
        });
        assert_eq!(error.kind, ErrorKind::Worker);
        assert_eq!(
            error.message,
            "The language model worker (llm) crashed: killed by signal 9."
        );
    }
}
