//! Text extraction from the documents a student imports: PDF (per page, with page numbers), Word
//! (DOCX), Markdown, plain text in any common encoding, and pictures of text through OCR.
//!
//! The crate reads files and returns text with its structure (headings, paragraphs) and page
//! numbers; it knows nothing of the library or its database (`lm-core` stores what it returns).
//!
//! [`open`] sniffs the real format from the content (a `.pdf` that is really a Word file is read as
//! Word) and returns a [`DocumentReader`], an iterator of pages. Pages are produced one at a time,
//! so a 200 MB text file is read in bounded memory: plain text is decoded as a stream and cut into
//! pages of about [`TEXT_PAGE_BYTES`]. [`extract`] collects everything, for small files and tests.
//!
//! OCR (images, and PDF pages without a text layer) uses Debian's Tesseract and is behind the
//! `ocr` cargo feature (on by default); [`OCR_AVAILABLE`] says whether this build has it.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

mod docx;
mod error;
#[cfg(feature = "fixtures")]
#[allow(clippy::expect_used, clippy::unwrap_used)] // Test fixtures fail loudly.
pub mod fixtures;
mod markdown;
mod ocr;
mod pdf;
mod sniff;
mod text;

pub use error::DocumentError;
pub use text::TEXT_PAGE_BYTES;

/// Whether this build reads images and scanned pages (the `ocr` feature).
pub const OCR_AVAILABLE: bool = cfg!(feature = "ocr");

/// Files up to this size are read whole (DOCX parts, Markdown, PDF); bigger ones are refused,
/// except plain text, which is streamed at any size.
pub const MAX_IN_MEMORY_BYTES: u64 = 256 * 1024 * 1024;

/// The format of a document, as found from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// PDF.
    Pdf,
    /// Word document (Office Open XML).
    Docx,
    /// Markdown.
    Markdown,
    /// Plain text.
    Text,
    /// A picture (PNG, JPEG, TIFF) read by OCR.
    Image,
}

impl DocumentKind {
    /// The MIME type of this kind of file (pictures have their own, see
    /// [`DocumentReader::mime`]).
    fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Markdown => "text/markdown",
            Self::Text => "text/plain",
            Self::Image => "application/octet-stream",
        }
    }
}

/// A piece of a page's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading; level 1 is the biggest.
    Heading {
        /// 1 (chapter) to 9.
        level: u8,
        /// The heading's text, on one line.
        text: String,
    },
    /// A paragraph (or list item, table row, code block), trimmed, never empty.
    Paragraph(String),
}

impl Block {
    /// The block's text.
    pub fn text(&self) -> &str {
        match self {
            Self::Heading { text, .. } | Self::Paragraph(text) => text,
        }
    }
}

/// One page of extracted text. Formats without real pages number theirs: DOCX by its explicit
/// page breaks, Markdown as one page, plain text in parts of about [`TEXT_PAGE_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedPage {
    /// 1-based page number, as a citation shows it.
    pub number: u32,
    /// Headings and paragraphs, in reading order; empty for a page without text.
    pub blocks: Vec<Block>,
    /// Why a page has no text when that is worth telling the student ("page 3 has no text layer
    /// (scanned?) and OCR is not available in this build").
    pub notice: Option<String>,
}

impl ExtractedPage {
    /// The page's text: blocks separated by blank lines.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for block in &self.blocks {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(block.text());
        }
        text
    }

    /// Whether the page has any text.
    pub fn has_text(&self) -> bool {
        !self.blocks.is_empty()
    }
}

/// A whole document read into memory (see [`extract`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedDocument {
    /// The format, from the content.
    pub kind: DocumentKind,
    /// Display title: the document's own title, its first heading, or the file name.
    pub title: String,
    /// The pages, in order.
    pub pages: Vec<ExtractedPage>,
}

/// Reads the whole document at `path` (see [`open`] for the rules); the pages stay in memory, so
/// use [`open`] for files that may be huge.
pub fn extract(path: &Path) -> Result<ExtractedDocument, DocumentError> {
    let mut reader = open(path)?;
    let pages = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
    Ok(ExtractedDocument {
        kind: reader.kind(),
        title: reader.title().to_owned(),
        pages,
    })
}

