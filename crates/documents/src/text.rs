//! Plain text in any common encoding, decoded as a stream and cut into pages, so a file of any
//! size is read in bounded memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Decoder, Encoding, UTF_8, UTF_16BE, UTF_16LE};

use crate::{
    Context, DocumentError, DocumentKind, DocumentReader, ExtractedPage, PageSource, paragraphs,
};

/// The size a plain-text "page" aims for, in bytes of UTF-8: about one printed page, so a
/// citation of "page 12" of a text file points somewhere a student can find.
pub const TEXT_PAGE_BYTES: usize = 4096;

/// A page is cut at the last paragraph break (else line break, else space) between these bounds.
const MIN_PAGE_BYTES: usize = TEXT_PAGE_BYTES / 2;
const MAX_PAGE_BYTES: usize = TEXT_PAGE_BYTES * 3 / 2;

/// How much of the file is read (and decoded) at a time.
const READ_BYTES: usize = 64 * 1024;

/// How much of the start of the file the encoding detector looks at.
const DETECT_BYTES: usize = 256 * 1024;

/// Opens a plain-text file.
pub(crate) fn open(path: &Path, ctx: Context) -> Result<DocumentReader, DocumentError> {
    let io_error = |source| DocumentError::Io {
        file: ctx.file.clone(),
        source,
    };
    let mut input = File::open(path).map_err(io_error)?;
    let mut sample = Vec::with_capacity(DETECT_BYTES);
    input
        .by_ref()
        .take(DETECT_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(io_error)?;
    let complete = sample.len() < DETECT_BYTES;
    let encoding = detect_encoding(&sample, complete, &ctx.file)?;
    let pages = TextPages {
        input,
        decoder: encoding.new_decoder_with_bom_removal(),
        buffer: vec![0; READ_BYTES],
        pending: String::new(),
        held_cr: false,
        eof: false,
        next_number: 1,
        file: ctx.file.clone(),
    };
    let mut pages = Box::new(pages);
    // The sample was already read: decode it first.
    pages.decode(&sample, false);
    Ok(DocumentReader::new(
        DocumentKind::Text,
        ctx.title,
        ctx.file,
        Some(encoding.name()),
        PageSource::Text(pages),
    ))
}

/// The encoding of text starting with `sample` (`complete` when it is the whole file): a byte
/// order mark decides; then UTF-16 without one is recognised by its zero bytes; then valid UTF-8
/// is UTF-8; otherwise chardetng guesses (Windows-1252, Shift_JIS, GBK, KOI8-R, ...).
pub(crate) fn detect_encoding(
    sample: &[u8],
    complete: bool,
    file: &str,
) -> Result<&'static Encoding, DocumentError> {
    if let Some((encoding, _)) = Encoding::for_bom(sample) {
        return Ok(encoding);
    }
    if let Some(encoding) = utf16_without_bom(sample) {
        return Ok(encoding);
    }
    if looks_binary(sample) {
        return Err(DocumentError::Unsupported {
            file: file.to_owned(),
            what: "unrecognised binary data, not a document",
            hint: "",
        });
    }
    match std::str::from_utf8(sample) {
        Ok(_) => return Ok(UTF_8),
        // Only a character cut in two at the end of the sample: still UTF-8.
        Err(error) if error.error_len().is_none() && !complete => return Ok(UTF_8),
        Err(_) => {}
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(sample, complete);
    Ok(detector.guess(None, Utf8Detection::Allow))
}

/// Whether the bytes hold NUL bytes, which text (other than UTF-16) never has.
pub(crate) fn looks_binary(sample: &[u8]) -> bool {
    sample.contains(&0)
}

/// UTF-16 without a byte order mark: ASCII-heavy text has a zero in every other byte.
fn utf16_without_bom(sample: &[u8]) -> Option<&'static Encoding> {
    let pairs = sample.len() / 2;
    if pairs < 8 {
        return None;
    }
    let zeros_at = |offset: usize| {
        sample
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|&&byte| byte == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    if odd * 10 >= pairs * 4 && even * 20 <= pairs {
        Some(UTF_16LE)
    } else if even * 10 >= pairs * 4 && odd * 20 <= pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The pages of a text file, decoded as they are read.
pub(crate) struct TextPages {
    input: File,
    decoder: Decoder,
    buffer: Vec<u8>,
    /// Decoded text not yet cut into pages (never much more than [`MAX_PAGE_BYTES`] plus one
    /// read's worth).
    pending: String,
    /// A carriage return at the end of the last decoded piece, which may start a CR LF pair.
    held_cr: bool,
    eof: bool,
    next_number: u32,
    file: String,
}

impl TextPages {
    /// Decodes `bytes` (the last bytes of the file when `last`) onto the pending text, with line
    /// endings normalised to `\n`.
    fn decode(&mut self, bytes: &[u8], last: bool) {
        let capacity = self
            .decoder
            .max_utf8_buffer_length(bytes.len())
            .unwrap_or(bytes.len() * 3 + 16);
        let mut decoded = String::with_capacity(capacity);
        // With the worst-case capacity reserved, the decoder consumes all input in one call;
        // malformed bytes become U+FFFD.
        let _ = self.decoder.decode_to_string(bytes, &mut decoded, last);
        let mut text = String::with_capacity(decoded.len() + 1);
        if std::mem::take(&mut self.held_cr) {
            text.push('\r');
        }
        text.push_str(&decoded);
        if !last && text.ends_with('\r') {
            text.pop();
            self.held_cr = true;
        }
        self.pending
            .push_str(&text.replace("\r\n", "\n").replace('\r', "\n"));
    }

    /// Reads and decodes the next piece of the file.
    fn fill(&mut self) -> io::Result<()> {
        let read = loop {
            match self.input.read(&mut self.buffer) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => break result?,
            }
        };
        let last = read == 0;
        let bytes = std::mem::take(&mut self.buffer);
        self.decode(&bytes[..read], last);
        self.buffer = bytes;
        self.eof = last;
        Ok(())
    }

    pub(crate) fn next(&mut self) -> Option<Result<ExtractedPage, DocumentError>> {
        loop {
            let whole_rest = self.eof && self.pending.len() <= MAX_PAGE_BYTES;
            if self.pending.len() > MAX_PAGE_BYTES || (whole_rest && !self.pending.is_empty()) {
                let cut = if whole_rest {
                    self.pending.len()
                } else {
                    cut_point(&self.pending)
                };
                let rest = self.pending.split_off(cut);
                let text = std::mem::replace(&mut self.pending, rest);
                let blocks = paragraphs(&text);
                if blocks.is_empty() {
                    continue;
                }
                let number = self.next_number;
                self.next_number += 1;
                return Some(Ok(ExtractedPage {
                    number,
                    blocks,
                    notice: None,
                }));
            }
            if self.eof {
                return None;
            }
            if let Err(source) = self.fill() {
                self.eof = true;
                self.pending.clear();
                return Some(Err(DocumentError::Io {
                    file: self.file.clone(),
                    source,
                }));
            }
        }
    }
}

/// Where to end a page of `text` (longer than [`MAX_PAGE_BYTES`]): after the last paragraph
/// break in the allowed range, else the last line break, else the last space, else at the limit.
fn cut_point(text: &str) -> usize {
    let end = floor_char_boundary(text, MAX_PAGE_BYTES);
    let start = floor_char_boundary(text, MIN_PAGE_BYTES);
    let window = &text[start..end];
    let after = |found: Option<usize>, width: usize| found.map(|at| start + at + width);
    after(window.rfind("\n\n"), 2)
        .or_else(|| after(window.rfind('\n'), 1))
        .or_else(|| {
            window
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map(|(at, c)| start + at + c.len_utf8())
        })
        .unwrap_or(end)
}

/// The largest char boundary of `text` at or below `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn encodings_are_recognised() {
        let latin = b"Caf\xe9 cr\xe8me br\xfbl\xe9e, d\xe9j\xe0 vu, na\xefve fa\xe7ade";
        assert_eq!(
            detect_encoding(latin, true, "f").unwrap().name(),
            "windows-1252"
        );
        assert_eq!(
            detect_encoding("Café".as_bytes(), true, "f").unwrap(),
            UTF_8
        );
        let utf16: Vec<u8> = "plain text without a mark"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(detect_encoding(&utf16, true, "f").unwrap(), UTF_16LE);
        assert!(detect_encoding(b"\x7fELF\0\0\x01", true, "f").is_err());
    }

    #[test]
    fn pages_are_cut_at_paragraphs() {
        let text = format!("{}\n\n{}", "a ".repeat(1500), "b ".repeat(1500));
        let cut = cut_point(&text);
        assert_eq!(&text[cut..cut + 1], "b");
    }
}
