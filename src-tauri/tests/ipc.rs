//! Calls the shell's commands through Tauri's IPC layer (mock runtime, no display) the way the UI
//! does, over a real library in a temp folder: each command's registration, its capability
//! grant, its JSON shape and what it does to the library are checked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may unwrap.

mod common;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{app, call, fails, library, ok, tone_wav, window};
use lm_core::engines::TranscriptSegment;
use lm_core::models::ModelCatalog;
use lm_core::store::{NewFlashcard, NewQuestion, QuestionKind, SegmentInput};
use lm_documents::fixtures::{PdfPage, pdf, save_pdf};
use serde_json::{Value, json};
use tauri::Listener;

#[test]
fn app_info_reports_version_and_folders() {
    let app = app(
        Path::new("/tmp/lm-test/data"),
        Path::new("/tmp/lm-test/models"),
    );
    let info = ok(&window(&app, "main"), "app_info", json!({}));
    assert_eq!(
        info,
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "dataDir": "/tmp/lm-test/data",
            "modelsDir": "/tmp/lm-test/models",
        })
    );
}

#[test]
fn windows_without_a_capability_cannot_call_commands() {
    let app = app(
        Path::new("/tmp/lm-test/data"),
        Path::new("/tmp/lm-test/models"),
    );
    let untrusted = window(&app, "untrusted");
    for command in ["app_info", "list_models", "list_classes"] {
        let error = call(&untrusted, command, json!({})).expect_err("the call is refused");
        assert!(
            error
                .as_str()
                .is_some_and(|message| message.contains("not allowed")),
            "{command}: expected a 'not allowed' refusal, got {error}"
        );
    }
}

/// Creates `path` with `size` bytes (sparse: the listing checks presence and size only).
fn file_of_size(path: &Path, size: u64) {
    fs::create_dir_all(path.parent().expect("model files sit in a folder")).expect("mkdir");
    File::create(path)
        .and_then(|file| file.set_len(size))
        .expect("create model file");
}

#[test]
fn list_models_reports_each_catalog_model_as_installed_missing_or_incomplete() {
    let catalog = ModelCatalog::bundled().expect("the bundled catalog parses");
    let entries = catalog.entries();
    assert!(entries.len() >= 2, "the test needs two catalog models");
    let models_dir = tempfile::tempdir().expect("temp dir");
    let root = models_dir.path();
    let installed = &entries[0];
    for file in &installed.files {
        file_of_size(&root.join(&installed.id).join(&file.path), file.size);
    }
    let broken = &entries[1];
    let broken_file: PathBuf = root.join(&broken.id).join(&broken.files[0].path);
    file_of_size(&broken_file, broken.files[0].size - 1);

    let app = app(Path::new("/tmp/lm-test/data"), root);
    let listed = ok(&window(&app, "main"), "list_models", json!({}));
    let listed = listed.as_array().expect("a list");

    assert_eq!(listed.len(), entries.len());
    for (row, entry) in listed.iter().zip(entries) {
        assert_eq!(row["id"], json!(entry.id));
        let total: u64 = entry.files.iter().map(|file| file.size).sum();
        assert_eq!(row["sizeBytes"], json!(total));
    }
    assert_eq!(listed[0]["presence"], "installed");
    assert_eq!(listed[0]["problem"], Value::Null);
    assert_eq!(listed[1]["presence"], "incomplete");
    let problem = listed[1]["problem"].as_str().expect("a problem text");
    assert!(
        problem.contains(&broken_file.display().to_string()) && problem.contains("wrong size"),
        "{problem}"
    );
    for row in &listed[2..] {
        assert_eq!(row["presence"], "missing", "{row}");
    }
}

