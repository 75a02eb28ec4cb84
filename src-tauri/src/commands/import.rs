//! Import: files and folders (dropped on the window or picked) into a class.

use std::path::{Path, PathBuf};

use lm_core::ingest::{ImportOptions, ImportedFile, files_to_import, import_file};
use serde::Serialize;
use tauri::{AppHandle, Runtime};
use ts_rs::TS;

use super::blocking;
use super::library::changed;
use crate::error::{CommandError, CommandResult};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ImportStatus {
    /// Added, with its transcription or indexing queued.
    Imported,
    /// The same content was already in the class; nothing was added.
    Duplicate,
    /// Not imported; see `error`.
    Failed,
}

/// One file of an import.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportFileResult {
    /// The file (for a folder, each file found in it).
    pub path: String,
    /// What happened to it.
    pub status: ImportStatus,
    /// `lecture` or `document`, unless it failed.
    pub item_kind: Option<String>,
    /// The lecture's or document's id, unless it failed.
    pub item_id: Option<String>,
    /// Its title, unless it failed.
    pub title: Option<String>,
    /// Its transcription or indexing job, when one was queued.
    pub job_id: Option<String>,
    /// Things worth telling the student (a page read by OCR, ...).
    pub notices: Vec<String>,
    /// Why it failed.
    pub error: Option<CommandError>,
}

/// What an import did, one result per file (folders expanded).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// The class the files went into.
    pub class_id: String,
    /// Per file, in the order given (a folder's files in name order).
    pub files: Vec<ImportFileResult>,
    /// How many were imported (duplicates not counted).
    pub imported: u32,
    /// How many failed.
    pub failed: u32,
}

/// Imports `paths` (files, or folders searched recursively) into class `class_id`: audio and
/// video become lectures queued for transcription, documents are read and queued for indexing.
/// One file's failure does not stop the others; each gets its own result.
#[tauri::command]
pub async fn import_paths<R: Runtime>(
    app: AppHandle<R>,
    class_id: String,
    paths: Vec<String>,
) -> CommandResult<ImportReport> {
    blocking(app, move |state| {
        // A second connection: a long import must not hold up the window's other commands.
        let library = state.open_library()?;
        let class = library.store().classes().get(&class_id.clone().into())?;
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        let options = ImportOptions::default();
        let files: Vec<ImportFileResult> = files_to_import(&paths)
            .into_iter()
            .map(|file| match file {
                Ok(path) => {
                    let outcome = import_file(&library, &class, &path, &options);
                    file_result(&path, outcome.map_err(CommandError::from))
                }
                Err(error) => {
                    let path = match &error {
                        lm_core::ingest::ImportError::Missing(path)
                        | lm_core::ingest::ImportError::ReadDir { path, .. } => path.clone(),
                        _ => PathBuf::new(),
                    };
                    file_result(&path, Err(CommandError::from(error)))
                }
            })
            .collect();
        state.notify_jobs();
        let count = |status| {
            let matching = files.iter().filter(|file| file.status == status).count();
            u32::try_from(matching).unwrap_or(u32::MAX)
        };
        let report = ImportReport {
            class_id: class.id.to_string(),
            imported: count(ImportStatus::Imported),
            failed: count(ImportStatus::Failed),
            files,
        };
        if report.imported > 0 {
            changed(state, report.class_id.clone());
        }
        Ok(report)
    })
    .await
}

/// The result of importing `path`.
fn file_result(path: &Path, outcome: CommandResult<ImportedFile>) -> ImportFileResult {
    let mut result = ImportFileResult {
        path: path.display().to_string(),
        status: ImportStatus::Failed,
        item_kind: None,
        item_id: None,
        title: None,
        job_id: None,
        notices: Vec::new(),
        error: None,
    };
    let duplicate = match outcome {
        Ok(ImportedFile::Lecture {
            lecture,
            job,
            duplicate,
        }) => {
            result.item_kind = Some("lecture".into());
            result.item_id = Some(lecture.id.to_string());
            result.title = Some(lecture.title);
            result.job_id = job.map(|job| job.to_string());
            duplicate
        }
        Ok(ImportedFile::Document {
            document,
            job,
            duplicate,
            notices,
        }) => {
            result.item_kind = Some("document".into());
            result.item_id = Some(document.id.to_string());
            result.title = Some(document.title);
            result.job_id = Some(job.to_string());
            result.notices = notices;
            duplicate
        }
        Err(error) => {
            result.error = Some(naming_file(path, error));
            return result;
        }
    };
    result.status = if duplicate {
        ImportStatus::Duplicate
    } else {
        ImportStatus::Imported
    };
    result
}

/// `error` with a message that names the file it is about.
fn naming_file(path: &Path, error: CommandError) -> CommandError {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    if error.message.contains(&name) {
        return error;
    }
    // Making the message a sentence capitalised a name that starts it ("lecture 3.mp3 is a PDF"
    // became "Lecture 3.mp3 ..."): give the name back its own spelling.
    let mut chars = name.chars();
    let capitalised: String = chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if let Some(rest) = error.message.strip_prefix(&capitalised) {
        return CommandError {
            kind: error.kind,
            message: format!("{name}{rest}"),
        };
    }
    CommandError::new(
        error.kind,
        format!(
            "\u{201c}{name}\u{201d} could not be imported: {}",
            error.message
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_names_its_file_once_and_as_spelled() {
        let named = |message: &str| {
            naming_file(
                Path::new("/home/ada/lecture 3.mp3"),
                CommandError::invalid(message),
            )
            .message
        };
        assert_eq!(
            named("lecture 3.mp3 is a PDF document, not audio or video"),
            "lecture 3.mp3 is a PDF document, not audio or video."
        );
        assert_eq!(
            named("the file is damaged"),
            "\u{201c}lecture 3.mp3\u{201d} could not be imported: The file is damaged."
        );
    }
}
