//! The stt worker under its supervisor: real `lm-stt-worker` processes, the real whisper tiny.en
//! model, speech synthesised by espeak-ng.
//!
//! The worker binary is built by the tests themselves (`cargo build -p lm-stt-worker`, with the
//! same cargo and target directory as the test run), so `cargo test -p lm-core --test stt_worker`
//! never runs a stale worker. The tests point the supervisor at it through `WorkerSpec::binary`
//! rather than the process-wide `LITTLEMONSTER_WORKER_DIR`, which parallel tests could race on.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lm_core::engines::{EngineError, TranscribeOptions, Transcriber, TranscriptSegment};
use lm_core::workers::stt::{STT_WORKER_BINARY, WorkerTranscriber};
use lm_worker_protocol::serve::ABORT_ON_REQUEST_ENV;

/// About 40 seconds of speech at espeak's 150 words per minute.
const PARAGRAPH: &str = "Welcome back to the introduction to biology. Today we will talk about the cell, \
    which is the basic unit of life. Every living thing is made of one or more cells. \
    The nucleus holds the genetic material and controls what the cell does. \
    Around the nucleus is the cytoplasm, where most of the chemical reactions take place. \
    The mitochondria turn food into energy that the cell can use. \
    Plant cells also have a cell wall and chloroplasts, which capture light from the sun. \
    Next week we will look at how cells divide and grow.";

const SHORT: &str = "Good morning everyone, please open your notebooks to page ten.";

/// A freshly built `lm-stt-worker` (built once per test run).
fn worker_binary() -> PathBuf {
    lm_testkit::built_binary(STT_WORKER_BINARY)
}

fn tiny_en() -> PathBuf {
    lm_testkit::require_model("whisper-tiny.en", "ggml-tiny.en.bin")
}

fn transcriber_with(
    model: PathBuf,
    threads: u32,
    configure: impl FnOnce(&mut lm_core::workers::WorkerSpec),
) -> WorkerTranscriber {
    let mut spec = WorkerTranscriber::default_spec(model, threads);
    spec.binary = worker_binary();
    configure(&mut spec);
    WorkerTranscriber::with_spec(spec)
}

fn transcriber(model: PathBuf) -> WorkerTranscriber {
    transcriber_with(model, 1, |_| {})
}

/// Speech for `text` in a temporary folder (kept alive by the returned guard).
fn speech(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("speech.wav");
    lm_testkit::speak_to_wav(text, &wav);
    (dir, wav)
}

fn english() -> TranscribeOptions {
    TranscribeOptions {
        language: Some("en".into()),
        threads: None,
    }
}

fn joined(segments: &[TranscriptSegment]) -> String {
    segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn transcribes_a_lecture_paragraph_accurately_with_ordered_timestamps() {
    let model = tiny_en();
    let (_dir, wav) = speech(PARAGRAPH);
    let duration_ms = lm_testkit::wav_duration_ms(&wav);
    assert!(
        duration_ms > 30_000,
        "the paragraph should be long speech, got {duration_ms} ms"
    );
    let threads: u32 = std::env::var("LM_TEST_STT_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let stt = transcriber_with(model, threads, |_| {});
    stt.supervisor().ensure_started().unwrap();

    let mut streamed = Vec::new();
    let started = Instant::now();
    let segments = stt
        .transcribe(&wav, &english(), &mut |s| streamed.push(s.clone()))
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let speed = duration_ms as f64 / 1000.0 / wall;
    let text = joined(&segments);
    let wer = lm_testkit::word_error_rate(PARAGRAPH, &text);
    eprintln!(
        "tiny.en, {threads} thread(s): {:.1} s of audio in {wall:.1} s = {speed:.1} audio s per wall s; WER {:.1} %\n{text}",
        duration_ms as f64 / 1000.0,
        wer * 100.0
    );

    assert!(
        wer <= 0.10,
        "WER {:.1} % is above 10 %: {text}",
        wer * 100.0
    );
    // The streamed segments are the result's, without word timings (whisper.cpp's segment
    // callback has no tokens).
    let without_words: Vec<TranscriptSegment> = segments
        .iter()
        .map(|s| TranscriptSegment::new(s.start_ms, s.end_ms, s.text.clone()))
        .collect();
    assert_eq!(
        streamed, without_words,
        "the streamed segments differ from the result"
    );
    assert_word_timings(&segments);
    assert!(
        segments.len() >= 2,
        "expected several segments, got {segments:?}"
    );
    let mut previous_start = 0;
    for s in &segments {
        assert!(
            s.start_ms <= s.end_ms,
            "segment ends before it starts: {s:?}"
        );
        assert!(
            s.start_ms >= previous_start,
            "segments out of order at {s:?}"
        );
        previous_start = s.start_ms;
    }
    let last_end = segments.last().unwrap().end_ms;
    assert!(
        last_end <= duration_ms + 500,
        "last segment ends at {last_end} ms, audio is {duration_ms} ms"
    );
    assert!(
        last_end + 5_000 >= duration_ms,
        "transcript stops at {last_end} ms of {duration_ms} ms"
    );
}

/// Every segment has word timings: in order, inside the segment, and spelling its text.
fn assert_word_timings(segments: &[TranscriptSegment]) {
    for s in segments {
        assert!(!s.words.is_empty(), "no word timings: {s:?}");
        let mut previous_end = s.start_ms;
        for word in &s.words {
            assert!(
                previous_end <= word.start_ms && word.start_ms <= word.end_ms,
                "word {word:?} out of order in {s:?}"
            );
            assert!(
                s.start_ms <= word.start_ms && word.end_ms <= s.end_ms,
                "word {word:?} outside its segment {s:?}"
            );
            previous_end = word.end_ms;
        }
        let spelled: Vec<&str> = s.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            lm_testkit::normalize_words(&spelled.join(" ")),
            lm_testkit::normalize_words(&s.text),
            "the words do not spell the text of {s:?}"
        );
    }
}

/// Transcribes `wav`, running `act(worker pid)` on another thread once the first segment has
/// streamed, while whisper is still working on the rest.
fn once_busy(
    stt: &WorkerTranscriber,
    wav: &Path,
    act: impl FnOnce(u32) + Send,
) -> Result<Vec<TranscriptSegment>, EngineError> {
    let started = AtomicBool::new(false);
    let pid = stt
        .supervisor()
        .ensure_started()
        .map(|_| stt.supervisor().pid().unwrap())
        .unwrap();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !started.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            // Let whisper get into its computation.
            std::thread::sleep(Duration::from_millis(300));
            act(pid);
        });
        stt.transcribe(wav, &english(), &mut |_| {
            started.store(true, Ordering::SeqCst)
        })
        .inspect(|_| started.store(true, Ordering::SeqCst))
    })
}

