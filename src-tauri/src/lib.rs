//! The Little Monster desktop shell: turns the core's functions into the commands and events of
//! docs/ipc.md.
//!
//! Domain logic lives in `lm-core` (and the engine wiring in `lm-services`); each command here
//! only gathers its arguments, calls it and turns the result into a DTO the UI's generated
//! TypeScript types describe (`ui/src/bindings/`, see [`bindings`]).

pub mod bindings;
mod command_names;
pub mod commands;
pub mod error;
pub mod events;
mod logs;
pub mod media;
mod state;

use std::sync::Arc;

use tauri::{Manager, RunEvent};

pub use command_names::COMMAND_NAMES;
pub use error::{CommandError, ErrorKind};
pub use state::{ShellConfig, ShellState};

/// Builds the app from `builder` with the shell's state and commands registered.
///
/// [`run`] passes the real builder; tests pass `tauri::test::mock_builder()` and their own state.
pub fn build_app<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: ShellState,
) -> tauri::Result<tauri::App<R>> {
    use commands::*;
    let app = builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            app::app_info,
            app::diagnostics,
            profiles::list_profiles,
            profiles::create_profile,
            profiles::switch_profile,
            classes::list_classes,
            classes::create_class,
            classes::rename_class,
            classes::delete_class,
            library::list_lectures,
            library::list_documents,
            library::delete_lecture,
            library::delete_document,
            import::import_paths,
            jobs::list_jobs,
            jobs::cancel_job,
            jobs::retry_job,
            lecture::get_lecture,
            lecture::get_transcript,
            lecture::edit_segment,
            lecture::split_segment,
            lecture::merge_segments,
            lecture::export_transcript,
            record::list_input_devices,
            record::start_recording,
            record::pause_recording,
            record::resume_recording,
            record::stop_recording,
            record::recording_state,
            document::get_document,
            search::search,
            chat::list_conversations,
            chat::get_conversation,
            chat::ask,
            chat::stop_answer,
            chat::rename_conversation,
            chat::delete_conversation,
            notes::list_notes,
            notes::generate_notes,
            notes::save_note,
            notes::delete_note,
            quiz::generate_quiz,
            quiz::list_quizzes,
            quiz::get_quiz,
            quiz::submit_quiz,
            quiz::quiz_history,
            cards::generate_flashcards,
            cards::list_flashcards,
            cards::due_flashcards,
            cards::review_flashcard,
            cards::edit_flashcard,
            cards::suspend_flashcard,
            cards::delete_flashcard,
            cards::import_flashcards_csv,
            cards::export_flashcards_csv,
            read_aloud::read_aloud,
            read_aloud::stop_read_aloud,
            settings::get_settings,
            settings::save_settings,
            models::list_models,
            models::verify_models,
            models::import_model_file,
        ])
        .build(tauri::generate_context!())?;
    // Attached here rather than in a setup hook: setup runs only once the event loop starts,
    // and the events and the media scope must work before that (and in tests, which never
    // run the loop).
    let handle = app.handle().clone();
    app.state::<ShellState>().attach(Arc::new(handle));
    Ok(app)
}

/// Starts the desktop app and returns when its last window has closed.
pub fn run() {
    logs::init();
    let state = match ShellState::new(ShellConfig::from_environment()) {
        Ok(state) => state,
        Err(error) => {
            eprintln!("Little Monster could not create its temporary folder: {error}");
            std::process::exit(1);
        }
    };
    let builder =
        tauri::Builder::default().plugin(tauri_plugin_window_state::Builder::default().build());
    match build_app(builder, state) {
        Ok(app) => app.run(|app, event| {
            if let RunEvent::Exit = event {
                // Running jobs go back to the queue and resume on the next start.
                app.state::<ShellState>().shut_down();
            }
        }),
        Err(error) => {
            eprintln!("Little Monster could not start: {error}");
            std::process::exit(1);
        }
    }
}
