//! Settings: which models and voice the engines use, and how many CPU threads.

use std::path::{Path, PathBuf};

use lm_services::{DEFAULT_LLM_MODEL, DEFAULT_VOICE, DEFAULT_WHISPER_MODEL, EngineSettings};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::state::ShellState;

/// The settings file inside the data folder.
const SETTINGS_FILE: &str = "settings.json";

/// The app's settings (shared by every profile on this device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// CPU threads for every engine; `null` keeps each engine's default (one).
    pub threads: Option<u32>,
    /// The speech-to-text model: a catalog id or a ggml file.
    pub whisper_model: String,
    /// The language model: a catalog id or a GGUF file.
    pub llm_model: String,
    /// The read-aloud voice: a catalog id or a Piper `.onnx` file.
    pub voice: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            threads: None,
            whisper_model: DEFAULT_WHISPER_MODEL.to_owned(),
            llm_model: DEFAULT_LLM_MODEL.to_owned(),
            voice: DEFAULT_VOICE.to_owned(),
        }
    }
}

impl Settings {
    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(SETTINGS_FILE)
    }

    /// The settings saved in `data_dir`; the defaults when there are none or the file is
    /// damaged (which is logged: the student can save them again).
    pub fn load(data_dir: &Path) -> Self {
        let path = Self::path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|error| {
                tracing::warn!(
                    "ignoring the damaged settings file {}: {error}",
                    path.display()
                );
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    /// Writes the settings into `data_dir` (atomically: a crash leaves the old file).
    pub fn save(&self, data_dir: &Path) -> CommandResult<()> {
        let path = Self::path(data_dir);
        let io_error = |error: std::io::Error| {
            CommandError::new(
                ErrorKind::Io,
                format!("cannot save the settings to {}: {error}", path.display()),
            )
        };
        std::fs::create_dir_all(data_dir).map_err(io_error)?;
        let text = serde_json::to_string_pretty(self).map_err(|error| {
            CommandError::internal(format!("cannot encode the settings: {error}"))
        })?;
        let staged = path.with_extension("json.new");
        std::fs::write(&staged, text).map_err(io_error)?;
        std::fs::rename(&staged, &path).map_err(io_error)
    }

    /// The engine settings these stand for (workers found by `lm_core::paths::worker_dir`:
    /// next to the app in a bundle, `LITTLEMONSTER_WORKER_DIR` in development).
    pub fn engine_settings(&self) -> EngineSettings {
        EngineSettings {
            whisper_model: self.whisper_model.clone(),
            llm_model: self.llm_model.clone(),
            voice: self.voice.clone(),
            threads: self.threads,
            worker_dir: None,
        }
    }

    fn check(&self) -> CommandResult<()> {
        if self.threads == Some(0) {
            return Err(CommandError::invalid(
                "the number of threads must be at least 1",
            ));
        }
        for (what, value) in [
            ("speech-to-text model", &self.whisper_model),
            ("language model", &self.llm_model),
            ("voice", &self.voice),
        ] {
            if value.trim().is_empty() {
                return Err(CommandError::invalid(format!("choose a {what}")));
            }
        }
        Ok(())
    }
}

/// The settings in force.
#[tauri::command]
pub fn get_settings(state: State<'_, ShellState>) -> Settings {
    state.settings()
}

/// Saves `settings` and restarts the engines and jobs with them; returns what was saved.
#[tauri::command]
pub fn save_settings(state: State<'_, ShellState>, settings: Settings) -> CommandResult<Settings> {
    settings.check()?;
    state.save_settings(settings.clone())?;
    Ok(settings)
}