#[test]
fn a_worker_killed_mid_request_is_reported_then_replaced() {
    let stt = transcriber(tiny_en());
    let (_dir, wav) = speech(PARAGRAPH);
    let (_short_dir, short) = speech(SHORT);
    let result = once_busy(&stt, &wav, |pid| {
        let status = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    });
    match result {
        Err(EngineError::WorkerCrashed {
            worker,
            reason,
            stderr_tail,
        }) => {
            assert_eq!(worker, "stt");
            assert!(reason.contains("SIGKILL"), "reason: {reason}");
            assert!(
                stderr_tail.iter().any(|line| line.contains("whisper")),
                "stderr tail lacks whisper's log: {stderr_tail:?}"
            );
            assert!(stderr_tail.len() <= lm_core::workers::STDERR_TAIL_LINES);
            assert_eq!(
                stt.supervisor().pid(),
                None,
                "a dead worker still has a pid"
            );
        }
        other => panic!("expected WorkerCrashed, got {other:?}"),
    }
    let segments = stt.transcribe(&short, &english(), &mut |_| {}).unwrap();
    let wer = lm_testkit::word_error_rate(SHORT, &joined(&segments));
    assert!(wer <= 0.2, "after restart: {segments:?}");
    assert!(stt.supervisor().pid().is_some());
}

#[test]
fn an_abort_inside_the_worker_is_reported_as_sigabrt() {
    let stt = transcriber_with(tiny_en(), 1, |spec| {
        spec.env.push((ABORT_ON_REQUEST_ENV.into(), "1".into()))
    });
    let (_dir, wav) = speech(SHORT);
    match stt.transcribe(&wav, &english(), &mut |_| {}) {
        Err(error @ EngineError::WorkerCrashed { .. }) => {
            let EngineError::WorkerCrashed {
                reason,
                stderr_tail,
                ..
            } = &error
            else {
                unreachable!()
            };
            assert!(reason.contains("SIGABRT"), "reason: {reason}");
            assert!(
                stderr_tail.iter().any(|l| l.contains(ABORT_ON_REQUEST_ENV)),
                "tail: {stderr_tail:?}"
            );
            // The message shown to a user carries the tail.
            assert!(error.to_string().contains("last worker output"), "{error}");
        }
        other => panic!("expected WorkerCrashed, got {other:?}"),
    }
}

#[test]
fn cancelling_stops_the_request_and_the_next_one_works() {
    let stt = transcriber(tiny_en());
    let (_dir, wav) = speech(PARAGRAPH);
    let (_short_dir, short) = speech(SHORT);
    let cancel = AtomicBool::new(false);
    let mut cancelled_at = None;
    // Cancel as soon as the first segment arrives, while whisper still has audio to decode.
    let result = stt.transcribe_cancellable(&wav, &english(), Some(&cancel), &mut |_| {
        cancel.store(true, Ordering::SeqCst);
        cancelled_at.get_or_insert_with(Instant::now);
    });
    assert!(
        matches!(result, Err(EngineError::Cancelled)),
        "got {result:?}"
    );
    let took = cancelled_at.unwrap().elapsed();
    assert!(took < Duration::from_secs(5), "cancel took {took:?}");
    assert_eq!(
        stt.supervisor().pid(),
        None,
        "the cancelled worker is still registered"
    );
    let segments = stt.transcribe(&short, &english(), &mut |_| {}).unwrap();
    assert!(!segments.is_empty());
}

