//! What can go wrong reading a document, in words a student understands.

/// A document that cannot be read, naming the file (its sanitised name) and the reason.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The file could not be opened or read.
    #[error("cannot read {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file has no content at all.
    #[error("{file} is empty (0 bytes)")]
    Empty {
        /// The file.
        file: String,
    },
    /// The PDF needs a password to open.
    #[error(
        "{file} is password-protected: open it with its password and save or print an unprotected \
         copy, then import that"
    )]
    PasswordProtected {
        /// The file.
        file: String,
    },
    /// The file is damaged or not what its content claims.
    #[error("{file} cannot be read as {format}: {reason}")]
    Damaged {
        /// The file.
        file: String,
        /// The format it looked like ("a PDF", "a Word document").
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The name promises a format that the content is not.
    #[error("{file} is named .{extension} but its content is not {expected} ({found})")]
    NotWhatItsNameSays {
        /// The file.
        file: String,
        /// The extension of its name.
        extension: String,
        /// What that extension means ("a PDF").
        expected: &'static str,
        /// What the content looks like.
        found: &'static str,
    },
    /// A format Little Monster does not read.
    #[error("{file} is {what}, which Little Monster cannot read{hint}")]
    Unsupported {
        /// The file.
        file: String,
        /// What the file is ("an old Word 97-2003 .doc file").
        what: &'static str,
        /// What to do instead (starts with "; " or is empty).
        hint: &'static str,
    },
    /// The file is bigger than the reader keeps in memory.
    #[error("{file} is too large ({size} bytes) to read; the limit is {limit} bytes")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// No page of the file had any text.
    #[error("{file} contains no text")]
    NoText {
        /// The file.
        file: String,
    },
    /// The pages are pictures without a text layer, and OCR did not (or could not) read them.
    #[error(
        "{file} has no text layer (scanned?){}",
        if *ocr_available { " and OCR found no text on its pages" }
        else { "; reading scanned pages needs OCR, which is not available in this build" }
    )]
    NoTextLayer {
        /// The file.
        file: String,
        /// Whether OCR was tried.
        ocr_available: bool,
    },
    /// An image, and this build cannot read images.
    #[error("{file} is an image; reading images needs OCR, which is not available in this build")]
    OcrUnavailable {
        /// The file.
        file: String,
    },
    /// OCR itself failed (missing language data, unreadable picture).
    #[error("OCR could not read {file}: {reason}")]
    Ocr {
        /// The file.
        file: String,
        /// What failed.
        reason: String,
    },
}
