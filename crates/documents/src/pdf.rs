//! PDF: the text layer of each page with its page number, through pdf-extract (on lopdf).
//! Pages without a text layer go to OCR when this build has it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use lopdf::{Document, Object, ObjectId};

use crate::{
    Context, DocumentError, DocumentKind, DocumentReader, ExtractedPage, OCR_AVAILABLE, PageSource,
    ocr, paragraphs,
};

const FORMAT: &str = "a PDF";

/// Opens a PDF: refuses one that needs a password (one with only an owner password, which any
/// reader opens, is read), and one whose structure is broken.
pub(crate) fn open(path: &Path, ctx: Context) -> Result<DocumentReader, DocumentError> {
    let damaged = |reason: String| DocumentError::Damaged {
        file: ctx.file.clone(),
        format: FORMAT,
        reason,
    };
    // lopdf decrypts with the empty user password on its own; a document that stays encrypted
    // needs a real password. Its parser can panic on hostile input: that is a damaged file too.
    let document = catch_unwind(|| Document::load(path))
        .map_err(|_| damaged("its structure is broken".into()))?
        .map_err(|error| match error {
            lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => {
                DocumentError::PasswordProtected {
                    file: ctx.file.clone(),
                }
            }
            other => damaged(other.to_string()),
        })?;
    if document.is_encrypted() {
        return Err(DocumentError::PasswordProtected { file: ctx.file });
    }
    let pages: Vec<(u32, ObjectId)> = document.get_pages().into_iter().collect();
    if pages.is_empty() {
        return Err(damaged("it has no pages".into()));
    }
    let title = info_title(&document).unwrap_or(ctx.title);
    let source = PdfPages {
        document,
        pages: pages.into_iter(),
        file: ctx.file.clone(),
    };
    Ok(DocumentReader::new(
        DocumentKind::Pdf,
        title,
        ctx.file,
        None,
        PageSource::Pdf(Box::new(source)),
    ))
}

/// The /Title of the document information dictionary, when it says something.
fn info_title(document: &Document) -> Option<String> {
    let info = match document.trailer.get(b"Info").ok()? {
        Object::Reference(id) => document.get_dictionary(*id).ok()?,
        Object::Dictionary(info) => info,
        _ => return None,
    };
    let title = lopdf::decode_text_string(info.get(b"Title").ok()?).ok()?;
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

/// The pages of an open PDF, extracted one at a time.
pub(crate) struct PdfPages {
    document: Document,
    pages: std::vec::IntoIter<(u32, ObjectId)>,
    file: String,
}

impl PdfPages {
    pub(crate) fn next(&mut self) -> Option<Result<ExtractedPage, DocumentError>> {
        let (number, id) = self.pages.next()?;
        Some(self.page(number, id))
    }

    fn page(&self, number: u32, id: ObjectId) -> Result<ExtractedPage, DocumentError> {
        let text = self.text_layer(number)?;
        let blocks = paragraphs(&text);
        if !blocks.is_empty() {
            return Ok(ExtractedPage {
                number,
                blocks,
                notice: None,
            });
        }
        // A page with pictures but no text is most likely scanned.
        let has_images = self
            .document
            .get_page_images(id)
            .is_ok_and(|images| !images.is_empty());
        if !has_images {
            return Ok(ExtractedPage {
                number,
                blocks,
                notice: None,
            });
        }
        let recognised = if OCR_AVAILABLE {
            ocr::pdf_page_text(&self.document, id, &self.file)?
        } else {
            String::new()
        };
        let blocks = paragraphs(&recognised);
        let notice = match (blocks.is_empty(), OCR_AVAILABLE) {
            (false, _) => Some(format!(
                "page {number} has no text layer; its text was read by OCR"
            )),
            (true, true) => Some(format!(
                "page {number} has no text layer and OCR found no text on it"
            )),
            (true, false) => Some(format!(
                "page {number} has no text layer (scanned?); reading it needs OCR, which is not \
                 available in this build"
            )),
        };
        Ok(ExtractedPage {
            number,
            blocks,
            notice,
        })
    }

    /// The text layer of page `number`, normalised (lines joined, spaces collapsed).
    fn text_layer(&self, number: u32) -> Result<String, DocumentError> {
        let mut text = String::new();
        // pdf-extract panics on some malformed content streams and fonts; that is a damaged page.
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut output = pdf_extract::PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(&self.document, &mut output, number)
        }));
        match result {
            Ok(Ok(())) => Ok(clean(&text)),
            Ok(Err(error)) => Err(DocumentError::Damaged {
                file: self.file.clone(),
                format: FORMAT,
                reason: format!("page {number} cannot be read: {error}"),
            }),
            Err(_) => Err(DocumentError::Damaged {
                file: self.file.clone(),
                format: FORMAT,
                reason: format!("page {number} has content that cannot be decoded"),
            }),
        }
    }
}

/// pdf-extract's plain text: lines of a paragraph joined with spaces (a hyphen at a line end
/// joins the word), paragraphs kept apart by blank lines, runs of spaces collapsed.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for paragraph in raw.split("\n\n") {
        let mut joined = String::new();
        for line in paragraph.lines() {
            let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
            if line.is_empty() {
                continue;
            }
            if joined.ends_with('-') {
                joined.pop();
            } else if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(&line);
        }
        if !joined.is_empty() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&joined);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn lines_join_and_paragraphs_stay_apart() {
        assert_eq!(
            clean("\n\nThe  mito-\nchondria make\nenergy.\n\n\nNext   one.\n"),
            "The mitochondria make energy.\n\nNext one."
        );
    }
}
