//! Speaker labels end to end: lectures spoken by espeak-ng voices, imported and transcribed by
//! `littlemonster import` (Silero VAD, whisper tiny.en worker, the GE2E speaker model), then
//! read back from the store and through `littlemonster transcript --format txt`.
//!
//! Voice A is espeak-ng `en-us` (the teacher), voice B `en-us+Annie` (questions from the room):
//! espeak voices that differ only in pitch (`-p`) or accent (`en-gb`) are NOT told apart by the
//! GE2E model (the same synthesiser; measured in the README), Annie is a different voice variant.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::run;
use lm_core::library::{Library, LibraryRoot};
use lm_core::store::{Lecture, TranscriptSegmentRow};

const TEACHER: &[&str] = &["-v", "en-us"];
const STUDENT: &[&str] = &["-v", "en-us+Annie"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Teacher,
    Student,
}

/// Who said what where in a generated lecture (ms).
struct Spoken {
    wav: PathBuf,
    turns: Vec<(u64, u64, Who)>,
}

/// `littlemonster` on the library in `data`, with the speaker encoder required too.
fn littlemonster(data: &Path) -> Command {
    lm_testkit::require_model("resemblyzer-ge2e", "speaker_encoder.safetensors");
    common::littlemonster(data)
}

/// Speaks each `(who, sentence)` with a 0.8 s pause after it, joined into one 16 kHz WAV.
fn compose(dir: &Path, name: &str, script: &[(Who, &str)]) -> Spoken {
    let mut files = Vec::new();
    let mut turns = Vec::new();
    let mut at = 0;
    let pause = dir.join("pause.wav");
    let status = Command::new("sox")
        .args(["-n", "-r", "16000", "-c", "1", "-b", "16"])
        .arg(&pause)
        .args(["trim", "0", "0.8"])
        .status()
        .unwrap();
    assert!(status.success());
    for (i, (who, text)) in script.iter().enumerate() {
        let file = dir.join(format!("{name}-{i}.wav"));
        let voice = if *who == Who::Teacher {
            TEACHER
        } else {
            STUDENT
        };
        lm_testkit::speak_to_wav_as(text, voice, &file);
        let length = lm_testkit::wav_duration_ms(&file);
        turns.push((at, at + length, *who));
        at += length + lm_testkit::wav_duration_ms(&pause);
        files.push(file);
        files.push(pause.clone());
    }
    let wav = dir.join(format!("{name}.wav"));
    let status = Command::new("sox").args(&files).arg(&wav).status().unwrap();
    assert!(status.success());
    Spoken { wav, turns }
}

/// Imports (and so transcribes) `wav` into class "Biology" of a fresh library in `data`, with the models in `models`
/// (default: the installed ones), and reads back its lecture and transcript.
fn import(data: &Path, wav: &Path, models: Option<&Path>) -> (Lecture, Vec<TranscriptSegmentRow>) {
    let mut command = littlemonster(data);
    if let Some(models) = models {
        command.env("LITTLEMONSTER_MODELS_DIR", models);
    }
    let (output, stdout) = run(command.args(["import", "--class", "Biology"]).arg(wav));
    assert!(output.status.success(), "{stdout}");
    let library: Library = LibraryRoot::new(data)
        .open_or_create_default("Student")
        .unwrap();
    let class = library.class_named("Biology").unwrap();
    let lecture = library
        .store()
        .lectures()
        .list_by_class(&class.id)
        .unwrap()
        .remove(0);
    let rows = library.store().transcripts().list(&lecture.id).unwrap();
    (lecture, rows)
}

/// Who spoke most of a segment's time.
fn truth(spoken: &Spoken, row: &TranscriptSegmentRow) -> Who {
    let (start, end) = (row.segment.start_ms, row.segment.end_ms);
    let overlap = |who: Who| -> u64 {
        spoken
            .turns
            .iter()
            .filter(|t| t.2 == who)
            .map(|&(s, e, _)| end.min(e).saturating_sub(start.max(s)))
            .sum()
    };
    if overlap(Who::Student) > overlap(Who::Teacher) {
        Who::Student
    } else {
        Who::Teacher
    }
}

fn transcript_txt(data: &Path, lecture: &Lecture) -> String {
    let (output, stdout) = run(littlemonster(data)
        .args(["transcript", "--format", "txt"])
        .arg(lecture.id.as_str()));
    assert!(output.status.success(), "{stdout}");
    stdout
}

/// A teacher's sentences with two questions from the room in between.
const CLASS_WITH_QUESTIONS: &[(Who, &str)] = &[
    (
        Who::Teacher,
        "Good morning everyone, and welcome back to the science course.",
    ),
    (
        Who::Teacher,
        "Today we are going to talk about the structure of the cell.",
    ),
    (
        Who::Teacher,
        "Every living thing is made of one or more cells.",
    ),
    (
        Who::Teacher,
        "The cell membrane controls what enters and leaves the cell.",
    ),
    (
        Who::Student,
        "Excuse me, could you explain again what the membrane does for the cell?",
    ),
    (
        Who::Teacher,
        "Of course. The membrane is a thin barrier around the whole cell.",
    ),
    (
        Who::Teacher,
        "It lets water and small molecules pass, and keeps other things out.",
    ),
    (
        Who::Teacher,
        "The mitochondria turn food into energy that the cell can use.",
    ),
    (
        Who::Student,
        "Do plant cells and animal cells both have mitochondria?",
    ),
    (
        Who::Teacher,
        "Yes, both of them have mitochondria to make their energy.",
    ),
    (
        Who::Teacher,
        "Plant cells also have a cell wall and chloroplasts.",
    ),
    (
        Who::Teacher,
        "Please read the next chapter before the next class.",
    ),
];