/// Opens the document at `path`, its name and extension taken from `path`.
pub fn open(path: &Path) -> Result<DocumentReader, DocumentError> {
    open_as(path, path.file_name().unwrap_or(path.as_os_str()))
}

/// Opens the document at `path` (for example a copy in the content store) that the student knows
/// as `original_name`: its extension tells Markdown from plain text, and it names the document in
/// errors and in the fallback title, sanitised (see [`display_name`]).
///
/// The format comes from the content, not the name. Problems found on opening (empty file,
/// password, damaged file, unknown format) are errors here; problems found while reading pages
/// come from the iterator, whose last item is an error when the document has no text at all.
pub fn open_as(path: &Path, original_name: &OsStr) -> Result<DocumentReader, DocumentError> {
    let file = display_name(original_name);
    let extension = Path::new(original_name)
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let name_title = title_from_name(original_name);
    let io_error = |source| DocumentError::Io {
        file: file.clone(),
        source,
    };
    let mut handle = File::open(path).map_err(io_error)?;
    let size = handle.metadata().map_err(io_error)?.len();
    if size == 0 {
        return Err(DocumentError::Empty { file });
    }
    let mut head = Vec::with_capacity(sniff::HEAD_BYTES);
    handle
        .by_ref()
        .take(sniff::HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    let kind = sniff::kind(&head, &extension, &file)?;
    let needs_whole = matches!(
        kind,
        DocumentKind::Pdf | DocumentKind::Docx | DocumentKind::Image
    );
    if needs_whole && size > MAX_IN_MEMORY_BYTES {
        return Err(DocumentError::TooLarge {
            file,
            size,
            limit: MAX_IN_MEMORY_BYTES,
        });
    }
    let ctx = Context {
        file,
        title: name_title,
    };
    let mut reader = match kind {
        DocumentKind::Pdf => pdf::open(path, ctx),
        DocumentKind::Docx => docx::open(handle, ctx),
        DocumentKind::Markdown if size <= MAX_IN_MEMORY_BYTES => markdown::open(path, ctx),
        // A huge Markdown file is read as the plain text it also is.
        DocumentKind::Markdown | DocumentKind::Text => text::open(path, ctx),
        DocumentKind::Image => ocr::open_image(path, ctx),
    }?;
    if let Some(mime) = sniff::image_mime(&head) {
        reader.mime = mime;
    }
    Ok(reader)
}

/// What every format reader needs to know about the file.
pub(crate) struct Context {
    /// The sanitised name for messages.
    pub(crate) file: String,
    /// The title to use when the document has none.
    pub(crate) title: String,
}

/// Where a reader's pages come from.
pub(crate) enum PageSource {
    /// Pages already extracted (DOCX, Markdown, images).
    Ready(std::vec::IntoIter<ExtractedPage>),
    /// PDF pages, extracted one at a time.
    Pdf(Box<pdf::PdfPages>),
    /// Plain text, decoded as a stream.
    Text(Box<text::TextPages>),
}

/// An open document: its format and title, and its pages as an iterator.
///
/// The iterator stops after its first error. When no page had any text, its last item is
/// [`DocumentError::NoText`] or [`DocumentError::NoTextLayer`], so an empty or scanned document
/// is never taken for a document with nothing to say.
pub struct DocumentReader {
    kind: DocumentKind,
    mime: &'static str,
    title: String,
    file: String,
    encoding: Option<&'static str>,
    source: PageSource,
    any_text: bool,
    pages_without_text_layer: u32,
    done: bool,
}

impl DocumentReader {
    pub(crate) fn new(
        kind: DocumentKind,
        title: String,
        file: String,
        encoding: Option<&'static str>,
        source: PageSource,
    ) -> Self {
        Self {
            kind,
            mime: kind.mime(),
            title: sanitize_title(&title),
            file,
            encoding,
            source,
            any_text: false,
            pages_without_text_layer: 0,
            done: false,
        }
    }

    /// The format, from the content.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The MIME type ("application/pdf", "image/png", ...).
    pub fn mime(&self) -> &'static str {
        self.mime
    }

    /// Display title: the document's own title, its first heading, or the file name.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The sanitised file name used in messages.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// For text and Markdown, the character encoding that was detected ("UTF-8", "UTF-16LE",
    /// "windows-1252", "Shift_JIS", ...).
    pub fn encoding(&self) -> Option<&'static str> {
        self.encoding
    }

    fn next_page(&mut self) -> Option<Result<ExtractedPage, DocumentError>> {
        match &mut self.source {
            PageSource::Ready(pages) => pages.next().map(Ok),
            PageSource::Pdf(pages) => pages.next(),
            PageSource::Text(pages) => pages.next(),
        }
    }
}

