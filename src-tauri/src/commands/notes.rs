//! Notes: generated from a lecture, document or class, then edited by the student.

use lm_core::store::{Note, NoteId, NoteScope};
use lm_core::study::StudyScope;
use lm_core::study::notes::{NotesRequest, enqueue};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use super::chat::CitationView;
use crate::error::CommandResult;
use crate::state::ShellState;

/// What a study tool works from, as the UI names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StudyScopeInput {
    /// One lecture's transcript.
    #[serde(rename_all = "camelCase")]
    Lecture {
        /// The lecture.
        lecture_id: String,
    },
    /// One document.
    #[serde(rename_all = "camelCase")]
    Document {
        /// The document.
        document_id: String,
    },
    /// Every lecture and document of a class.
    #[serde(rename_all = "camelCase")]
    Class {
        /// The class.
        class_id: String,
    },
}

impl From<StudyScopeInput> for StudyScope {
    fn from(scope: StudyScopeInput) -> Self {
        match scope {
            StudyScopeInput::Lecture { lecture_id } => Self::Lecture(lecture_id.into()),
            StudyScopeInput::Document { document_id } => Self::Document(document_id.into()),
            StudyScopeInput::Class { class_id } => Self::Class(class_id.into()),
        }
    }
}

/// A note.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteView {
    /// The note's id.
    pub id: String,
    /// Its class.
    pub class_id: String,
    /// What it covers (`classId` for a whole class).
    pub scope: StudyScopeInput,
    /// Its title.
    pub title: String,
    /// Its text, Markdown with citation markers.
    pub markdown: String,
    /// The places its markers cite.
    pub citations: Vec<CitationView>,
    /// When it was made (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
    /// When it last changed (Unix ms).
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<&Note> for NoteView {
    fn from(note: &Note) -> Self {
        let scope = match &note.scope {
            NoteScope::Class => StudyScopeInput::Class {
                class_id: note.class_id.to_string(),
            },
            NoteScope::Lecture(id) => StudyScopeInput::Lecture {
                lecture_id: id.to_string(),
            },
            NoteScope::Document(id) => StudyScopeInput::Document {
                document_id: id.to_string(),
            },
        };
        Self {
            id: note.id.to_string(),
            class_id: note.class_id.to_string(),
            scope,
            title: note.title.clone(),
            markdown: note.markdown.clone(),
            citations: note.citations.iter().map(CitationView::from).collect(),
            created_at: note.created_at,
            updated_at: note.updated_at,
        }
    }
}

/// The notes of class `class_id`.
#[tauri::command]
pub fn list_notes(state: State<'_, ShellState>, class_id: String) -> CommandResult<Vec<NoteView>> {
    state.with_library(|library| {
        let notes = library.store().notes().list_by_class(&class_id.into())?;
        Ok(notes.iter().map(NoteView::from).collect())
    })
}

/// Queues notes on `scope`; returns the job id (the note appears in `list_notes` when done).
#[tauri::command]
pub fn generate_notes(
    state: State<'_, ShellState>,
    scope: StudyScopeInput,
) -> CommandResult<String> {
    state.queue_study_job(|store, threads| {
        let request = NotesRequest {
            scope: scope.into(),
            title: None,
            seed: 42,
            threads,
        };
        enqueue(store, &request)
    })
}

/// Replaces the text of note `note_id`.
#[tauri::command]
pub fn save_note(
    state: State<'_, ShellState>,
    note_id: String,
    markdown: String,
) -> CommandResult<NoteView> {
    state.with_library(|library| {
        let notes = library.store().notes();
        let id = NoteId::from(note_id);
        notes.update_markdown(&id, &markdown)?;
        Ok(NoteView::from(&notes.get(&id)?))
    })
}

/// Deletes note `note_id`.
#[tauri::command]
pub fn delete_note(state: State<'_, ShellState>, note_id: String) -> CommandResult<()> {
    state.with_library(|library| Ok(library.store().notes().delete(&note_id.into())?))
}
