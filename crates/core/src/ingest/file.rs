//! One file of any kind into a class: a lecture (queued for transcription) or a document
//! (queued for indexing). What every front end's import does per file.

use std::path::Path;

use crate::document_import::{DocumentImportError, import_document};
use crate::library::Library;
use crate::store::{ChunkSource, Class, Document, JobId, Lecture, StoreError};

use super::import::{FileKind, ImportError, ImportOptions, ImportOutcome, import_lecture};
use super::index::IndexRequest;

/// What one imported file became.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportedFile {
    /// Audio or video: a lecture.
    Lecture {
        /// The lecture (new, or the one that already had this content).
        lecture: Lecture,
        /// Its transcription job, when one was queued.
        job: Option<JobId>,
        /// The same content was already a lecture: nothing was added.
        duplicate: bool,
    },
    /// A document.
    Document {
        /// The document (new, or the one that already had this content).
        document: Document,
        /// Its indexing job (queued again for a duplicate: that finishes an indexing that
        /// failed before, and costs nothing when it is already indexed).
        job: JobId,
        /// The same content was already a document of this class: nothing was added.
        duplicate: bool,
        /// Things worth telling the student about its pages.
        notices: Vec<String>,
    },
}

/// Why one file could not be imported; nothing of it was kept.
#[derive(Debug, thiserror::Error)]
pub enum ImportFileError {
    /// The lecture import failed.
    #[error(transparent)]
    Lecture(#[from] ImportError),
    /// The document import failed.
    #[error(transparent)]
    Document(#[from] DocumentImportError),
    /// Queueing the document's indexing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `path` into `class` by its kind: documents (PDF, DOCX, Markdown, text, pictures) are
/// read and queued for indexing; everything else is probed as audio or video and queued for
/// transcription (so a misnamed file gets the decoder's clear error).
pub fn import_file(
    library: &Library,
    class: &Class,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportedFile, ImportFileError> {
    match FileKind::of(path) {
        FileKind::Document => {
            let imported = import_document(library, &class.id, path)?;
            let request = IndexRequest {
                source: ChunkSource::Document(imported.document.id.clone()),
            };
            let job = request.enqueue(library.store())?.id().clone();
            Ok(ImportedFile::Document {
                document: imported.document,
                job,
                duplicate: imported.already_present,
                notices: imported.notices,
            })
        }
        FileKind::Media | FileKind::Other => {
            Ok(match import_lecture(library, class, path, options)? {
                ImportOutcome::Imported { lecture, job } => ImportedFile::Lecture {
                    lecture,
                    job: Some(job),
                    duplicate: false,
                },
                ImportOutcome::AlreadyImported { lecture, job } => ImportedFile::Lecture {
                    lecture,
                    job,
                    duplicate: true,
                },
            })
        }
    }
}