impl Iterator for DocumentReader {
    type Item = Result<ExtractedPage, DocumentError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_page() {
            Some(Ok(page)) => {
                self.any_text |= page.has_text();
                if page.notice.is_some() && !page.has_text() {
                    self.pages_without_text_layer += 1;
                }
                Some(Ok(page))
            }
            Some(Err(error)) => {
                self.done = true;
                Some(Err(error))
            }
            None => {
                self.done = true;
                if self.any_text {
                    return None;
                }
                let file = self.file.clone();
                Some(Err(if self.pages_without_text_layer > 0 {
                    DocumentError::NoTextLayer {
                        file,
                        ocr_available: OCR_AVAILABLE,
                    }
                } else {
                    DocumentError::NoText { file }
                }))
            }
        }
    }
}

/// Longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 120;

/// A title safe to show: control characters (newlines, tabs, escapes) become spaces, runs of
/// whitespace collapse, and it is cut to [`MAX_TITLE_CHARS`] characters. Never empty.
pub fn sanitize_title(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = match collapsed.char_indices().nth(MAX_TITLE_CHARS) {
        Some((cut, _)) => format!("{}…", collapsed[..cut].trim_end()),
        None => collapsed,
    };
    if title.is_empty() {
        "Untitled document".to_owned()
    } else {
        title
    }
}

/// A file name as shown in messages: bytes that are not UTF-8 become `�`, and it is sanitised
/// like a title (a name with newlines or escape codes cannot break a message or a log line).
pub fn display_name(name: &OsStr) -> String {
    sanitize_title(&name.to_string_lossy())
}

/// The title a file name suggests: the name without its extension.
fn title_from_name(name: &OsStr) -> String {
    let stem = Path::new(name).file_stem().unwrap_or(name);
    sanitize_title(&stem.to_string_lossy())
}

/// Reads a whole (size-checked) file.
pub(crate) fn read_whole(path: &Path, file: &str) -> Result<Vec<u8>, DocumentError> {
    std::fs::read(path).map_err(|source: io::Error| DocumentError::Io {
        file: file.to_owned(),
        source,
    })
}

/// Splits text into paragraph blocks at blank lines; lines inside a paragraph are kept.
pub(crate) fn paragraphs(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            push_paragraph(&mut blocks, &mut current);
        } else {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
        }
    }
    push_paragraph(&mut blocks, &mut current);
    blocks
}

/// Moves `current` (trimmed) into `blocks` as a paragraph unless it is blank.
pub(crate) fn push_paragraph(blocks: &mut Vec<Block>, current: &mut String) {
    let text = current.trim();
    if !text.is_empty() {
        blocks.push(Block::Paragraph(text.to_owned()));
    }
    current.clear();
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn titles_lose_control_characters_and_are_bounded() {
        assert_eq!(
            sanitize_title("a\nb;\t$(rm -rf ~)\u{1b}[31m"),
            "a b; $(rm -rf ~) [31m"
        );
        assert_eq!(sanitize_title(" \n "), "Untitled document");
        let long = "x".repeat(500);
        assert_eq!(sanitize_title(&long).chars().count(), MAX_TITLE_CHARS + 1);
    }

    #[test]
    fn paragraphs_split_at_blank_lines() {
        let blocks = paragraphs("one\ntwo\n\n \nthree\r\n");
        assert_eq!(
            blocks,
            [
                Block::Paragraph("one\ntwo".into()),
                Block::Paragraph("three".into())
            ]
        );
    }
}
