//! PiperSynthesizer against the real joe-medium voice and ONNX Runtime from the models folder
//! (`scripts/fetch-models`), with Debian's espeak-ng-data.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lm_core::engines::{SpeechAudio, Synthesizer, TranscribeOptions, Transcriber};
use lm_core::workers::stt::{STT_WORKER_BINARY, WorkerTranscriber};
use lm_tts::{
    PiperSynthesizer, PiperSynthesizerOptions, VOICE_CONFIG_FILE, VOICE_ID, VOICE_MODEL_FILE,
    write_wav,
};

/// One voice for all tests: loading takes seconds, and espeak-ng is set up once per process anyway.
fn synthesizer() -> &'static PiperSynthesizer {
    static VOICE: OnceLock<PiperSynthesizer> = OnceLock::new();
    VOICE.get_or_init(|| {
        lm_testkit::require_model(VOICE_ID, VOICE_MODEL_FILE);
        lm_testkit::require_model(VOICE_ID, VOICE_CONFIG_FILE);
        lm_testkit::require_model(lm_onnx_runtime::MODEL_ID, lm_onnx_runtime::LIBRARY_FILE);
        let started = Instant::now();
        let voice = PiperSynthesizer::new(&PiperSynthesizerOptions::default()).unwrap();
        eprintln!(
            "voice loaded (with warm-up) in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        voice
    })
}

fn seconds(audio: &SpeechAudio) -> f64 {
    audio.samples.len() as f64 / f64::from(audio.sample_rate)
}

#[test]
fn writes_a_valid_22khz_mono_16_bit_wav_of_plausible_length() {
    let text = "The cell membrane controls what enters and leaves the cell.";
    let audio = synthesizer().synthesize(text, &mut |_| {}).unwrap();
    assert_eq!(audio.sample_rate, 22_050);
    let peak = audio.samples.iter().fold(0.0_f32, |m, s| m.max(s.abs()));
    assert!(
        peak > 0.05 && peak <= 1.0,
        "peak amplitude {peak}: silent or out of range"
    );

    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("speech.wav");
    write_wav(&audio, &wav).unwrap();
    let reader = hound::WavReader::open(&wav).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 22_050, 16)
    );
    assert_eq!(spec.sample_format, hound::SampleFormat::Int);
    assert_eq!(reader.duration() as usize, audio.samples.len());
    // 10 words at a normal speaking rate (2-4 words per second).
    let duration = lm_testkit::wav_duration_ms(&wav) as f64 / 1000.0;
    assert!(
        (2.0..=6.0).contains(&duration),
        "{duration:.2} s for 10 words"
    );
}

#[test]
fn the_first_sentence_arrives_before_the_whole_text_is_done() {
    let text = "Mitochondria make energy for the cell. They have their own DNA, which is unusual. \
                Scientists think they were once free-living bacteria. This idea is called \
                endosymbiosis, and it is widely accepted today.";
    let started = Instant::now();
    let mut arrivals: Vec<(Duration, usize)> = Vec::new();
    let audio = synthesizer()
        .synthesize(text, &mut |sentence| {
            arrivals.push((started.elapsed(), sentence.samples.len()))
        })
        .unwrap();
    let total = started.elapsed();
    let first = arrivals[0].0;
    let rtf = total.as_secs_f64() / seconds(&audio);
    eprintln!(
        "first audio after {:.0} ms, all {} sentences after {:.0} ms ({:.1} s of speech, RTF {rtf:.2})",
        first.as_secs_f64() * 1000.0,
        arrivals.len(),
        total.as_secs_f64() * 1000.0,
        seconds(&audio)
    );
    assert_eq!(arrivals.len(), 4, "one callback per sentence");
    assert_eq!(
        arrivals.iter().map(|(_, n)| n).sum::<usize>(),
        audio.samples.len()
    );
    assert!(
        first * 2 < total,
        "first sentence at {first:?} is not early against {total:?} in all"
    );
}

#[test]
fn commas_make_pauses_between_clauses() {
    // The clause-splitting fix: with the punctuation lost, piper-rs ran these clauses together.
    let with_commas = synthesizer()
        .synthesize("Red, green, blue, yellow, purple.", &mut |_| {})
        .unwrap();
    let without = synthesizer()
        .synthesize("Red green blue yellow purple.", &mut |_| {})
        .unwrap();
    let (a, b) = (seconds(&with_commas), seconds(&without));
    eprintln!("with commas {a:.2} s, without {b:.2} s");
    assert!(
        a > b + 0.4,
        "four commas should add pauses: {a:.2} s vs {b:.2} s"
    );
}

#[test]
fn text_with_nothing_to_say_gives_empty_audio() {
    let mut calls = 0;
    let audio = synthesizer()
        .synthesize(" ... \n ", &mut |_| calls += 1)
        .unwrap();
    assert!(audio.samples.is_empty());
    assert_eq!(calls, 0);
}

#[test]
fn a_missing_voice_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let options = PiperSynthesizerOptions {
        model: dir.path().join(VOICE_MODEL_FILE),
        ..PiperSynthesizerOptions::default()
    };
    let error = PiperSynthesizer::new(&options).err().unwrap().to_string();
    assert!(
        error.contains(VOICE_MODEL_FILE) && error.contains("scripts/fetch-models"),
        "{error}"
    );
}

/// `lm-stt-worker`, built by this test run with the same cargo and target folder, so the round
/// trip never runs a stale worker.
fn stt_worker_binary() -> std::path::PathBuf {
    lm_testkit::built_binary(STT_WORKER_BINARY)
}

#[test]
fn whisper_understands_the_synthesised_speech() {
    let text =
        "Photosynthesis happens in the chloroplasts, where light energy is turned into sugar.";
    let audio = synthesizer().synthesize(text, &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (wav, wav16) = (
        dir.path().join("speech.wav"),
        dir.path().join("speech16k.wav"),
    );
    write_wav(&audio, &wav).unwrap();
    // Whisper wants 16 kHz; sox resamples with a proper low-pass filter.
    let sox = std::process::Command::new("sox")
        .arg(&wav)
        .args(["-r", "16000"])
        .arg(&wav16)
        .output();
    let sox = sox.expect("run sox (scripts/install-system-deps installs it)");
    assert!(
        sox.status.success(),
        "sox failed: {}",
        String::from_utf8_lossy(&sox.stderr)
    );

    // Piper samples noise inside the voice model, so no two syntheses are the same; tiny.en
    // heard "chloroplasts" as "Choral Plus" in one of them (WER 16.7 %). Whisper base is the
    // steadier listener, and this test is about the voice, not about Whisper.
    let model = lm_testkit::require_model("whisper-base", "ggml-base.bin");
    let mut spec = WorkerTranscriber::default_spec(model, 1);
    spec.binary = stt_worker_binary();
    let options = TranscribeOptions {
        language: Some("en".to_owned()),
        threads: None,
    };
    let segments = WorkerTranscriber::with_spec(spec)
        .transcribe(&wav16, &options, &mut |_| {})
        .unwrap();
    let heard = segments
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let wer = lm_testkit::word_error_rate(text, &heard);
    eprintln!("whisper heard {heard:?}: WER {:.1} %", wer * 100.0);
    assert!(
        wer <= 0.10,
        "WER {:.1} % > 10 %: heard {heard:?}",
        wer * 100.0
    );
}
