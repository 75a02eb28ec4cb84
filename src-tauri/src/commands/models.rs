//! Model files: which models the catalog lists, whether they are installed and intact, and
//! installing one handed in by hand.

use lm_core::models::{CheckDepth, FileState, ModelStatus, ModelStore};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use super::blocking;
use crate::error::CommandResult;
use crate::state::ShellState;

/// Whether a model's files are in the models folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// Every file is there with the catalog's size (and hash, after `verify_models`).
    Installed,
    /// No file is there.
    Missing,
    /// Some files are missing or wrong (an interrupted copy, say).
    Incomplete,
}

/// One catalog model as the UI lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModelSummary {
    /// Catalog id, also the model's folder name.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// What it is for: `stt`, `llm`, `embedding`, `tts` or `runtime`.
    pub role: String,
    /// One line on what it is good for.
    pub description: String,
    /// Total size of its files in bytes.
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// Whether its files are installed.
    pub presence: Presence,
    /// For a model that is not installed: which files are wrong, naming each.
    pub problem: Option<String>,
}

/// Every catalog model with its state checked to `depth`.
pub(crate) fn summaries(store: &ModelStore, depth: CheckDepth) -> CommandResult<Vec<ModelSummary>> {
    let statuses = store.status_all(depth)?;
    Ok(store
        .catalog()
        .entries()
        .iter()
        .zip(statuses)
        .map(|(entry, status)| ModelSummary {
            id: entry.id.clone(),
            name: entry.name.clone(),
            role: entry.role.to_string(),
            description: entry.description.clone(),
            size_bytes: entry.files.iter().map(|file| file.size).sum(),
            presence: presence(&status),
            problem: (!status.is_ok()).then(|| status.to_string()),
        })
        .collect())
}

fn presence(status: &ModelStatus) -> Presence {
    if status.is_ok() {
        Presence::Installed
    } else if status
        .files
        .iter()
        .all(|file| file.state == FileState::Missing)
    {
        Presence::Missing
    } else {
        Presence::Incomplete
    }
}

/// Lists the bundled catalog's models with their installed state. Checks presence and size
/// only, so it is instant; `verify_models` checks content.
#[tauri::command]
pub fn list_models(state: State<'_, ShellState>) -> CommandResult<Vec<ModelSummary>> {
    summaries(&state.model_store()?, CheckDepth::SizeOnly)
}

/// Lists the catalog's models after checking every installed file's sha256 (reads every byte).
#[tauri::command]
pub async fn verify_models<R: Runtime>(app: AppHandle<R>) -> CommandResult<Vec<ModelSummary>> {
    blocking(app, |state| {
        summaries(&state.model_store()?, CheckDepth::Full)
    })
    .await
}

/// Installs the model file at `path` (dropped on the window) when it is one of the catalog's,
/// checked by size and sha256; returns that model's state.
#[tauri::command]
pub async fn import_model_file<R: Runtime>(
    app: AppHandle<R>,
    path: String,
) -> CommandResult<ModelSummary> {
    blocking(app, move |state| {
        let store = state.model_store()?;
        let id = store.import_file(std::path::Path::new(&path))?;
        let listed = summaries(&store, CheckDepth::SizeOnly)?;
        listed
            .into_iter()
            .find(|model| model.id == id)
            .ok_or_else(|| {
                crate::error::CommandError::internal(format!(
                    "model {id} vanished from the catalog"
                ))
            })
    })
    .await
}
