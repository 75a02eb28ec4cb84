//! Bringing lecture files into a library: checked, deduplicated, copied into the content store,
//! and queued for transcription.

use std::fs;
use std::path::{Path, PathBuf};

use lm_media::MediaError;

use super::transcribe::TranscribeRequest;
use crate::library::{Library, LibraryError};
use crate::store::{Class, JobId, Lecture, LectureStatus, NewLecture, StoreError};

/// File extensions imported as lectures (audio and video).
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "wav", "mp3", "m4a", "mp4", "aac", "flac", "ogg", "oga", "opus", "webm", "mkv", "mov",
];

/// File extensions imported as documents (slides, readings, notes).
pub const DOCUMENT_EXTENSIONS: &[&str] =
    &["pdf", "docx", "md", "markdown", "txt", "png", "jpg", "jpeg"];

/// Longest title made from a file name, in characters.
const MAX_TITLE_CHARS: usize = 120;

/// What a file is, by its name (its content is checked on import).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Audio or video: a lecture.
    Media,
    /// A document.
    Document,
    /// Neither.
    Other,
}

impl FileKind {
    /// The kind `path`'s extension names (ignoring case).
    pub fn of(path: &Path) -> Self {
        let extension = path
            .extension()
            .and_then(|ext| ext.to_str())
            .map(str::to_lowercase)
            .unwrap_or_default();
        if MEDIA_EXTENSIONS.contains(&extension.as_str()) {
            Self::Media
        } else if DOCUMENT_EXTENSIONS.contains(&extension.as_str()) {
            Self::Document
        } else {
            Self::Other
        }
    }
}

/// How to import.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// The lecture title; `None` makes one from the file name.
    pub title: Option<String>,
    /// A fixed language for the transcription; `None` detects it.
    pub language: Option<String>,
    /// Priority of the transcription job (higher runs first).
    pub priority: i64,
}

/// What importing one file did.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    /// A new lecture, with its transcription job queued.
    Imported {
        /// The lecture.
        lecture: Lecture,
        /// Its transcription job.
        job: JobId,
    },
    /// The same content is already a lecture; nothing was added. A lecture that was never
    /// transcribed gets its transcription queued (again).
    AlreadyImported {
        /// The existing lecture.
        lecture: Lecture,
        /// The transcription job queued for it, if it needed one.
        job: Option<JobId>,
    },
}

/// Why a file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not usable audio or video (empty, misnamed, damaged, ...).
    #[error(transparent)]
    Media(#[from] MediaError),
    /// Copying into the library failed.
    #[error(transparent)]
    Library(#[from] LibraryError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A path given to import does not exist.
    #[error("{0} does not exist")]
    Missing(PathBuf),
    /// A folder could not be listed.
    #[error("cannot read the folder {path}: {source}")]
    ReadDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Imports the audio or video file at `path` as a lecture of `class` and queues its
/// transcription.
///
/// The file is probed first, so a file that is not usable media (a PDF named `.mp3`, an empty
/// or damaged file) fails at once with the decoder's message and changes nothing. The same
/// content imported twice gives [`ImportOutcome::AlreadyImported`].
pub fn import_lecture(
    library: &Library,
    class: &Class,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    if !path.exists() {
        return Err(ImportError::Missing(path.to_owned()));
    }
    let info = lm_media::probe(path)?;
    let hash = lm_media::content_sha256(path)?;
    let store = library.store();
    let request = |lecture: &Lecture| TranscribeRequest {
        lecture_id: lecture.id.clone(),
        language: options.language.clone(),
    };
    if let Some(lecture) = store.lectures().find_by_media_hash(&hash)? {
        // Imported but never transcribed (say the app stopped between the two steps).
        let job = if lecture.status == LectureStatus::Imported {
            let job = store
                .jobs()
                .enqueue(&request(&lecture).to_job(options.priority))?;
            Some(job.id().clone())
        } else {
            None
        };
        return Ok(ImportOutcome::AlreadyImported { lecture, job });
    }
    let stored = library.store_file(path)?;
    let media_path = stored.relative.clone();
    let title = match &options.title {
        Some(title) => title.clone(),
        None => title_from_file_name(path),
    };
    let mut lecture = store.lectures().create(&NewLecture {
        class_id: class.id.clone(),
        title,
        media_path,
        media_hash: hash,
    })?;
    if let Some(seconds) = info.duration_seconds.filter(|s| s.is_finite() && *s >= 0.0) {
        let duration_ms = (seconds * 1000.0).round() as u64;
        store.lectures().set_duration(&lecture.id, duration_ms)?;
        lecture.duration_ms = Some(duration_ms);
    }
    let job = store
        .jobs()
        .enqueue(&request(&lecture).to_job(options.priority))?;
    Ok(ImportOutcome::Imported {
        lecture,
        job: job.id().clone(),
    })
}

/// The files to import for `paths`: a file stands for itself (whatever its name, so a wrong one
/// gets a clear error rather than silence); a folder for every media and document file under
/// it, recursively, in name order, skipping hidden files and folders. A missing path or an
/// unreadable folder is an error in its place.
pub fn files_to_import(paths: &[PathBuf]) -> Vec<Result<PathBuf, ImportError>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_folder(path, &mut files);
        } else if path.exists() {
            files.push(Ok(path.clone()));
        } else {
            files.push(Err(ImportError::Missing(path.clone())));
        }
    }
    files
}

