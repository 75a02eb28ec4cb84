//! Commands about the app itself: its version, where it keeps things, and what a bug report
//! needs (workers found, models present, recent log lines).

use std::path::PathBuf;

use lm_core::models::CheckDepth;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use super::models::{ModelSummary, summaries};
use crate::error::CommandResult;
use crate::state::ShellState;

/// The worker programs the engines run in (shipped next to the app as sidecars).
const WORKER_BINARIES: [&str; 2] = ["lm-stt-worker", "lm-llm-worker"];

/// What the UI shows about this installation.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The app's version, e.g. `0.1.0`.
    pub version: String,
    /// The folder that holds user data.
    pub data_dir: String,
    /// The folder that holds model files.
    pub models_dir: String,
}

/// A worker program and whether it was found.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorkerBinary {
    /// Its name (`lm-stt-worker`).
    pub name: String,
    /// Where it is looked for.
    pub path: String,
    /// Whether it is there.
    pub found: bool,
}

/// Everything a bug report needs.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostics {
    /// Folders and version.
    pub app: AppInfo,
    /// The operating system and CPU architecture (`linux x86_64`).
    pub platform: String,
    /// The worker programs.
    pub workers: Vec<WorkerBinary>,
    /// The catalog's models and whether they are installed (sizes checked).
    pub models: Vec<ModelSummary>,
    /// The active profile's name.
    pub profile: String,
    /// `running`, or why background jobs do not run.
    pub job_runner: String,
    /// The most recent log lines, oldest first.
    pub log_lines: Vec<String>,
}

fn info<R: Runtime>(app: &AppHandle<R>, state: &ShellState) -> AppInfo {
    AppInfo {
        version: app.package_info().version.to_string(),
        data_dir: state.config().data_dir.display().to_string(),
        models_dir: state.config().models_dir.display().to_string(),
    }
}

/// Returns the app version and the folders that hold user data and models.
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, state: State<'_, ShellState>) -> AppInfo {
    info(&app, &state)
}

/// Returns what a bug report needs: versions, worker programs found, model presence, the job
/// runner's state and the last log lines.
#[tauri::command]
pub fn diagnostics<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, ShellState>,
) -> CommandResult<Diagnostics> {
    let worker_dir: PathBuf = lm_core::paths::worker_dir();
    let workers = WORKER_BINARIES
        .iter()
        .map(|name| {
            let path = worker_dir.join(name);
            WorkerBinary {
                name: (*name).to_owned(),
                found: path.is_file(),
                path: path.display().to_string(),
            }
        })
        .collect();
    let (profile, job_runner) = state.with_profile(|profile| {
        Ok((
            profile.services.library().profile().name.clone(),
            profile
                .runner_problem
                .clone()
                .unwrap_or_else(|| "running".to_owned()),
        ))
    })?;
    Ok(Diagnostics {
        app: info(&app, &state),
        platform: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        workers,
        models: summaries(&state.model_store()?, CheckDepth::SizeOnly)?,
        profile,
        job_runner,
        log_lines: crate::logs::recent_lines(),
    })
}