#[test]
fn a_dropped_file_that_is_no_catalog_model_is_refused_by_name() {
    let data = tempfile::tempdir().unwrap();
    let app = app(&data.path().join("data"), &data.path().join("models"));
    let main = window(&app, "main");
    let stray = data.path().join("my-model.gguf");
    fs::write(&stray, b"GGUF\x03\x00\x00\x00 not really a model").unwrap();
    let message = fails(
        &main,
        "import_model_file",
        json!({ "path": stray }),
        "invalidInput",
    );
    assert!(
        message.contains("my-model.gguf") && message.contains("catalog"),
        "{message}"
    );
    let empty = data.path().join("empty.gguf");
    File::create(&empty).unwrap();
    let message = fails(
        &main,
        "import_model_file",
        json!({ "path": empty }),
        "invalidInput",
    );
    assert!(
        message.contains("empty.gguf") && message.contains("empty"),
        "{message}"
    );
}

#[test]
fn classes_are_created_listed_renamed_and_deleted() {
    let data = tempfile::tempdir().unwrap();
    let app = app(data.path(), data.path());
    let main = window(&app, "main");
    assert_eq!(ok(&main, "list_classes", json!({})), json!([]));
    let biology = ok(&main, "create_class", json!({ "name": "Biology" }));
    assert_eq!(biology["name"], "Biology");
    assert_eq!(biology["lectureCount"], 0);
    assert_eq!(biology["dueCards"], 0);
    let id = biology["id"].as_str().unwrap();
    let renamed = ok(
        &main,
        "rename_class",
        json!({ "classId": id, "name": "Cell biology" }),
    );
    assert_eq!(renamed["name"], "Cell biology");
    let listed = ok(&main, "list_classes", json!({}));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "Cell biology");
    fails(
        &main,
        "create_class",
        json!({ "name": "  " }),
        "invalidInput",
    );
    ok(&main, "delete_class", json!({ "classId": id }));
    assert_eq!(ok(&main, "list_classes", json!({})), json!([]));
    let message = fails(
        &main,
        "rename_class",
        json!({ "classId": id, "name": "x" }),
        "notFound",
    );
    assert!(message.ends_with('.'), "{message}");
}

#[test]
fn profiles_are_listed_created_and_switched() {
    let data = tempfile::tempdir().unwrap();
    let app = app(data.path(), data.path());
    let main = window(&app, "main");
    // The first start has no profile: the onboarding asks for a name and creates it.
    assert_eq!(ok(&main, "list_profiles", json!({})), json!([]));
    let student = ok(&main, "create_profile", json!({ "name": "Student" }));
    assert_eq!(ok(&main, "list_profiles", json!({}))[0]["active"], true);
    ok(&main, "create_class", json!({ "name": "Biology" }));
    let ada = ok(&main, "create_profile", json!({ "name": "Ada" }));
    assert_eq!(ada["active"], true);
    // Ada's library is separate: no classes.
    assert_eq!(ok(&main, "list_classes", json!({})), json!([]));
    ok(
        &main,
        "switch_profile",
        json!({ "profileId": student["id"] }),
    );
    assert_eq!(ok(&main, "list_classes", json!({}))[0]["name"], "Biology");
    let listed = ok(&main, "list_profiles", json!({}));
    let active: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|profile| profile["active"] == true)
        .map(|profile| profile["name"].clone())
        .collect();
    assert_eq!(active, [json!("Student")]);
}

/// Imports a WAV, a PDF and a Markdown file plus two empty files; returns the report and the
/// class id.
fn import_sample_files(
    main: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    dir: &Path,
) -> (Value, String) {
    let class = ok(main, "create_class", json!({ "name": "Biology" }));
    let class_id = class["id"].as_str().unwrap().to_owned();
    let files = dir.join("drop");
    fs::create_dir_all(&files).unwrap();
    tone_wav(&files.join("cells lecture.wav"), 1.0);
    save_pdf(
        pdf(
            &[PdfPage::paragraphs(&[
                "Mitochondria make ATP for the cell.",
            ])],
            Some("Cell notes"),
        ),
        &files.join("cells.pdf"),
    );
    fs::write(
        files.join("summary.md"),
        "# Osmosis\n\nWater moves across membranes.\n",
    )
    .unwrap();
    File::create(files.join("silence.wav")).unwrap();
    File::create(files.join("blank.pdf")).unwrap();
    let paths: Vec<PathBuf> = [
        "cells lecture.wav",
        "cells.pdf",
        "summary.md",
        "silence.wav",
        "blank.pdf",
    ]
    .iter()
    .map(|name| files.join(name))
    .collect();
    let report = ok(
        main,
        "import_paths",
        json!({ "classId": class_id, "paths": paths }),
    );
    (report, class_id)
}

