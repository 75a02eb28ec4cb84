//! Classes: the folders of a student's material.

use lm_core::library::Library;
use lm_core::store::{Class, ClassId};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use super::now_ms;
use crate::error::CommandResult;
use crate::state::ShellState;

/// A class with what it holds, for the sidebar.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClassSummary {
    /// The class's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How many lectures it has.
    pub lecture_count: u32,
    /// How many documents it has.
    pub document_count: u32,
    /// Flashcards due for review now.
    pub due_cards: u32,
    /// All its (live) flashcards.
    pub total_cards: u32,
    /// When it was created (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
}

/// `class` with its counts, read from `library`.
fn summary(library: &Library, class: &Class) -> CommandResult<ClassSummary> {
    let store = library.store();
    let cards = store
        .flashcards()
        .due_counts(now_ms())?
        .into_iter()
        .find(|count| count.class_id == class.id);
    Ok(ClassSummary {
        id: class.id.to_string(),
        name: class.name.clone(),
        lecture_count: count(store.lectures().list_by_class(&class.id)?.len()),
        document_count: count(store.documents().list_by_class(&class.id)?.len()),
        due_cards: cards.as_ref().map_or(0, |cards| cards.due),
        total_cards: cards.as_ref().map_or(0, |cards| cards.total),
        created_at: class.created_at,
    })
}

fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The active profile's classes with their lecture, document and due-card counts.
#[tauri::command]
pub fn list_classes(state: State<'_, ShellState>) -> CommandResult<Vec<ClassSummary>> {
    state.with_library(|library| {
        library
            .store()
            .classes()
            .list(library.profile_id())?
            .iter()
            .map(|class| summary(library, class))
            .collect()
    })
}

/// Creates a class named `name`.
#[tauri::command]
pub fn create_class(state: State<'_, ShellState>, name: String) -> CommandResult<ClassSummary> {
    state.with_library(|library| {
        let class = library
            .store()
            .classes()
            .create(library.profile_id(), &name)?;
        summary(library, &class)
    })
}

/// Renames class `class_id` to `name`.
#[tauri::command]
pub fn rename_class(
    state: State<'_, ShellState>,
    class_id: String,
    name: String,
) -> CommandResult<ClassSummary> {
    state.with_library(|library| {
        let classes = library.store().classes();
        let id = ClassId::from(class_id);
        classes.rename(&id, &name)?;
        summary(library, &classes.get(&id)?)
    })
}

/// Deletes class `class_id` (it disappears from every list; sync peers drop it too).
#[tauri::command]
pub fn delete_class(state: State<'_, ShellState>, class_id: String) -> CommandResult<()> {
    state.with_library(|library| Ok(library.store().classes().soft_delete(&class_id.into())?))
}
