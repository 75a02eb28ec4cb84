//! Lecture media in, transcript out: import ([`import`]), the `transcribe` job ([`transcribe`])
//! and the clean-up of what the speech model returned ([`cleanup`]); then the `index` job
//! ([`index`]) that makes the transcript searchable.

pub mod cleanup;
pub mod file;
pub mod import;
pub mod index;
pub mod transcribe;

pub use file::{ImportFileError, ImportedFile, import_file};
pub use import::{
    FileKind, ImportError, ImportOptions, ImportOutcome, files_to_import, import_lecture,
};
pub use index::{INDEX_JOB, IndexRequest};
pub use transcribe::{
    TRANSCRIBE_JOB, TranscribeCheckpoint, TranscribeHandler, TranscribeRequest, VadFactory,
};
