//! Where Little Monster keeps things on disk.
//!
//! Every location can be overridden by an environment variable, which tests and power users use
//! to keep several installations apart:
//!
//! | what | variable | default |
//! |---|---|---|
//! | user data (profiles, databases, media) | `LITTLEMONSTER_DATA_DIR` | `$XDG_DATA_HOME/littlemonster` |
//! | model weights | `LITTLEMONSTER_MODELS_DIR` | `<data dir>/models` |
//! | worker binaries | `LITTLEMONSTER_WORKER_DIR` | the directory of the running executable |

use std::path::PathBuf;

/// The root folder for user data.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LITTLEMONSTER_DATA_DIR") {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("littlemonster")
}

/// The folder that holds fetched or imported model files, laid out as `<model id>/<file>`.
pub fn models_dir() -> PathBuf {
    match std::env::var_os("LITTLEMONSTER_MODELS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => data_dir().join("models"),
    }
}

/// The folder that holds the worker binaries (`lm-stt-worker`, `lm-llm-worker`).
pub fn worker_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LITTLEMONSTER_WORKER_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."))
}
