//! lm-core's read-aloud layer driven by the real Piper voice: a note's first sentence is ready
//! long before the whole note is, and Whisper hears the exported notes audio as written.
//! (The synthesizer's own sentence-by-sentence and round-trip tests are in `synthesizer.rs`.)
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use lm_core::engines::{Synthesizer, TranscribeOptions, Transcriber};
use lm_core::read_aloud::speakable::{sentences, speakable_note};
use lm_core::read_aloud::{ReadAloud, ReadAloudEvent, export_notes_audio};
use lm_core::store::{ClassId, Note, NoteId, NoteScope};
use lm_core::workers::stt::{STT_WORKER_BINARY, WorkerTranscriber};
use lm_tts::{
    PiperSynthesizer, PiperSynthesizerOptions, VOICE_CONFIG_FILE, VOICE_ID, VOICE_MODEL_FILE,
};

fn voice() -> Arc<PiperSynthesizer> {
    static VOICE: OnceLock<Arc<PiperSynthesizer>> = OnceLock::new();
    VOICE
        .get_or_init(|| {
            lm_testkit::require_model(VOICE_ID, VOICE_MODEL_FILE);
            lm_testkit::require_model(VOICE_ID, VOICE_CONFIG_FILE);
            lm_testkit::require_model(lm_onnx_runtime::MODEL_ID, lm_onnx_runtime::LIBRARY_FILE);
            Arc::new(PiperSynthesizer::new(&PiperSynthesizerOptions::default()).unwrap())
        })
        .clone()
}

/// A generated-style note: a heading and four cited key points, five sentences when spoken.
fn note() -> Note {
    Note {
        id: NoteId::from("note".to_owned()),
        class_id: ClassId::from("class".to_owned()),
        scope: NoteScope::Class,
        title: "Cells and energy".into(),
        markdown: "# Cells and energy\n\n\
            - The cell membrane controls what enters and leaves the cell. (Cells @ 0:10) [1]\n\
            - Mitochondria turn sugar and oxygen into energy for the cell. (Cells @ 4:05) [2]\n\
            - Plants make their own food in the chloroplasts, using light from the sun. \
              (Biology notes p. 7) [3]\n\
            - The nucleus keeps the instructions that tell the cell how to grow. \
              (Cells @ 1:02:03) [4]\n"
            .into(),
        citations: Vec::new(),
        source_job_id: None,
        created_at: 0,
        updated_at: 0,
    }
}

#[test]
fn the_first_sentence_plays_long_before_the_whole_note_is_synthesised() {
    let voice = voice();
    // Warm the voice so the measurement is of a loaded voice, as in the app.
    voice.synthesize("Ready.", &mut |_| {}).unwrap();
    let text = speakable_note(&note());
    assert_eq!(sentences(&text).len(), 5, "{text}");

    let started = Instant::now();
    let session = ReadAloud::start(voice, &text).unwrap();
    let mut first = None;
    let mut audio_seconds = 0.0;
    let mut spoken = Vec::new();
    let total = loop {
        match session.next_timeout(Duration::from_secs(60)).unwrap() {
            ReadAloudEvent::Sentence(sentence) => {
                first.get_or_insert(started.elapsed());
                audio_seconds +=
                    sentence.audio.samples.len() as f64 / f64::from(sentence.audio.sample_rate);
                spoken.push(sentence.text);
            }
            ReadAloudEvent::Finished => break started.elapsed(),
            other => panic!("{other:?}"),
        }
    };
    let first = first.unwrap();
    let rtf = total.as_secs_f64() / audio_seconds;
    eprintln!(
        "read-aloud: first audio after {:.0} ms, whole note ({} sentences, {audio_seconds:.1} s \
         of speech) after {:.0} ms, RTF {rtf:.2}",
        first.as_secs_f64() * 1000.0,
        spoken.len(),
        total.as_secs_f64() * 1000.0
    );
    assert_eq!(spoken.len(), 5);
    assert!(
        first * 3 < total,
        "the first sentence ({first:?}) should be ready well before the whole note ({total:?})"
    );
}

#[test]
fn whisper_hears_the_exported_notes_audio_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("notes.wav");
    let export = export_notes_audio(&note(), voice().as_ref(), &wav, None, &mut |_, _| {}).unwrap();
    eprintln!(
        "exported {} sentences: {:.1} s of audio in {:.1} s (RTF {:.2})",
        export.sentences,
        export.audio_seconds,
        export.synthesis_seconds,
        export.synthesis_seconds / export.audio_seconds
    );
    let wav16 = dir.path().join("notes16k.wav");
    let sox = std::process::Command::new("sox")
        .arg(&wav)
        .args(["-r", "16000"])
        .arg(&wav16)
        .output()
        .expect("run sox (scripts/install-system-deps installs it)");
    assert!(
        sox.status.success(),
        "{}",
        String::from_utf8_lossy(&sox.stderr)
    );

    let model = lm_testkit::require_model("whisper-tiny.en", "ggml-tiny.en.bin");
    let mut spec = WorkerTranscriber::default_spec(model, 1);
    spec.binary = lm_testkit::built_binary(STT_WORKER_BINARY);
    let options = TranscribeOptions {
        language: Some("en".to_owned()),
        threads: None,
    };
    let heard = WorkerTranscriber::with_spec(spec)
        .transcribe(&wav16, &options, &mut |_| {})
        .unwrap()
        .iter()
        .map(|segment| segment.text.clone())
        .collect::<Vec<_>>()
        .join(" ");
    let said = speakable_note(&note());
    let wer = lm_testkit::word_error_rate(&said, &heard);
    eprintln!("whisper heard {heard:?}: WER {:.1} %", wer * 100.0);
    assert!(
        wer <= 0.10,
        "WER {:.1} % > 10 %: heard {heard:?}",
        wer * 100.0
    );
    // Nothing of the Markdown or the citations was read.
    for unspoken in ["p. 7", "1:02:03", "[", "#"] {
        assert!(!said.contains(unspoken), "{unspoken:?} in {said:?}");
    }
}
