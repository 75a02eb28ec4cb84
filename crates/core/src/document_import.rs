//! Importing a document (PDF, DOCX, Markdown, text, picture) into a class: its text extracted
//! page by page (`lm-documents`), the file copied into the content store, and the document row,
//! its pages and its chunks ([`crate::chunking`]) written in one transaction.
//!
//! Import runs in three steps so that neither a bad file nor a slow one disturbs anything:
//!
//! 1. **Open** the file: an empty, damaged, password-protected or unknown file fails here with a
//!    message naming it, before anything is copied or written.
//! 2. **Copy and extract**: the file goes into the content store (the same content already in
//!    this class is reported as the existing document, and nothing else happens); then pages are
//!    extracted and chunked one at a time into a temporary spool file, so memory stays bounded
//!    for a file of any size and slow work (OCR) never holds the database's write lock.
//! 3. **Write** the document, pages and chunks from the spool in one transaction.
//!
//! A failure in step 2 or 3 removes the copy it made and rolls the transaction back: the
//! database and the media folder are as they were.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use lm_documents::{DocumentError, DocumentReader};

use crate::chunking::DocumentChunker;
use crate::library::{Library, LibraryError, StoredFile};
use crate::store::{
    ChunkSource, ClassId, Document, DocumentKind, DocumentPage, NewDocument, StoreError,
};

/// What importing one document did.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentImport {
    /// The new document, or the one that already had this content.
    pub document: Document,
    /// How many pages it has.
    pub pages: u32,
    /// How many chunks were made from it.
    pub chunks: u64,
    /// The same content was already a document of this class: nothing was added.
    pub already_present: bool,
    /// Things worth telling the student about pages ("page 3 has no text layer; its text was
    /// read by OCR").
    pub notices: Vec<String>,
}

/// Why a document could not be imported; nothing of it was kept.
#[derive(Debug, thiserror::Error)]
pub enum DocumentImportError {
    /// The path does not exist.
    #[error("{0} does not exist")]
    Missing(String),
    /// The path is a folder or a device, not a file.
    #[error("{0} is not a file")]
    NotAFile(String),
    /// The file cannot be read as a document (empty, damaged, password-protected, no text...).
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// Copying into the content store failed.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// The database failed (or the class does not exist).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The temporary spool of extracted text could not be written or read back.
    #[error("cannot set aside the text of {file} while importing it: {source}")]
    Staging {
        /// The document.
        file: String,
        /// Why.
        source: io::Error,
    },
}

/// Imports the document at `path` into class `class_id` of `library` (see the module docs).
///
/// Hostile file names (newlines, shell syntax, quotes, bytes that are not UTF-8, very long
/// names) are harmless: the content store names files by hash, and the title and messages use
/// the name sanitised by [`lm_documents::display_name`].
pub fn import_document(
    library: &Library,
    class_id: &ClassId,
    path: &Path,
) -> Result<DocumentImport, DocumentImportError> {
    let name = path.file_name().unwrap_or(path.as_os_str());
    let file = lm_documents::display_name(name);
    let store = library.store();
    // An unknown class fails before any work.
    store.classes().get(class_id)?;
    match fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => {}
        Ok(_) => return Err(DocumentImportError::NotAFile(file)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(DocumentImportError::Missing(file));
        }
        Err(source) => return Err(DocumentError::Io { file, source }.into()),
    }
    let reader = lm_documents::open_as(path, name)?;

    let stored = library.store_file(path)?;
    if let Some(document) = store
        .documents()
        .find_by_content_hash(class_id, &stored.sha256)?
    {
        let chunks = store
            .chunks()
            .count_by_source(&ChunkSource::Document(document.id.clone()))?;
        return Ok(DocumentImport {
            pages: document.page_count.unwrap_or(0),
            document,
            chunks,
            already_present: true,
            notices: Vec::new(),
        });
    }
    let copy = NewCopy::of(&stored);
    let staged = stage(reader, &file, library.dir())?;
    let document = write(library, class_id, &stored, &file, staged.spool, staged.info)?;
    copy.keep();
    Ok(DocumentImport {
        document,
        pages: staged.pages,
        chunks: staged.chunks,
        already_present: false,
        notices: staged.notices,
    })
}

/// A copy this import put into the content store, removed again unless the import succeeds.
struct NewCopy {
    path: Option<PathBuf>,
}

