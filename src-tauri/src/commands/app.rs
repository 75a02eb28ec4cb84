//! Commands about the app itself: its version and where it keeps things.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::state::ShellState;

/// What the UI shows about this installation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The app's version, e.g. `0.1.0`.
    version: String,
    /// The folder that holds user data.
    data_dir: String,
    /// The folder that holds model files.
    models_dir: String,
}

/// Returns the app version and the folders that hold user data and models.
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, state: State<'_, ShellState>) -> AppInfo {
    AppInfo {
        version: app.package_info().version.to_string(),
        data_dir: state.data_dir.display().to_string(),
        models_dir: state.models_dir.display().to_string(),
    }
}
