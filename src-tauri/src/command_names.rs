// The names of the app's commands, one place for three readers: build.rs (an `allow-<name>`
// permission each), the invoke handler in lib.rs, and the capability test. Included as text by
// build.rs, so it holds nothing but this constant.

/// Every command the window may invoke, grouped by area as in docs/ipc.md.
pub const COMMAND_NAMES: &[&str] = &[
    // app
    "app_info",
    "diagnostics",
    // profiles
    "list_profiles",
    "create_profile",
    "switch_profile",
    // classes
    "list_classes",
    "create_class",
    "rename_class",
    "delete_class",
    // library
    "list_lectures",
    "list_documents",
    "delete_lecture",
    "delete_document",
    // import
    "import_paths",
    // jobs
    "list_jobs",
    "cancel_job",
    "retry_job",
    // lecture
    "get_lecture",
    "get_transcript",
    "edit_segment",
    "split_segment",
    "merge_segments",
    "export_transcript",
    // record
    "list_input_devices",
    "start_recording",
    "pause_recording",
    "resume_recording",
    "stop_recording",
    "recording_state",
    // document
    "get_document",
    // search
    "search",
    // chat
    "list_conversations",
    "get_conversation",
    "ask",
    "stop_answer",
    "rename_conversation",
    "delete_conversation",
    // notes
    "list_notes",
    "generate_notes",
    "save_note",
    "delete_note",
    // quiz
    "generate_quiz",
    "list_quizzes",
    "get_quiz",
    "submit_quiz",
    "quiz_history",
    // cards
    "generate_flashcards",
    "list_flashcards",
    "due_flashcards",
    "review_flashcard",
    "edit_flashcard",
    "suspend_flashcard",
    "delete_flashcard",
    "import_flashcards_csv",
    "export_flashcards_csv",
    // read aloud
    "read_aloud",
    "stop_read_aloud",
    // settings
    "get_settings",
    "save_settings",
    // models
    "list_models",
    "verify_models",
    "import_model_file",
];
