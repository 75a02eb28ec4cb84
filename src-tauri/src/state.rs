//! The state the shell shares with its commands, resolved once at start-up.

use std::path::PathBuf;

/// Where this installation keeps its files; every command sees the same answer.
#[derive(Debug, Clone)]
pub struct ShellState {
    /// The root folder for user data (profiles, databases, media).
    pub data_dir: PathBuf,
    /// The folder that holds model files, laid out as `<model id>/<file>`.
    pub models_dir: PathBuf,
}

impl ShellState {
    /// Resolves the folders through `lm_core::paths`, which honours the `LITTLEMONSTER_*`
    /// environment variables.
    pub fn from_environment() -> Self {
        Self {
            data_dir: lm_core::paths::data_dir(),
            models_dir: lm_core::paths::models_dir(),
        }
    }
}
