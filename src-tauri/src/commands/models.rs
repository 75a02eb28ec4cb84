//! Commands about model files: which models the catalog lists and whether they are installed.

use lm_core::models::{CheckDepth, FileState, ModelCatalog, ModelStatus, ModelStore};
use serde::Serialize;
use tauri::State;

use super::CommandError;
use crate::state::ShellState;

/// Whether a model's files are in the models folder.
#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// Every file is there with the catalog's size.
    Installed,
    /// No file is there.
    Missing,
    /// Some files are missing or have the wrong size (an interrupted copy, say).
    Incomplete,
}

/// One catalog model as the UI lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSummary {
    /// Catalog id, also the model's folder name.
    id: String,
    /// Human-readable name.
    name: String,
    /// What it is for: `stt`, `llm`, `embedding`, `tts` or `runtime`.
    role: String,
    /// One line on what it is good for.
    description: String,
    /// Total size of its files in bytes.
    size_bytes: u64,
    /// Whether its files are installed.
    presence: Presence,
    /// For a model that is not installed: which files are wrong, naming each.
    problem: Option<String>,
}

/// Lists the bundled catalog's models with their installed state. Checks presence and size
/// only, so it is instant; `littlemonster models verify` checks content.
#[tauri::command]
pub fn list_models(state: State<'_, ShellState>) -> Result<Vec<ModelSummary>, CommandError> {
    let store = ModelStore::new(state.models_dir.clone(), ModelCatalog::bundled()?);
    let statuses = store.status_all(CheckDepth::SizeOnly)?;
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
