//! The lectures and documents of a class.

use lm_core::store::{Document, Lecture};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::CommandResult;
use crate::events::{LibraryChanged, names};
use crate::state::ShellState;

/// A lecture as the class's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LectureSummary {
    /// The lecture's id.
    pub id: String,
    /// Its class.
    pub class_id: String,
    /// Its title.
    pub title: String,
    /// `recording`, `imported`, `transcribing`, `transcribed`, `indexed` or `failed`.
    pub status: String,
    /// Its length in ms, once known.
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    /// When it was added (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
    /// When it last changed (Unix ms).
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<&Lecture> for LectureSummary {
    fn from(lecture: &Lecture) -> Self {
        Self {
            id: lecture.id.to_string(),
            class_id: lecture.class_id.to_string(),
            title: lecture.title.clone(),
            status: lecture.status.as_str().to_owned(),
            duration_ms: lecture.duration_ms,
            created_at: lecture.created_at,
            updated_at: lecture.updated_at,
        }
    }
}

/// A document as the class's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSummary {
    /// The document's id.
    pub id: String,
    /// Its class.
    pub class_id: String,
    /// Its title.
    pub title: String,
    /// `pdf`, `docx`, `markdown`, `text` or `image`.
    pub kind: String,
    /// Its MIME type.
    pub mime: String,
    /// How many pages it has, once read.
    pub page_count: Option<u32>,
    /// When it was added (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
}

impl From<&Document> for DocumentSummary {
    fn from(document: &Document) -> Self {
        Self {
            id: document.id.to_string(),
            class_id: document.class_id.to_string(),
            title: document.title.clone(),
            kind: document.kind.as_str().to_owned(),
            mime: document.mime.clone(),
            page_count: document.page_count,
            created_at: document.created_at,
        }
    }
}

/// The lectures of class `class_id`.
#[tauri::command]
pub fn list_lectures(
    state: State<'_, ShellState>,
    class_id: String,
) -> CommandResult<Vec<LectureSummary>> {
    state.with_library(|library| {
        let lectures = library.store().lectures().list_by_class(&class_id.into())?;
        Ok(lectures.iter().map(LectureSummary::from).collect())
    })
}

/// The documents of class `class_id`.
#[tauri::command]
pub fn list_documents(
    state: State<'_, ShellState>,
    class_id: String,
) -> CommandResult<Vec<DocumentSummary>> {
    state.with_library(|library| {
        let documents = library
            .store()
            .documents()
            .list_by_class(&class_id.into())?;
        Ok(documents.iter().map(DocumentSummary::from).collect())
    })
}

/// Deletes lecture `lecture_id` with its transcript.
#[tauri::command]
pub fn delete_lecture(state: State<'_, ShellState>, lecture_id: String) -> CommandResult<()> {
    let class_id = state.with_library(|library| {
        let lectures = library.store().lectures();
        let id = lecture_id.into();
        let class_id = lectures.get(&id)?.class_id;
        lectures.delete(&id)?;
        Ok(class_id)
    })?;
    changed(&state, class_id.to_string());
    Ok(())
}

/// Deletes document `document_id` with its pages.
#[tauri::command]
pub fn delete_document(state: State<'_, ShellState>, document_id: String) -> CommandResult<()> {
    let class_id = state.with_library(|library| {
        let documents = library.store().documents();
        let id = document_id.into();
        let class_id = documents.get(&id)?.class_id;
        documents.delete(&id)?;
        Ok(class_id)
    })?;
    changed(&state, class_id.to_string());
    Ok(())
}

/// Tells the window that class `class_id`'s lists changed.
pub(crate) fn changed(state: &ShellState, class_id: String) {
    state.emit(names::LIBRARY_CHANGED, &LibraryChanged { class_id });
}