#[test]
fn import_reports_each_file_and_queues_its_job() {
    let data = tempfile::tempdir().unwrap();
    let app = app(&data.path().join("data"), data.path());
    let main = window(&app, "main");
    let changes = Arc::new(Mutex::new(Vec::<String>::new()));
    let heard = Arc::clone(&changes);
    app.listen("library-changed", move |event| {
        heard.lock().unwrap().push(event.payload().to_owned());
    });

    let (report, class_id) = import_sample_files(&main, data.path());
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 5, "{report}");
    assert_eq!(report["imported"], 3, "{report}");
    assert_eq!(report["failed"], 2, "{report}");
    assert_eq!(files[0]["status"], "imported");
    assert_eq!(files[0]["itemKind"], "lecture");
    assert_eq!(files[0]["title"], "cells lecture");
    assert_eq!(files[1]["itemKind"], "document");
    assert_eq!(files[2]["itemKind"], "document");
    for (file, name) in files[3..].iter().zip(["silence.wav", "blank.pdf"]) {
        assert_eq!(file["status"], "failed", "{file}");
        assert_eq!(file["error"]["kind"], "invalidInput", "{file}");
        let message = file["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(name),
            "the message names the file: {message}"
        );
        assert!(message.ends_with('.'), "{message}");
    }
    assert!(
        changes
            .lock()
            .unwrap()
            .iter()
            .any(|payload| payload.contains(&class_id)),
        "a library-changed event names the class"
    );

    // The same files again: duplicates, nothing new.
    let again = ok(
        &main,
        "import_paths",
        json!({ "classId": class_id, "paths": [data.path().join("drop/cells.pdf")] }),
    );
    assert_eq!(again["files"][0]["status"], "duplicate", "{again}");

    let lectures = ok(&main, "list_lectures", json!({ "classId": class_id }));
    assert_eq!(lectures.as_array().unwrap().len(), 1);
    assert_eq!(lectures[0]["durationMs"], 1000, "{lectures}");
    let documents = ok(&main, "list_documents", json!({ "classId": class_id }));
    assert_eq!(documents.as_array().unwrap().len(), 2);
    let classes = ok(&main, "list_classes", json!({}));
    assert_eq!(classes[0]["lectureCount"], 1);
    assert_eq!(classes[0]["documentCount"], 2);

    // One transcription and two indexing jobs wait (jobs are off in this app).
    let jobs = ok(&main, "list_jobs", json!({}));
    let kinds: Vec<_> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["kind"].clone())
        .collect();
    assert_eq!(
        kinds.iter().filter(|kind| *kind == "transcribe").count(),
        1,
        "{jobs}"
    );
    assert_eq!(
        kinds.iter().filter(|kind| *kind == "index").count(),
        2,
        "{jobs}"
    );
    let transcription = jobs
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["kind"] == "transcribe")
        .unwrap();
    assert_eq!(transcription["status"], "queued");
    assert_eq!(transcription["subject"], "cells lecture");
    assert_eq!(transcription["classId"], class_id.as_str());

    let job_id = transcription["id"].as_str().unwrap();
    ok(&main, "cancel_job", json!({ "jobId": job_id }));
    let cancelled = ok(&main, "list_jobs", json!({}));
    let status = |jobs: &Value| {
        jobs.as_array()
            .unwrap()
            .iter()
            .find(|job| job["id"] == job_id)
            .map(|job| job["status"].clone())
    };
    assert_eq!(status(&cancelled), Some(json!("cancelled")));
    ok(&main, "retry_job", json!({ "jobId": job_id }));
    assert_eq!(
        status(&ok(&main, "list_jobs", json!({}))),
        Some(json!("queued"))
    );
    fails(
        &main,
        "cancel_job",
        json!({ "jobId": "no-such-job" }),
        "notFound",
    );

    // The document's page text and a URL the window may load.
    let document = ok(
        &main,
        "get_document",
        json!({ "documentId": files[1]["itemId"] }),
    );
    assert_eq!(document["title"], "Cell notes");
    assert!(
        document["pages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Mitochondria")
    );
    assert!(
        document["fileUrl"]
            .as_str()
            .unwrap()
            .starts_with("asset://localhost/%2F")
    );
}

