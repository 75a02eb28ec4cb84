//! Lecture media in, transcript out: import ([`import`]), the `transcribe` job ([`transcribe`]),
//! the clean-up of what the speech model returned ([`cleanup`]) and speaker labels
//! ([`speakers`]); then the `index` job ([`index`]) that makes the transcript searchable.

pub mod cleanup;
pub mod file;
pub mod import;
pub mod index;
pub mod speakers;
pub mod transcribe;

pub use file::{ImportFileError, ImportedFile, import_file};
pub use import::{
    FileKind, ImportError, ImportOptions, ImportOutcome, files_to_import, import_lecture,
};
pub use index::{INDEX_JOB, IndexRequest};
pub use speakers::{DiarizerFactory, SpeakerOutcome};
pub use transcribe::{
    TRANSCRIBE_JOB, TranscribeCheckpoint, TranscribeHandler, TranscribeRequest, VadFactory,
};
