//! Finding a file's real format from its first bytes, whatever its name says.

use crate::{DocumentError, DocumentKind, text};

/// How many bytes of the start of a file the sniffers look at.
pub(crate) const HEAD_BYTES: usize = 8192;

/// The real format of a file that starts with `head` and is named with `extension` (lowercase,
/// without the dot). Names only decide between Markdown and plain text, and turn unrecognised
/// content behind a binary format's name into a clear error.
pub(crate) fn kind(
    head: &[u8],
    extension: &str,
    file: &str,
) -> Result<DocumentKind, DocumentError> {
    // The PDF header may follow some junk, within the first kilobyte (PDF 1.7, annex H.3).
    if head
        .get(..head.len().min(1024))
        .is_some_and(|start| start.windows(5).any(|window| window == b"%PDF-"))
    {
        return Ok(DocumentKind::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        // The DOCX reader tells a Word file from other ZIP archives.
        return Ok(DocumentKind::Docx);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(DocumentError::Unsupported {
            file: file.to_owned(),
            what: "an old Office 97-2003 file (.doc, .xls or .ppt)",
            hint: "; save it as .docx or PDF and import that",
        });
    }
    if is_image(head) {
        return Ok(DocumentKind::Image);
    }
    let expected = match extension {
        "pdf" => Some("a PDF"),
        "docx" => Some("a Word document"),
        "png" | "jpg" | "jpeg" | "tif" | "tiff" | "gif" | "bmp" | "webp" => Some("a picture"),
        _ => None,
    };
    if let Some(expected) = expected {
        return Err(DocumentError::NotWhatItsNameSays {
            file: file.to_owned(),
            extension: extension.to_owned(),
            expected,
            found: if text::looks_binary(head) {
                "it is unrecognised binary data"
            } else {
                "it looks like plain text"
            },
        });
    }
    Ok(match extension {
        "md" | "markdown" | "mdown" | "mkd" | "mkdn" => DocumentKind::Markdown,
        _ => DocumentKind::Text,
    })
}

/// Whether the file is a picture Leptonica reads for Tesseract.
fn is_image(head: &[u8]) -> bool {
    image_mime(head).is_some()
}

/// The MIME type of a PNG, JPEG, TIFF, GIF, BMP or WebP picture.
pub(crate) fn image_mime(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        Some("image/tiff")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.starts_with(b"BM") && head.len() > 26 {
        Some("image/bmp")
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn content_wins_over_the_name() {
        assert_eq!(kind(b"%PDF-1.7\n", "docx", "f").unwrap(), DocumentKind::Pdf);
        assert_eq!(
            kind(b"PK\x03\x04rest", "pdf", "f").unwrap(),
            DocumentKind::Docx
        );
        assert_eq!(kind(b"# Title", "md", "f").unwrap(), DocumentKind::Markdown);
        assert_eq!(kind(b"plain", "", "f").unwrap(), DocumentKind::Text);
        let error = kind(b"just text", "pdf", "notes.pdf")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "notes.pdf is named .pdf but its content is not a PDF (it looks like plain text)"
        );
    }
}