#[test]
fn a_transcript_is_read_corrected_split_merged_and_exported() {
    let data = tempfile::tempdir().unwrap();
    let app = app(&data.path().join("data"), data.path());
    let main = window(&app, "main");
    let (report, _) = import_sample_files(&main, data.path());
    let lecture_id = report["files"][0]["itemId"].as_str().unwrap().to_owned();
    let segment = |start_ms, end_ms, text: &str| SegmentInput {
        segment: TranscriptSegment::new(start_ms, end_ms, text),
        speaker: None,
    };
    library(&data.path().join("data"))
        .store()
        .transcripts()
        .replace(
            &lecture_id.clone().into(),
            &[
                segment(0, 400, "Cells are small."),
                segment(400, 1000, "Mitocondria make energy."),
            ],
        )
        .unwrap();

    let lecture = ok(&main, "get_lecture", json!({ "lectureId": lecture_id }));
    assert_eq!(lecture["title"], "cells lecture");
    let media = lecture["mediaUrl"].as_str().unwrap();
    assert!(
        media.starts_with("asset://localhost/%2F") && media.ends_with(".wav"),
        "{media}"
    );

    let transcript = ok(&main, "get_transcript", json!({ "lectureId": lecture_id }));
    assert_eq!(transcript.as_array().unwrap().len(), 2);
    assert_eq!(transcript[1]["startMs"], 400);
    let second = transcript[1]["id"].as_str().unwrap();
    let fixed = ok(
        &main,
        "edit_segment",
        json!({ "segmentId": second, "text": "Mitochondria make energy." }),
    );
    assert_eq!(fixed["text"], "Mitochondria make energy.");
    fails(
        &main,
        "edit_segment",
        json!({ "segmentId": second, "text": " " }),
        "invalidInput",
    );

    let split = ok(
        &main,
        "split_segment",
        json!({ "segmentId": second, "atChar": 13 }),
    );
    let texts: Vec<_> = split
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].clone())
        .collect();
    assert_eq!(
        texts,
        [
            json!("Cells are small."),
            json!("Mitochondria"),
            json!("make energy.")
        ]
    );
    let merged = ok(
        &main,
        "merge_segments",
        json!({ "firstId": split[1]["id"], "secondId": split[2]["id"] }),
    );
    assert_eq!(merged.as_array().unwrap().len(), 2);
    assert_eq!(merged[1]["text"], "Mitochondria make energy.");

    let out = data.path().join("cells.srt");
    let written = ok(
        &main,
        "export_transcript",
        json!({ "lectureId": lecture_id, "format": "srt", "path": out }),
    );
    assert_eq!(written, json!(out.display().to_string()));
    let srt = fs::read_to_string(&out).unwrap();
    assert!(
        srt.contains("00:00:00,400 --> 00:00:01,000") && srt.contains("Mitochondria"),
        "{srt}"
    );
    let message = fails(
        &main,
        "export_transcript",
        json!({ "lectureId": lecture_id, "format": "doc", "path": out }),
        "invalidInput",
    );
    assert!(message.contains("doc"), "{message}");
}

