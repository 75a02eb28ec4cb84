//! The Little Monster desktop shell: turns the core's functions into commands the UI can call.
//!
//! Domain logic lives in `lm-core`; each command here only gathers its arguments and calls it.

mod commands;
mod state;

pub use state::ShellState;

/// Builds the app from `builder` with the shell's state and commands registered.
///
/// [`run`] passes the real builder; tests pass `tauri::test::mock_builder()` and their own state.
pub fn build_app<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: ShellState,
) -> tauri::Result<tauri::App<R>> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::models::list_models,
        ])
        .build(tauri::generate_context!())
}

/// Starts the desktop app and returns when its last window has closed.
pub fn run() {
    match build_app(tauri::Builder::default(), ShellState::from_environment()) {
        Ok(app) => app.run(|_, _| {}),
        Err(error) => {
            eprintln!("Little Monster could not start: {error}");
            std::process::exit(1);
        }
    }
}
