//! The study commands end to end through the `littlemonster` binary: a Markdown document is
//! imported into a real library in a temporary folder, then `notes`, `quiz`, `cards` and
//! `read-aloud` run with the installed SmolLM2-135M and Piper voice; bad input fails with a
//! clear message, a non-zero exit and nothing stored.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use lm_core::library::{Library, LibraryRoot};

const CELLS: &str = "# Cells\n\n\
The mitochondrion is the powerhouse of the cell. It turns glucose and oxygen into ATP, the \
molecule cells use for energy.\n\n\
The nucleus holds the cell's DNA. DNA carries the instructions for building proteins, and \
ribosomes read those instructions to assemble the proteins from amino acids.\n\n\
Plant cells have a cell wall made of cellulose and chloroplasts that capture sunlight. Animal \
cells have neither; their outer boundary is the cell membrane, which controls what enters \
and leaves the cell.\n";

/// The language model runs in one worker per command; two commands at once on a two-core
/// machine only slow each other down, so the tests that generate take turns.
fn model_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

fn worker_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            lm_testkit::built_binary("lm-llm-worker")
                .parent()
                .unwrap()
                .to_path_buf()
        })
        .clone()
}

/// `littlemonster` working on the library in `data`, with the installed models.
fn littlemonster(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_littlemonster"));
    command
        .env("LITTLEMONSTER_DATA_DIR", data)
        .env("LITTLEMONSTER_MODELS_DIR", lm_core::paths::models_dir())
        .env("LITTLEMONSTER_WORKER_DIR", worker_dir());
    command
}