fn collect_folder(folder: &Path, files: &mut Vec<Result<PathBuf, ImportError>>) {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(source) => {
            files.push(Err(ImportError::ReadDir {
                path: folder.to_owned(),
                source,
            }));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| entry.path())
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_folder(&path, files);
        } else if FileKind::of(&path) != FileKind::Other {
            files.push(Ok(path));
        }
    }
}

/// A lecture title from a file name: the name without its extension, underscores as spaces,
/// control characters removed, spaces collapsed, at most [`MAX_TITLE_CHARS`] characters.
pub fn title_from_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cleaned: String = stem
        .chars()
        .map(|c| if c == '_' || c.is_control() { ' ' } else { c })
        .collect();
    let title: String = cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_TITLE_CHARS)
        .collect();
    if title.is_empty() {
        "Untitled lecture".to_owned()
    } else {
        title
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_file_names() {
        assert_eq!(
            title_from_file_name(Path::new("/x/Week_3 -  Cell\tbiology.MP3")),
            "Week 3 - Cell biology"
        );
        assert_eq!(title_from_file_name(Path::new("/x/.mp3")), ".mp3");
        assert_eq!(
            title_from_file_name(Path::new("/x/___.wav")),
            "Untitled lecture"
        );
        let long = "a".repeat(300) + ".wav";
        assert_eq!(
            title_from_file_name(Path::new(&long)).len(),
            MAX_TITLE_CHARS
        );
    }

    #[test]
    fn folders_expand_to_supported_visible_files_recursively() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("week1/.hidden")).unwrap();
        for file in [
            "week1/b.mp3",
            "week1/a.WAV",
            "week1/slides.pdf",
            "week1/notes.xyz",
            "week1/.secret.wav",
            "week1/.hidden/c.wav",
            "top.m4a",
        ] {
            fs::write(root.join(file), b"x").unwrap();
        }
        let odd = root.join("given.xyz");
        fs::write(&odd, b"x").unwrap();
        let found: Vec<PathBuf> =
            files_to_import(&[root.to_path_buf(), odd.clone(), root.join("gone.wav")])
                .into_iter()
                .filter_map(Result::ok)
                .collect();
        assert_eq!(
            found,
            [
                // given.xyz is skipped inside the folder, but imported (to fail clearly) when named.
                root.join("top.m4a"),
                root.join("week1/a.WAV"),
                root.join("week1/b.mp3"),
                root.join("week1/slides.pdf"),
                odd,
            ]
        );
        let results = files_to_import(&[root.join("gone.wav")]);
        assert!(matches!(&results[0], Err(ImportError::Missing(_))));
        assert_eq!(FileKind::of(Path::new("a.PDF")), FileKind::Document);
        assert_eq!(FileKind::of(Path::new("a.webm")), FileKind::Media);
    }
}
