//! Content sniffing before decoding: an empty file, or a PDF, image, archive or text file that was
//! given an audio name, gets a specific message instead of a generic decoder failure.
//!
//! Only the file's first bytes are read, and only non-media kinds are rejected here: whether the
//! content really is audio is decided by the demuxer that follows.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use infer::MatcherType;

use crate::error::{MediaError, display_name};

/// How many leading bytes are inspected. Enough for every magic number `infer` knows, including
/// the ZIP entries that tell a Word or PowerPoint file from a plain archive.
const SNIFF_LEN: u64 = 8192;

/// Fails with [`MediaError::Empty`] or [`MediaError::NotMedia`] when `path` is certainly not audio
/// or video; when it may be, returns its first bytes for further checks.
pub(crate) fn reject_non_media(path: &Path) -> Result<Vec<u8>, MediaError> {
    let file_name = display_name(path);
    let read_error = |source| MediaError::Read {
        file: file_name.clone(),
        source,
    };
    let mut head = Vec::new();
    File::open(path)
        .and_then(|file| file.take(SNIFF_LEN).read_to_end(&mut head))
        .map_err(read_error)?;
    if head.is_empty() {
        return Err(MediaError::Empty { file: file_name });
    }
    match non_media_kind(&head) {
        Some(kind) => Err(MediaError::NotMedia {
            file: file_name,
            kind,
        }),
        None => Ok(head),
    }
}

/// Whether `head` starts a Matroska or WebM file (the EBML magic number).
pub(crate) fn is_matroska(head: &[u8]) -> bool {
    head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3])
}

/// Turns a failure to read `path` into [`MediaError::Truncated`] when the real cause is that the
/// file is an MP4/M4A/MOV cut short: symphonia cannot read such a file at all (its index is
/// missing, or it stops at the first packet), and "damaged" or "not audio" would mislead.
pub(crate) fn explain_cut_short(path: &Path, error: MediaError) -> MediaError {
    match error {
        MediaError::Corrupt { file, .. }
        | MediaError::UnrecognisedFormat { file }
        | MediaError::NoAudio { file, .. }
            if iso_media_cut_short(path) =>
        {
            MediaError::Truncated { file }
        }
        other => other,
    }
}

/// Whether `path` is an ISO base media file (MP4, M4A, MOV: it starts with an `ftyp` box) whose
/// top-level boxes claim more bytes than the file has. Any read problem counts as "no": this only
/// refines an error that is already being reported.
fn iso_media_cut_short(path: &Path) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return false;
    };
    let mut offset = 0u64;
    while offset < len {
        let mut header = [0u8; 16];
        let available = usize::try_from((len - offset).min(16)).unwrap_or(16);
        if available < 8 {
            return true; // A box header itself is cut.
        }
        if file.seek(SeekFrom::Start(offset)).is_err()
            || file.read_exact(&mut header[..available]).is_err()
        {
            return false;
        }
        if offset == 0 && &header[4..8] != b"ftyp" {
            return false;
        }
        let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
            0 => return false, // The last box runs to the end of the file, whatever its length.
            1 if available == 16 => {
                let mut large = [0u8; 8];
                large.copy_from_slice(&header[8..16]);
                u64::from_be_bytes(large)
            }
            1 => return true,
            size => u64::from(size),
        };
        if size < 8 {
            return false; // Malformed, not cut: let the demuxer's error stand.
        }
        offset = offset.saturating_add(size);
    }
    offset > len
}

/// What `head` (a file's first bytes) is, with its article, when it is a known non-media kind.
fn non_media_kind(head: &[u8]) -> Option<String> {
    if let Some(found) = infer::get(head) {
        let extension = found.extension().to_uppercase();
        return match (found.mime_type(), found.matcher_type()) {
            (_, MatcherType::Audio | MatcherType::Video | MatcherType::Custom) => None,
            ("application/pdf", _) => Some("a PDF document".to_owned()),
            ("application/zip", _) => Some("a ZIP archive".to_owned()),
            (_, MatcherType::Doc) => Some(format!("a {extension} document")),
            (_, MatcherType::Book) => Some(format!("an e-book ({extension})")),
            (_, MatcherType::Image) => Some(format!("a {extension} image")),
            (_, MatcherType::Archive) => Some(format!("a compressed archive ({extension})")),
            (_, MatcherType::Font) => Some(format!("a font ({extension})")),
            (_, MatcherType::App) => Some(format!("a program or library ({extension})")),
            (_, MatcherType::Text) => Some(format!("a text file ({extension})")),
        };
    }
    looks_like_text(head).then(|| "a text file".to_owned())
}

/// Whether `head` reads as text: valid UTF-8 (a character cut off at the end of the window is
/// fine) with no control characters but whitespace. Every audio and video container this crate
/// reads has binary bytes (sizes, version numbers, sync words) within its first few bytes.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut by the window leaves at most 3 bytes undecodable at the end.
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !valid.is_empty()
        && valid
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_documents_are_named() {
        assert_eq!(
            non_media_kind(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n").as_deref(),
            Some("a PDF document")
        );
        assert_eq!(
            non_media_kind(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").as_deref(),
            Some("a PNG image")
        );
        assert_eq!(
            non_media_kind(b"Lecture notes, week 1\nOsmosis is...\n").as_deref(),
            Some("a text file")
        );
        // UTF-8 text cut in the middle of a character is still text.
        assert_eq!(
            non_media_kind("café".as_bytes()[..4].as_ref()).as_deref(),
            Some("a text file")
        );
    }

    #[test]
    fn media_and_unknown_binary_pass_through() {
        assert_eq!(non_media_kind(b"RIFF\x24\x08\0\0WAVEfmt "), None);
        assert_eq!(non_media_kind(b"ID3\x04\0\0\0\0\0\x23"), None);
        assert_eq!(non_media_kind(b"OggS\0\x02\0\0\0\0"), None);
        assert_eq!(non_media_kind(&[0x00, 0x9f, 0x13, 0xfe, 0x01]), None);
    }
}
