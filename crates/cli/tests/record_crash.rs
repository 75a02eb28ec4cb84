//! `littlemonster record` as a real process: killed with SIGKILL mid-recording (the recording is
//! recovered by the next command), and stopped with SIGTERM (it finishes cleanly). There is no
//! microphone here, so the recording is fed from a WAV file played in real time (`--from-wav`).
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use lm_core::library::{Library, LibraryRoot};
use lm_core::store::{Lecture, LectureStatus};

const LITTLEMONSTER: &str = env!("CARGO_BIN_EXE_littlemonster");

/// About 36 seconds of speech; said twice, over a minute.
const PARAGRAPH: &str = "Welcome back to the introduction to biology. Today we will talk about the cell, \
    which is the basic unit of life. Every living thing is made of one or more cells. \
    The nucleus holds the genetic material and controls what the cell does. \
    Around the nucleus is the cytoplasm, where most of the chemical reactions take place. \
    The mitochondria turn food into energy that the cell can use. \
    Plant cells also have a cell wall and chloroplasts, which capture light from the sun. \
    Next week we will look at how cells divide and grow.";

/// The folder of a freshly built `lm-stt-worker`, for the live transcript of the child process.
fn worker_dir() -> PathBuf {
    let worker = lm_testkit::built_binary("lm-stt-worker");
    worker.parent().unwrap().to_path_buf()
}

fn littlemonster(data: &Path) -> Command {
    let mut command = Command::new(LITTLEMONSTER);
    // The models stay where this test finds them; everything else lives in `data`.
    command
        .env("LITTLEMONSTER_MODELS_DIR", lm_core::paths::models_dir())
        .env("LITTLEMONSTER_DATA_DIR", data)
        .env("LITTLEMONSTER_WORKER_DIR", worker_dir());
    command
}

fn samples(path: &Path) -> Vec<i16> {
    hound::WavReader::open(path)
        .unwrap()
        .into_samples::<i16>()
        .map(Result::unwrap)
        .collect()
}

/// Starts `littlemonster record` and returns it once it says it is recording, with the moment
/// it said so.
fn start_recording(data: &Path, wav: &Path, extra: &[&str]) -> (std::process::Child, Instant) {
    let mut child = littlemonster(data)
        .args([
            "record",
            "--class",
            "Biology",
            "--title",
            "Cells",
            "--from-wav",
        ])
        .arg(wav)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (started, said) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("child: {line}");
            if line.starts_with("recording lecture") {
                let _ = started.send(Instant::now());
            }
        }
    });
    let started = said
        .recv_timeout(Duration::from_secs(60))
        .expect("littlemonster record never started recording");
    (child, started)
}

fn only_lecture(library: &Library) -> Lecture {
    let class = library.class_named("Biology").unwrap();
    let mut lectures = library.store().lectures().list_by_class(&class.id).unwrap();
    assert_eq!(lectures.len(), 1, "{lectures:#?}");
    lectures.remove(0)
}

#[test]
fn a_recording_killed_mid_lecture_is_recovered_to_within_five_seconds() {
    let data = tempfile::tempdir().unwrap();
    let source = data.path().join("lecture.wav");
    lm_testkit::speak_to_wav(&format!("{PARAGRAPH} {PARAGRAPH}"), &source);
    assert!(lm_testkit::wav_duration_ms(&source) > 60_000);

    let (mut child, started) = start_recording(data.path(), &source, &[]);
    std::thread::sleep(Duration::from_secs(10));
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is finalised.
    let killed_at = started.elapsed();
    child.wait().unwrap();

    let library = LibraryRoot::new(data.path())
        .open_or_create_default("Student")
        .unwrap();
    let before = only_lecture(&library);
    assert_eq!(before.status, LectureStatus::Recording);
    drop(library);

    // Any command that opens the library recovers the recording first.
    let output = littlemonster(data.path())
        .args(["jobs", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("recovered the interrupted recording \"Cells\""),
        "{stderr}"
    );

    let library = LibraryRoot::new(data.path())
        .open_or_create_default("Student")
        .unwrap();
    let lecture = only_lecture(&library);
    assert_eq!(lecture.id, before.id);
    assert_eq!(lecture.status, LectureStatus::Imported);
    let stored = library.dir().join(&lecture.media_path);
    assert!(stored.starts_with(library.media_dir()));
    let recovered = samples(&stored);
    let duration = Duration::from_millis(lm_testkit::wav_duration_ms(&stored));
    eprintln!(
        "killed {killed_at:?} after the start; recovered {duration:?}; {} live transcript \
         segments kept",
        library
            .store()
            .transcripts()
            .list(&lecture.id)
            .unwrap()
            .len()
    );
    assert_eq!(lecture.duration_ms, Some(duration.as_millis() as u64));
    assert!(
        duration + Duration::from_secs(5) >= killed_at,
        "only {duration:?} kept of {killed_at:?}"
    );
    assert!(
        duration <= killed_at + Duration::from_secs(1),
        "{duration:?} is more than was played"
    );
    // Exactly the start of the lecture, sample for sample.
    let original = samples(&source);
    assert_eq!(recovered[..], original[..recovered.len()]);
    assert!(
        library
            .store()
            .lectures()
            .list_with_status(LectureStatus::Recording)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        std::fs::read_dir(library.recordings_dir()).unwrap().count(),
        0,
        "recordings/ still holds files"
    );
}

#[test]
fn sigterm_stops_a_recording_cleanly() {
    let data = tempfile::tempdir().unwrap();
    let source = data.path().join("lecture.wav");
    lm_testkit::speak_to_wav(PARAGRAPH, &source);

    let (child, _started) = start_recording(data.path(), &source, &["--no-live-transcript"]);
    std::thread::sleep(Duration::from_secs(3));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    let stdout = String::from_utf8(output.stdout).unwrap();

    let library = LibraryRoot::new(data.path())
        .open_or_create_default("Student")
        .unwrap();
    let lecture = only_lecture(&library);
    assert_eq!(stdout.lines().last(), Some(lecture.id.as_str()));
    assert_eq!(lecture.status, LectureStatus::Imported);
    let duration_ms = lecture.duration_ms.unwrap();
    assert!((2500..5000).contains(&duration_ms), "{duration_ms} ms");
    let recovered = samples(&library.dir().join(&lecture.media_path));
    assert_eq!(recovered[..], samples(&source)[..recovered.len()]);
}