impl NewCopy {
    /// Tracks `stored` if this import created it (content already in the store is someone
    /// else's and stays).
    fn of(stored: &StoredFile) -> Self {
        Self {
            path: (!stored.already_present).then(|| stored.path.clone()),
        }
    }

    fn keep(mut self) {
        self.path = None;
    }
}

impl Drop for NewCopy {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            if let Err(error) = fs::remove_file(&path) {
                tracing::warn!(
                    "cannot remove {} after a failed import: {error}",
                    path.display()
                );
            }
            // The shard folder goes too when this was its only file.
            if let Some(shard) = path.parent() {
                let _ = fs::remove_dir(shard);
            }
        }
    }
}

/// One page as spooled between extraction and the database write.
#[derive(serde::Serialize, serde::Deserialize)]
struct StagedPage {
    number: u32,
    text: String,
    chunks: Vec<String>,
}

/// What the document row needs.
struct DocumentInfo {
    title: String,
    kind: DocumentKind,
    mime: &'static str,
}

/// Extracted and chunked pages, spooled to a temporary file.
struct Staged {
    spool: File,
    info: DocumentInfo,
    pages: u32,
    chunks: u64,
    notices: Vec<String>,
}

/// Extracts and chunks every page of `reader` into an anonymous temporary file in `dir` (the
/// profile folder, on the same disk as the database).
fn stage(
    mut reader: DocumentReader,
    file: &str,
    dir: &Path,
) -> Result<Staged, DocumentImportError> {
    let staging = |source: io::Error| DocumentImportError::Staging {
        file: file.to_owned(),
        source,
    };
    let mut spool = BufWriter::new(tempfile::tempfile_in(dir).map_err(staging)?);
    let mut chunker = DocumentChunker::new(reader.title());
    let (mut pages, mut chunks, mut notices) = (0_u32, 0_u64, Vec::new());
    for page in reader.by_ref() {
        let page = page?;
        if let Some(notice) = &page.notice {
            notices.push(notice.clone());
        }
        let page_chunks: Vec<String> = chunker
            .chunk_page(&page)
            .into_iter()
            .map(|chunk| chunk.text.stored())
            .collect();
        chunks += page_chunks.len() as u64;
        pages += 1;
        let staged = StagedPage {
            number: page.number,
            text: page.text(),
            chunks: page_chunks,
        };
        serde_json::to_writer(&mut spool, &staged).map_err(|e| staging(e.into()))?;
        spool.write_all(b"\n").map_err(staging)?;
    }
    let mut spool = spool.into_inner().map_err(|e| staging(e.into_error()))?;
    spool.rewind().map_err(staging)?;
    Ok(Staged {
        spool,
        info: DocumentInfo {
            title: reader.title().to_owned(),
            kind: store_kind(reader.kind()),
            mime: reader.mime(),
        },
        pages,
        chunks,
        notices,
    })
}

/// Writes the document row, its pages and chunks from the spool, all in one transaction.
fn write(
    library: &Library,
    class_id: &ClassId,
    stored: &StoredFile,
    file: &str,
    spool: File,
    info: DocumentInfo,
) -> Result<Document, DocumentImportError> {
    let staging = |source: io::Error| DocumentImportError::Staging {
        file: file.to_owned(),
        source,
    };
    let mut writer = library.store().documents().begin_create(&NewDocument {
        class_id: class_id.clone(),
        title: info.title,
        file_path: stored.relative.clone(),
        content_hash: stored.sha256.clone(),
        kind: info.kind,
        mime: info.mime.to_owned(),
    })?;
    for line in BufReader::new(spool).lines() {
        let staged: StagedPage =
            serde_json::from_str(&line.map_err(staging)?).map_err(|e| staging(e.into()))?;
        let page = DocumentPage {
            number: staged.number,
            text: staged.text,
        };
        writer.add_page(&page, staged.chunks)?;
    }
    Ok(writer.commit()?)
}

/// The store's name for an extracted format.
fn store_kind(kind: lm_documents::DocumentKind) -> DocumentKind {
    match kind {
        lm_documents::DocumentKind::Pdf => DocumentKind::Pdf,
        lm_documents::DocumentKind::Docx => DocumentKind::Docx,
        lm_documents::DocumentKind::Markdown => DocumentKind::Markdown,
        lm_documents::DocumentKind::Text => DocumentKind::Text,
        lm_documents::DocumentKind::Image => DocumentKind::Image,
    }
}