#[test]
fn a_stored_quiz_is_taken_graded_and_kept_in_the_history() {
    let data = tempfile::tempdir().unwrap();
    let app = app(&data.path().join("data"), data.path());
    let main = window(&app, "main");
    let class = ok(&main, "create_class", json!({ "name": "Biology" }));
    let class_id = class["id"].as_str().unwrap().to_owned();
    let question = |prompt: &str, choices: &[&str], answer: &str| NewQuestion {
        kind: QuestionKind::MultipleChoice,
        prompt: prompt.into(),
        choices: choices.iter().map(|choice| (*choice).to_owned()).collect(),
        answer: answer.into(),
        explanation: "Because.".into(),
        citations: Vec::new(),
    };
    let quiz = library(&data.path().join("data"))
        .store()
        .quizzes()
        .create(
            &class_id.clone().into(),
            "Cells",
            None,
            &[
                question("What makes ATP?", &["Mitochondria", "Ribosomes"], "0"),
                question("What holds DNA?", &["Membrane", "Nucleus"], "1"),
            ],
        )
        .unwrap();

    let view = ok(&main, "get_quiz", json!({ "quizId": quiz.id }));
    assert_eq!(view["questions"].as_array().unwrap().len(), 2);
    assert_eq!(
        view["questions"][0]["choices"],
        json!(["Mitochondria", "Ribosomes"])
    );
    assert!(
        view["questions"][0].get("answer").is_none(),
        "answers stay hidden: {view}"
    );

    let result = ok(
        &main,
        "submit_quiz",
        json!({ "quizId": quiz.id, "answers": ["0", "0"] }),
    );
    assert_eq!(result["score"], 0.5);
    assert_eq!(result["correct"], 1);
    assert_eq!(result["feedback"][1]["correct"], false);
    assert_eq!(result["feedback"][1]["answer"], "1");
    fails(
        &main,
        "submit_quiz",
        json!({ "quizId": quiz.id, "answers": ["7"] }),
        "invalidInput",
    );
    fails(
        &main,
        "submit_quiz",
        json!({ "quizId": quiz.id, "answers": ["0", "1", "1"] }),
        "invalidInput",
    );

    let listed = ok(&main, "list_quizzes", json!({ "classId": class_id }));
    assert_eq!(listed[0]["bestScore"], 0.5);
    assert_eq!(listed[0]["questionCount"], 2);
    let history = ok(&main, "quiz_history", json!({ "classId": class_id }));
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["quizTitle"], "Cells");

    // Generation refuses an empty class at once, with nothing queued.
    let message = fails(
        &main,
        "generate_quiz",
        json!({ "scope": { "kind": "class", "classId": class_id }, "count": 3 }),
        "invalidInput",
    );
    assert!(message.starts_with("Nothing to work from"), "{message}");
    assert_eq!(ok(&main, "list_jobs", json!({})), json!([]));
}

