//! Flashcards: generated as a job, reviewed with FSRS, edited, imported and exported as CSV.

use std::fs::File;
use std::path::PathBuf;

use lm_core::store::{Flashcard, FlashcardId, Rating};
use lm_core::study::flashcards::{
    CardRequest, CardSource, enqueue, export_csv, import_csv, preview, review,
};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use super::chat::CitationView;
use super::notes::StudyScopeInput;
use super::{blocking, now_ms};
use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::state::ShellState;

/// What one review button would do.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewChoiceView {
    /// The button: 1 again, 2 hard, 3 good, 4 easy.
    pub rating: u32,
    /// `again`, `hard`, `good` or `easy`.
    pub label: String,
    /// When the card would next be due (Unix ms).
    #[ts(type = "number")]
    pub due: i64,
    /// How long from now that is, in ms (for "10 min", "3 days").
    #[ts(type = "number")]
    pub interval_ms: i64,
}

/// A flashcard with its schedule.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FlashcardView {
    /// The card's id.
    pub id: String,
    /// Its class.
    pub class_id: String,
    /// The question side.
    pub front: String,
    /// The answer side.
    pub back: String,
    /// The places it was made from.
    pub citations: Vec<CitationView>,
    /// `new`, `learning`, `review` or `relearning`.
    pub state: String,
    /// When it is due (Unix ms).
    #[ts(type = "number")]
    pub due: i64,
    /// Reviews so far.
    pub reps: u32,
    /// Times forgotten.
    pub lapses: u32,
    /// Whether it is left out of reviews.
    pub suspended: bool,
    /// What each button would do (filled by `due_flashcards`, empty elsewhere).
    pub choices: Vec<ReviewChoiceView>,
}

fn rating_label(rating: Rating) -> &'static str {
    match rating {
        Rating::Again => "again",
        Rating::Hard => "hard",
        Rating::Good => "good",
        Rating::Easy => "easy",
    }
}

fn card_view(card: &Flashcard, choices: Vec<ReviewChoiceView>) -> FlashcardView {
    FlashcardView {
        id: card.id.to_string(),
        class_id: card.class_id.to_string(),
        front: card.front.clone(),
        back: card.back.clone(),
        citations: card.citations.iter().map(CitationView::from).collect(),
        state: card.state.as_str().to_owned(),
        due: card.due,
        reps: card.reps,
        lapses: card.lapses,
        suspended: card.suspended,
        choices,
    }
}

/// Queues `count` flashcards on `scope`; returns the job id.
#[tauri::command]
pub fn generate_flashcards(
    state: State<'_, ShellState>,
    scope: StudyScopeInput,
    count: usize,
) -> CommandResult<String> {
    state.queue_study_job(|store, threads| {
        let request = CardRequest {
            source: CardSource::Scope {
                scope: scope.into(),
            },
            cards: count,
            seed: 42,
            threads,
        };
        enqueue(store, &request)
    })
}

/// The cards of class `class_id`.
#[tauri::command]
pub fn list_flashcards(
    state: State<'_, ShellState>,
    class_id: String,
) -> CommandResult<Vec<FlashcardView>> {
    state.with_library(|library| {
        let cards = library
            .store()
            .flashcards()
            .list_by_class(&class_id.into())?;
        Ok(cards
            .iter()
            .map(|card| card_view(card, Vec::new()))
            .collect())
    })
}

/// The cards of class `class_id` due now, each with what its four buttons would do.
#[tauri::command]
pub fn due_flashcards(
    state: State<'_, ShellState>,
    class_id: String,
) -> CommandResult<Vec<FlashcardView>> {
    let now = now_ms();
    state.with_library(|library| {
        let cards = library.store().flashcards().due(&class_id.into(), now)?;
        cards
            .iter()
            .map(|card| {
                let choices = preview(card, now)?
                    .iter()
                    .map(|choice| ReviewChoiceView {
                        rating: choice.rating.number(),
                        label: rating_label(choice.rating).to_owned(),
                        due: choice.due,
                        interval_ms: choice.interval_ms,
                    })
                    .collect();
                Ok(card_view(card, choices))
            })
            .collect()
    })
}

/// Records a review of card `card_id` (`rating` 1 again, 2 hard, 3 good, 4 easy) and returns the
/// card with its next due date.
#[tauri::command]
pub fn review_flashcard(
    state: State<'_, ShellState>,
    card_id: String,
    rating: u32,
) -> CommandResult<FlashcardView> {
    let rating = Rating::from_number(rating).ok_or_else(|| {
        CommandError::invalid(format!(
            "a review rating is 1 (again), 2 (hard), 3 (good) or 4 (easy), not {rating}"
        ))
    })?;
    state.with_library(|library| {
        let outcome = review(
            library.store(),
            &FlashcardId::from(card_id),
            rating,
            now_ms(),
            None,
        )?;
        Ok(card_view(&outcome.card, Vec::new()))
    })
}

/// Replaces both sides of card `card_id`.
#[tauri::command]
pub fn edit_flashcard(
    state: State<'_, ShellState>,
    card_id: String,
    front: String,
    back: String,
) -> CommandResult<FlashcardView> {
    state.with_library(|library| {
        let card = library
            .store()
            .flashcards()
            .edit(&FlashcardId::from(card_id), &front, &back)?;
        Ok(card_view(&card, Vec::new()))
    })
}

/// Leaves card `card_id` out of reviews (or takes it back).
#[tauri::command]
pub fn suspend_flashcard(
    state: State<'_, ShellState>,
    card_id: String,
    suspended: bool,
) -> CommandResult<()> {
    state.with_library(|library| {
        Ok(library
            .store()
            .flashcards()
            .set_suspended(&card_id.into(), suspended)?)
    })
}

/// Deletes card `card_id`.
#[tauri::command]
pub fn delete_flashcard(state: State<'_, ShellState>, card_id: String) -> CommandResult<()> {
    state.with_library(|library| Ok(library.store().flashcards().delete(&card_id.into())?))
}

fn file_error(action: &str, path: &std::path::Path, error: std::io::Error) -> CommandError {
    CommandError::new(
        ErrorKind::Io,
        format!("cannot {action} {}: {error}", path.display()),
    )
}

/// Imports cards from the CSV file `path` (`front,back[,source]` rows) into class `class_id`;
/// returns how many. One bad row imports nothing.
#[tauri::command]
pub async fn import_flashcards_csv<R: Runtime>(
    app: AppHandle<R>,
    class_id: String,
    path: String,
) -> CommandResult<usize> {
    blocking(app, move |state| {
        let path = PathBuf::from(path);
        let file = File::open(&path).map_err(|error| file_error("open", &path, error))?;
        let library = state.open_library()?;
        Ok(import_csv(library.store(), &class_id.into(), file)?.len())
    })
    .await
}

/// Writes the cards of class `class_id` to the CSV file `path`; returns how many.
#[tauri::command]
pub async fn export_flashcards_csv<R: Runtime>(
    app: AppHandle<R>,
    class_id: String,
    path: String,
) -> CommandResult<usize> {
    blocking(app, move |state| {
        let path = PathBuf::from(path);
        let file = File::create(&path).map_err(|error| file_error("create", &path, error))?;
        let library = state.open_library()?;
        Ok(export_csv(library.store(), &class_id.into(), file)?)
    })
    .await
}
