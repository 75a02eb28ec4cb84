//! The commands the UI may invoke, one module per area of docs/ipc.md. Each gathers its
//! arguments, calls `lm-core` (or `lm-services`) and returns a DTO.
//!
//! A new command must also be named in `src/command_names.rs` (which makes its permission) and
//! granted in `capabilities/main.json`; the `capabilities` test checks both.

pub mod app;
pub mod cards;
pub mod chat;
pub mod classes;
pub mod document;
pub mod import;
pub mod jobs;
pub mod lecture;
pub mod library;
pub mod models;
pub mod notes;
pub mod profiles;
pub mod quiz;
pub mod read_aloud;
pub mod record;
pub mod search;
pub mod settings;

use lm_core::store::UnixMillis;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::{CommandError, CommandResult};
use crate::state::ShellState;

/// The wall clock in the store's unit.
pub(crate) fn now_ms() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            UnixMillis::try_from(elapsed.as_millis()).unwrap_or(UnixMillis::MAX)
        })
}

/// Runs `body` on a blocking thread with the shell state, so a slow command (an import, a
/// checksum) neither blocks the window's thread nor the other commands.
pub(crate) async fn blocking<R: Runtime, T: Send + 'static>(
    app: AppHandle<R>,
    body: impl FnOnce(&ShellState) -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(move || body(&app.state::<ShellState>()))
        .await
        .map_err(|error| CommandError::internal(format!("the command stopped: {error}")))?
}

/// A new id for a session that lives only in memory (an answer, a read-aloud).
pub(crate) fn session_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