#[test]
fn an_idle_worker_is_stopped_and_restarted_on_demand() {
    let stt = transcriber_with(tiny_en(), 1, |spec| {
        spec.idle_timeout = Some(Duration::from_millis(300))
    });
    let (_dir, wav) = speech(SHORT);
    stt.transcribe(&wav, &english(), &mut |_| {}).unwrap();
    let pid = stt.supervisor().pid().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while stt.supervisor().pid().is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        stt.supervisor().pid(),
        None,
        "idle worker {pid} was not stopped"
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} still exists"
    );
    stt.transcribe(&wav, &english(), &mut |_| {}).unwrap();
    assert!(stt.supervisor().pid().is_some());
}

fn expect_bad_model(stt: &WorkerTranscriber, wav: &Path, model: &Path, problem: &str) {
    match stt.transcribe(wav, &english(), &mut |_| {}) {
        Err(error @ EngineError::BadModel { .. }) => {
            let EngineError::BadModel { path, problem: got } = &error else {
                unreachable!()
            };
            assert_eq!(path, model);
            assert!(got.contains(problem), "problem {got:?} lacks {problem:?}");
            assert!(
                error.to_string().contains(&model.display().to_string()),
                "{error}"
            );
        }
        other => panic!("expected BadModel for {}, got {other:?}", model.display()),
    }
}

#[test]
fn bad_model_files_are_reported_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_speech_dir, wav) = speech(SHORT);

    let missing = dir.path().join("missing.bin");
    expect_bad_model(&transcriber(missing.clone()), &wav, &missing, "not found");

    let empty = dir.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    expect_bad_model(&transcriber(empty.clone()), &wav, &empty, "empty");

    let text = dir.path().join("page.bin");
    std::fs::write(&text, b"<html>404</html>").unwrap();
    expect_bad_model(
        &transcriber(text.clone()),
        &wav,
        &text,
        "not a whisper ggml model",
    );

    // The first megabyte of the real model: right magic, cut short. whisper.cpp must refuse it.
    let truncated = dir.path().join("ggml-tiny.en.part.bin");
    let bytes = std::fs::read(tiny_en()).unwrap();
    std::fs::write(&truncated, &bytes[..1 << 20]).unwrap();
    expect_bad_model(
        &transcriber(truncated.clone()),
        &wav,
        &truncated,
        "cannot load",
    );
}

fn expect_bad_input(stt: &WorkerTranscriber, input: &Path, problem: &str) {
    match stt.transcribe(input, &english(), &mut |_| {}) {
        Err(error @ EngineError::BadInput { .. }) => {
            let EngineError::BadInput { path, problem: got } = &error else {
                unreachable!()
            };
            assert_eq!(path, input);
            assert!(got.contains(problem), "problem {got:?} lacks {problem:?}");
        }
        other => panic!("expected BadInput for {}, got {other:?}", input.display()),
    }
}

#[test]
fn bad_audio_inputs_are_reported_naming_the_file_and_the_worker_survives() {
    let stt = transcriber(tiny_en());
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let notes = dir.path().join("notes.wav");
    std::fs::write(&notes, "Lecture notes, typed in a hurry.\n").unwrap();
    let (_speech_dir, wav) = speech(SHORT);
    let cut = dir.path().join("cut.wav");
    let bytes = std::fs::read(&wav).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();

    expect_bad_input(&stt, &empty, "empty");
    let pid = stt.supervisor().pid();
    expect_bad_input(&stt, &notes, "not a readable WAV file");
    expect_bad_input(&stt, &cut, "truncated");
    expect_bad_input(&stt, &dir.path().join("missing.wav"), "cannot open");
    assert_eq!(
        stt.supervisor().pid(),
        pid,
        "bad input must not restart the worker"
    );
    assert!(
        !stt.transcribe(&wav, &english(), &mut |_| {})
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_missing_worker_binary_is_a_clear_error() {
    let mut spec = WorkerTranscriber::default_spec(tiny_en(), 1);
    spec.binary = PathBuf::from("/nonexistent/lm-stt-worker");
    let stt = WorkerTranscriber::with_spec(spec);
    let (_dir, wav) = speech(SHORT);
    match stt.transcribe(&wav, &english(), &mut |_| {}) {
        Err(EngineError::Other(message)) => {
            assert!(
                message.contains("/nonexistent/lm-stt-worker")
                    && message.contains("LITTLEMONSTER_WORKER_DIR"),
                "{message}"
            );
        }
        other => panic!("expected Other, got {other:?}"),
    }
}