#[test]
fn a_due_card_is_reviewed_and_scheduled_later() {
    let data = tempfile::tempdir().unwrap();
    let app = app(&data.path().join("data"), data.path());
    let main = window(&app, "main");
    let class = ok(&main, "create_class", json!({ "name": "Biology" }));
    let class_id = class["id"].as_str().unwrap().to_owned();
    let card = library(&data.path().join("data"))
        .store()
        .flashcards()
        .create(
            &class_id.clone().into(),
            &NewFlashcard {
                front: "What makes ATP?".into(),
                back: "Mitochondria".into(),
                ..NewFlashcard::default()
            },
        )
        .unwrap();
    assert_eq!(ok(&main, "list_classes", json!({}))[0]["dueCards"], 1);
    let due = ok(&main, "due_flashcards", json!({ "classId": class_id }));
    let choices = due[0]["choices"].as_array().unwrap();
    let ratings: Vec<_> = choices
        .iter()
        .map(|choice| choice["rating"].clone())
        .collect();
    assert_eq!(ratings, [json!(1), json!(2), json!(3), json!(4)]);
    assert!(
        choices[3]["intervalMs"].as_i64().unwrap() > choices[0]["intervalMs"].as_i64().unwrap()
    );

    let reviewed = ok(
        &main,
        "review_flashcard",
        json!({ "cardId": card.id, "rating": 3 }),
    );
    assert_eq!(reviewed["reps"], 1);
    assert!(reviewed["due"].as_i64().unwrap() > card.due, "{reviewed}");
    assert_eq!(
        ok(&main, "due_flashcards", json!({ "classId": class_id })),
        json!([])
    );
    let message = fails(
        &main,
        "review_flashcard",
        json!({ "cardId": card.id, "rating": 7 }),
        "invalidInput",
    );
    assert!(message.contains('7'), "{message}");

    let edited = ok(
        &main,
        "edit_flashcard",
        json!({ "cardId": card.id, "front": "Which organelle makes ATP?", "back": "Mitochondria" }),
    );
    assert_eq!(edited["front"], "Which organelle makes ATP?");
    ok(
        &main,
        "suspend_flashcard",
        json!({ "cardId": card.id, "suspended": true }),
    );
    assert_eq!(
        ok(&main, "list_flashcards", json!({ "classId": class_id }))[0]["suspended"],
        true
    );

    let csv = data.path().join("cards.csv");
    assert_eq!(
        ok(
            &main,
            "export_flashcards_csv",
            json!({ "classId": class_id, "path": csv })
        ),
        1
    );
    fs::write(
        &csv,
        "front,back\nWhat is osmosis?,Water crossing a membrane\n",
    )
    .unwrap();
    assert_eq!(
        ok(
            &main,
            "import_flashcards_csv",
            json!({ "classId": class_id, "path": csv })
        ),
        1
    );
    fs::write(&csv, "only one column\n").unwrap();
    let message = fails(
        &main,
        "import_flashcards_csv",
        json!({ "classId": class_id, "path": csv }),
        "invalidInput",
    );
    assert!(message.contains("Row 1"), "{message}");
    ok(&main, "delete_flashcard", json!({ "cardId": card.id }));
    assert_eq!(
        ok(&main, "list_flashcards", json!({ "classId": class_id }))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn settings_are_saved_and_read_back() {
    let data = tempfile::tempdir().unwrap();
    let first = app(data.path(), data.path());
    let main = window(&first, "main");
    let settings = ok(&main, "get_settings", json!({}));
    assert_eq!(settings["whisperModel"], "whisper-tiny.en");
    let mut changed = settings.clone();
    changed["threads"] = json!(2);
    ok(&main, "save_settings", json!({ "settings": changed }));
    assert_eq!(ok(&main, "get_settings", json!({}))["threads"], 2);
    let mut bad = settings;
    bad["threads"] = json!(0);
    fails(
        &main,
        "save_settings",
        json!({ "settings": bad }),
        "invalidInput",
    );
    // A fresh app reads the saved file.
    let again = app(data.path(), data.path());
    assert_eq!(
        ok(&window(&again, "main"), "get_settings", json!({}))["threads"],
        2
    );
}

#[test]
fn read_aloud_refuses_text_without_words_and_chat_refuses_an_empty_question() {
    let data = tempfile::tempdir().unwrap();
    let app = app(data.path(), data.path());
    let main = window(&app, "main");
    fails(
        &main,
        "read_aloud",
        json!({ "text": " ** " }),
        "invalidInput",
    );
    fails(&main, "ask", json!({ "question": "  " }), "invalidInput");
    fails(
        &main,
        "search",
        json!({ "query": "x", "mode": "fuzzy" }),
        "invalidInput",
    );
    assert_eq!(ok(&main, "recording_state", json!({})), Value::Null);
    fails(&main, "stop_recording", json!({}), "notFound");
    let diagnostics = ok(&main, "diagnostics", json!({}));
    assert_eq!(diagnostics["profile"], "Student");
    assert_eq!(diagnostics["workers"].as_array().unwrap().len(), 2);
}