fn output_of(command: &mut Command, stdin: Option<&str>) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs the command, asserts it succeeded, and returns its stdout and stderr.
fn run_ok(command: &mut Command, stdin: Option<&str>) -> (String, String) {
    let output = output_of(command, stdin);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

/// Runs the command, asserts it failed, and returns its stderr.
fn run_failing(command: &mut Command) -> String {
    let output = output_of(command, None);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "{command:?} should have failed:\n{}\n{stderr}",
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

fn open_library(data: &Path) -> Library {
    LibraryRoot::new(data)
        .open_or_create_default("Student")
        .unwrap()
}

/// A library in a fresh folder with the Cells document imported into class "Biology"; returns
/// the folder guard, the data folder and the document id.
fn library_with_cells() -> (tempfile::TempDir, PathBuf, String) {
    lm_testkit::require_model("smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf");
    lm_testkit::require_model("minilm-l6-v2", "model.onnx");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("cells.md");
    std::fs::write(&file, CELLS).unwrap();
    let (stdout, _) = run_ok(
        littlemonster(&data)
            .arg("import")
            .arg(&file)
            .args(["--class", "Biology"]),
        None,
    );
    let document = stdout
        .split("(document ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no document id in:\n{stdout}"))
        .to_owned();
    (dir, data, document)
}

/// The first word of each line that starts with an id (cards and quizzes list their id first).
fn first_words(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn notes_are_written_with_citations_and_read_aloud() {
    let (dir, data, document) = library_with_cells();
    let _turn = model_turn();
    let out = dir.path().join("cells-notes.md");
    let (stdout, stderr) = run_ok(
        littlemonster(&data)
            .args(["notes", "--document", &document, "-o"])
            .arg(&out),
        None,
    );
    assert_eq!(stdout.trim(), out.display().to_string());
    assert!(
        stderr.contains("job "),
        "progress lines expected:\n{stderr}"
    );
    let markdown = std::fs::read_to_string(&out).unwrap();
    assert!(markdown.to_lowercase().contains("cell"), "{markdown}");
    assert!(
        markdown.contains("[1]"),
        "notes cite their passages:\n{markdown}"
    );

    let note_id = stderr
        .lines()
        .find_map(|line| line.strip_prefix("note "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no note id in:\n{stderr}"))
        .to_owned();
    lm_testkit::require_model("piper-joe-medium", "en_US-joe-medium.onnx");
    let wav = dir.path().join("notes.wav");
    let (_, stderr) = run_ok(
        littlemonster(&data)
            .args(["read-aloud", "--note", &note_id, "--stats", "-o"])
            .arg(&wav),
        None,
    );
    assert!(lm_testkit::wav_duration_ms(&wav) > 1000);
    let stats = stderr
        .lines()
        .find_map(|line| line.strip_prefix("stats: "))
        .unwrap_or_else(|| panic!("no stats line in:\n{stderr}"));
    let stats: serde_json::Value = serde_json::from_str(stats).unwrap();
    assert!(stats["first_audio_ms"].as_f64().unwrap() > 0.0, "{stats}");
    assert!(stats["real_time_factor"].as_f64().unwrap() > 0.0, "{stats}");
    assert!(stats["sentences"].as_u64().unwrap() > 1, "{stats}");
}

#[test]
fn a_quiz_is_generated_listed_taken_and_remembered() {
    let (_dir, data, document) = library_with_cells();
    let _turn = model_turn();
    let (stdout, _) = run_ok(
        littlemonster(&data).args(["quiz", "generate", "--document", &document, "--count", "2"]),
        None,
    );
    let quiz_id = stdout
        .lines()
        .find_map(|line| line.strip_prefix("quiz "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no quiz id in:\n{stdout}"))
        .to_owned();
    assert!(stdout.contains("1. ") && stdout.contains("2. "), "{stdout}");
    assert!(
        stdout.contains("   4) "),
        "four numbered choices:\n{stdout}"
    );

    let (listed, _) = run_ok(
        littlemonster(&data).args(["quiz", "list", "--class", "biology"]),
        None,
    );
    assert_eq!(first_words(&listed), vec![quiz_id.as_str()]);

    // A choice that does not exist is refused and nothing is stored.
    let output = output_of(
        littlemonster(&data).args(["quiz", "take", &quiz_id]),
        Some("9\n1\n"),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not one of its choices"), "{stderr}");

    let (taken, _) = run_ok(
        littlemonster(&data).args(["quiz", "take", &quiz_id]),
        Some("1\n2\n"),
    );
    assert!(taken.contains("score: "), "{taken}");
    assert_eq!(
        taken.matches(": you answered ").count(),
        2,
        "feedback per question:\n{taken}"
    );

    let (history, _) = run_ok(
        littlemonster(&data).args(["quiz", "history", "--class", "Biology"]),
        None,
    );
    assert_eq!(history.lines().count(), 1, "one attempt stored:\n{history}");
    assert!(history.contains(&quiz_id), "{history}");
}

#[test]
fn cards_are_generated_reviewed_edited_and_moved_as_csv() {
    let (dir, data, _document) = library_with_cells();
    let _turn = model_turn();
    let (generated, _) = run_ok(
        littlemonster(&data).args(["cards", "generate", "--class", "Biology", "--count", "2"]),
        None,
    );
    let ids = first_words(&generated);
    assert_eq!(ids.len(), 2, "{generated}");

    let (due, _) = run_ok(
        littlemonster(&data).args(["cards", "due", "--class", "Biology"]),
        None,
    );
    assert_eq!(first_words(&due).len(), 2, "new cards are due:\n{due}");
    let (reviewed, _) = run_ok(
        littlemonster(&data).args(["cards", "review", &ids[0], "3"]),
        None,
    );
    assert!(reviewed.contains("next review in"), "{reviewed}");
    let (due, _) = run_ok(
        littlemonster(&data).args(["cards", "due", "--class", "Biology"]),
        None,
    );
    assert_eq!(first_words(&due), [ids[1].clone()], "{due}");

    run_ok(
        littlemonster(&data).args(["cards", "edit", &ids[1], "--front", "What makes ATP?"]),
        None,
    );
    run_ok(
        littlemonster(&data).args(["cards", "suspend", &ids[1]]),
        None,
    );
    let (listed, _) = run_ok(littlemonster(&data).args(["cards", "list"]), None);
    assert!(listed.contains("What makes ATP? |"), "{listed}");
    assert!(listed.contains("suspended"), "{listed}");

    let csv = dir.path().join("cards.csv");
    run_ok(
        littlemonster(&data)
            .args(["cards", "export", "--class", "Biology", "-o"])
            .arg(&csv),
        None,
    );
    let exported = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        exported.lines().count(),
        3,
        "header and two cards:\n{exported}"
    );
    run_ok(
        littlemonster(&data).args(["cards", "delete", &ids[0]]),
        None,
    );
    let (imported, _) = run_ok(
        littlemonster(&data)
            .args(["cards", "import"])
            .arg(&csv)
            .args(["--class", "Chemistry"]),
        None,
    );
    assert!(imported.contains("imported 2 cards"), "{imported}");
    let (listed, _) = run_ok(
        littlemonster(&data).args(["cards", "list", "--class", "Biology"]),
        None,
    );
    assert_eq!(first_words(&listed), [ids[1].clone()], "{listed}");
}

#[test]
fn bad_input_fails_clearly_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let library = open_library(&data);
    library.class_named("Empty").unwrap();
    drop(library);

    // A class with no material: refused before any job is queued or any model is loaded.
    for command in [
        vec!["notes", "--class", "Empty"],
        vec!["quiz", "generate", "--class", "Empty"],
        vec!["cards", "generate", "--class", "Empty"],
    ] {
        let stderr = run_failing(littlemonster(&data).args(&command));
        assert!(
            stderr.contains("nothing to work from"),
            "{command:?}: {stderr}"
        );
    }
    let stderr = run_failing(littlemonster(&data).args(["quiz", "generate", "--class", "Nope"]));
    assert!(stderr.contains("no class named \"Nope\""), "{stderr}");
    let stderr = run_failing(littlemonster(&data).args(["notes"]));
    assert!(
        stderr.contains("--lecture"),
        "the scope is required:\n{stderr}"
    );
    let stderr =
        run_failing(littlemonster(&data).args(["notes", "--lecture", "a", "--class", "Empty"]));
    assert!(
        stderr.contains("cannot be used with"),
        "one scope only:\n{stderr}"
    );
    let stderr = run_failing(littlemonster(&data).args(["cards", "review", "x", "5"]));
    assert!(stderr.contains("5"), "{stderr}");

    // A malformed CSV: the bad row is named and no card is imported.
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "front,back\nWhat is ATP?,The energy molecule\nWhat is DNA?,\n",
    )
    .unwrap();
    let stderr = run_failing(
        littlemonster(&data)
            .args(["cards", "import"])
            .arg(&csv)
            .args(["--class", "Empty"]),
    );
    assert!(stderr.contains("row 3"), "{stderr}");
    assert!(stderr.contains("Nothing was imported"), "{stderr}");

    // Text without words is refused before the voice loads, and no file is written.
    let wav = dir.path().join("nothing.wav");
    let stderr = run_failing(
        littlemonster(&data)
            .args(["read-aloud", "--text", " ** ", "-o"])
            .arg(&wav),
    );
    assert!(stderr.contains("nothing to read aloud"), "{stderr}");
    assert!(!wav.exists());

    let library = open_library(&data);
    let store = library.store();
    assert!(store.jobs().list(None).unwrap().is_empty(), "no job queued");
    let class = library.class_named("Empty").unwrap();
    assert!(
        store
            .flashcards()
            .list_by_class(&class.id)
            .unwrap()
            .is_empty()
    );
    assert!(store.quizzes().list_by_class(&class.id).unwrap().is_empty());
}
