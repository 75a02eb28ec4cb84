//! The one error type of this crate. Every message names the file and says what is wrong in words
//! a student understands, because the import pipeline shows it as the reason a job failed.

use std::path::Path;

/// Why a media file could not be probed, decoded, written or hashed.
///
/// `file` is the file's name (not its whole path), as the student would recognise it.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The file could not be opened or read (missing, no permission, disk error).
    #[error("could not read {file}: {source}")]
    Read {
        /// Name of the file being read.
        file: String,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },

    /// The file has no content at all.
    #[error("{file} is empty (0 bytes), so there is no audio to import")]
    Empty {
        /// Name of the empty file.
        file: String,
    },

    /// The content is a known kind of file that is not audio or video (a PDF, an image, a ZIP
    /// archive, plain text, ...), whatever its name says.
    #[error("{file} is {kind}, not audio or video")]
    NotMedia {
        /// Name of the file.
        file: String,
        /// What the content actually is, with its article ("a PDF document").
        kind: String,
    },

    /// The content matches no audio or video format this app can read (random bytes, an exotic
    /// or badly damaged container).
    #[error(
        "{file} is not an audio or video file this app can read (its content matches no known \
         audio or video format)"
    )]
    UnrecognisedFormat {
        /// Name of the file.
        file: String,
    },

    /// The container holds no audio track, e.g. a screen recording without sound.
    #[error("{file} has no audio track, so there is nothing to transcribe")]
    NoAudioTrack {
        /// Name of the file.
        file: String,
    },

    /// The audio track uses a codec this app has no decoder for.
    #[error("{file} uses an audio format ({codec}) that this app cannot decode")]
    UnsupportedCodec {
        /// Name of the file.
        file: String,
        /// The codec as the container names it.
        codec: String,
    },

    /// The file ends before its container's header or index does, so nothing can be decoded
    /// (for example an MP4 whose index sits at the end of a cut-off download).
    #[error(
        "{file} is incomplete: it ends before the audio starts (was the copy or download cut \
         off?)"
    )]
    Truncated {
        /// Name of the file.
        file: String,
    },

    /// The file is damaged: its structure or its audio data cannot be decoded.
    #[error("{file} is damaged and could not be decoded ({detail})")]
    Corrupt {
        /// Name of the file.
        file: String,
        /// What the decoder reported, for support and bug reports.
        detail: String,
    },

    /// The audio track holds no sound at all (zero samples), or not one packet of it could be
    /// decoded.
    #[error("{file} contains no audio that could be decoded ({detail})")]
    NoAudio {
        /// Name of the file.
        file: String,
        /// Why: an empty track, or every packet damaged.
        detail: String,
    },

    /// The user (or the app shutting down) asked to stop.
    #[error("converting {file} was cancelled")]
    Cancelled {
        /// Name of the file being converted.
        file: String,
    },

    /// The converted audio could not be written (disk full, no permission, ...).
    #[error("could not write the converted audio {file}: {detail}")]
    Write {
        /// Name of the output file.
        file: String,
        /// What went wrong.
        detail: String,
    },
}

/// The name shown to the student for `path`: its file name, or the whole path when it has none.
pub(crate) fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