#[test]
fn a_teacher_and_two_questions_from_the_room_are_two_speakers() {
    use Who::{Student, Teacher};
    let script = CLASS_WITH_QUESTIONS;
    let dir = tempfile::tempdir().unwrap();
    let spoken = compose(dir.path(), "lecture", script);
    let data = dir.path().join("data");
    let (lecture, rows) = import(&data, &spoken.wav, None);
    assert!(rows.len() >= 8, "only {} segments: {rows:?}", rows.len());

    let mut labels: Vec<&str> = rows.iter().filter_map(|r| r.speaker.as_deref()).collect();
    labels.sort_unstable();
    labels.dedup();
    for row in &rows {
        eprintln!(
            "{:>6}-{:>6} ms {:<9} truth {:?}: {}",
            row.segment.start_ms,
            row.segment.end_ms,
            row.speaker.as_deref().unwrap_or("-"),
            truth(&spoken, row),
            row.segment.text
        );
    }
    assert_eq!(labels, ["Speaker 1", "Speaker 2"], "{rows:#?}");
    assert!(rows.iter().all(|r| r.speaker.is_some()));

    // Map each label to the voice that spoke most of its segments; the two must differ, and
    // nearly every segment must carry its voice's label.
    let majority = |label: &str| -> Who {
        let of_label: Vec<Who> = rows
            .iter()
            .filter(|r| r.speaker.as_deref() == Some(label))
            .map(|r| truth(&spoken, r))
            .collect();
        let students = of_label.iter().filter(|w| **w == Student).count();
        if students * 2 > of_label.len() {
            Student
        } else {
            Teacher
        }
    };
    assert_eq!(majority("Speaker 1"), Teacher, "the teacher speaks first");
    assert_eq!(majority("Speaker 2"), Student);
    let right = rows
        .iter()
        .filter(|r| majority(r.speaker.as_deref().unwrap()) == truth(&spoken, r))
        .count();
    let accuracy = right as f64 / rows.len() as f64;
    eprintln!(
        "speaker labels: {right} of {} segments consistent ({:.0} %)",
        rows.len(),
        accuracy * 100.0
    );
    assert!(accuracy >= 0.9, "{right} of {} segments", rows.len());
    // Both questions are found.
    let student_segments = rows
        .iter()
        .filter(|r| truth(&spoken, r) == Student && r.speaker.as_deref() == Some("Speaker 2"))
        .count();
    assert!(
        student_segments >= 2,
        "{student_segments} question segments"
    );

    let txt = transcript_txt(&data, &lecture);
    assert!(txt.contains("Speaker 1: "), "{txt}");
    assert!(txt.contains("Speaker 2: "), "{txt}");
}

#[test]
fn a_lecture_with_one_voice_has_no_speaker_labels() {
    let script: Vec<(Who, &str)> = [
        "Good morning everyone, and welcome back to the science course.",
        "Today we are going to talk about the structure of the cell.",
        "Every living thing is made of one or more cells.",
        "The cell membrane controls what enters and leaves the cell.",
        "The nucleus holds the genetic material of the cell.",
        "The mitochondria turn food into energy that the cell can use.",
        "Plant cells also have a cell wall and chloroplasts.",
        "Please read the next chapter before the next class.",
    ]
    .into_iter()
    .map(|s| (Who::Teacher, s))
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let spoken = compose(dir.path(), "lecture", &script);
    let data = dir.path().join("data");
    let (lecture, rows) = import(&data, &spoken.wav, None);
    assert!(rows.len() >= 5, "only {} segments: {rows:?}", rows.len());
    assert!(
        rows.iter().all(|r| r.speaker.is_none()),
        "one voice got labels: {rows:#?}"
    );
    let txt = transcript_txt(&data, &lecture);
    assert!(!txt.contains("Speaker"), "{txt}");
}

#[test]
fn without_the_speaker_model_transcription_works_and_labels_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A models folder with every installed model but the speaker encoder.
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    for entry in std::fs::read_dir(lm_core::paths::models_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() && entry.file_name() != "resemblyzer-ge2e" {
            std::os::unix::fs::symlink(entry.path(), models.join(entry.file_name())).unwrap();
        }
    }
    let spoken = compose(dir.path(), "lecture", &CLASS_WITH_QUESTIONS[..6]);
    let data = dir.path().join("data");
    let (_, rows) = import(&data, &spoken.wav, Some(&models));
    assert!(rows.len() >= 4, "{rows:?}");
    assert!(rows.iter().all(|r| r.speaker.is_none()), "{rows:#?}");
}
