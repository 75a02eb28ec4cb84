//! The Rust encoder against reference values computed once by an independent numpy (float64)
//! implementation of the same maths: `scripts/speaker_reference.py`, which wrote
//! `tests/data/reference.json` from the installed model. The test signals are synthetic and made
//! here from the same formula, so no audio is committed.
//!
//! Needs the installed model (`scripts/fetch-models --only resemblyzer-ge2e`); fails, naming the
//! file, when it is missing.

use std::f64::consts::PI;
use std::path::PathBuf;

use lm_speakers::mel::{MelSpectrogram, mel_filterbank};
use lm_speakers::{MODEL_FILE, MODEL_ID, SpeakerEncoder};
use serde_json::Value;

fn reference() -> Value {
    let text = include_str!("data/reference.json");
    serde_json::from_str(text).expect("reference.json parses")
}

fn model_path() -> PathBuf {
    let dir = std::env::var_os("LITTLEMONSTER_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let data = std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                        .join(".local/share")
                });
            data.join("littlemonster/models")
        });
    dir.join(MODEL_ID).join(MODEL_FILE)
}

/// The same samples as `signal()` in scripts/speaker_reference.py.
fn signal(seconds: f64, pitch: f64, amplitude: f64, seed: u64) -> Vec<f32> {
    let n = (seconds * 16_000.0).round() as usize;
    let mut state = seed;
    (0..n)
        .map(|i| {
            let t = i as f64 / 16_000.0;
            let phase = 2.0 * PI * pitch * t + 3.0 * (2.0 * PI * 0.7 * t).sin();
            let tone = 0.5 * phase.sin()
                + 0.25 * (2.5 * phase).sin()
                + 0.1 * (2.0 * PI * 3100.0 * t).sin();
            state = (state * 1_664_525 + 1_013_904_223) % (1 << 32);
            let noise = state as f64 / (1u64 << 32) as f64 * 2.0 - 1.0;
            let envelope = 0.6 + 0.4 * (2.0 * PI * 2.3 * t).sin();
            (amplitude * (envelope * tone + 0.05 * noise)) as f32
        })
        .collect()
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

#[test]
fn mel_filterbank_matches_the_reference() {
    let reference = reference();
    let bank = mel_filterbank();
    for (row, key) in [(5, "mel_filter_row_5"), (39, "mel_filter_row_39")] {
        let expected = floats(&reference[key]);
        assert_eq!(bank[row].len(), expected.len());
        for (k, (a, b)) in bank[row].iter().zip(&expected).enumerate() {
            assert!((a - b).abs() < 1e-9, "filter {row} bin {k}: {a} vs {b}");
        }
    }
}

#[test]
fn mel_frames_match_the_reference() {
    let mel = MelSpectrogram::new();
    for case in reference()["cases"].as_array().expect("cases") {
        if case["name"] == "quiet" {
            continue; // its mel is taken after the volume change; covered by the embedding
        }
        let samples = signal(
            case["seconds"].as_f64().expect("seconds"),
            case["pitch"].as_f64().expect("pitch"),
            case["amplitude"].as_f64().expect("amplitude"),
            case["seed"].as_u64().expect("seed"),
        );
        // The reference pads the audio to its last partial before the mel; so does the encoder.
        let starts = lm_speakers::encoder::partial_starts(samples.len());
        let end = (starts[starts.len() - 1] + 160) * 160;
        let mut padded = samples.clone();
        if end >= padded.len() {
            padded.resize(end, 0.0);
        }
        let frames = mel.compute(&padded);
        assert_eq!(frames.len() as u64, case["mel_frames"].as_u64().expect("n"));
        let expected = floats(&case["mel_frame_10"]);
        for (k, (a, b)) in frames[10].iter().zip(&expected).enumerate() {
            let tolerance = 1e-4 * b.abs().max(1e-3);
            assert!(
                (f64::from(*a) - b).abs() < tolerance,
                "{} band {k}: {a} vs {b}",
                case["name"]
            );
        }
    }
}

#[test]
fn embeddings_match_the_numpy_reference() {
    let path = model_path();
    let encoder = SpeakerEncoder::load(&path)
        .unwrap_or_else(|e| panic!("{e} (install it: scripts/fetch-models --only {MODEL_ID})"))
        .with_max_partials(usize::MAX);
    let mut worst = 0.0f64;
    for case in reference()["cases"].as_array().expect("cases") {
        let samples = signal(
            case["seconds"].as_f64().expect("seconds"),
            case["pitch"].as_f64().expect("pitch"),
            case["amplitude"].as_f64().expect("amplitude"),
            case["seed"].as_u64().expect("seed"),
        );
        let embedding = encoder.embed(&samples).expect("an embedding");
        let expected = floats(&case["embedding"]);
        assert_eq!(embedding.as_slice().len(), expected.len());
        for (a, b) in embedding.as_slice().iter().zip(&expected) {
            worst = worst.max((f64::from(*a) - b).abs());
        }
        println!("{}: max |rust - numpy| so far {worst:.2e}", case["name"]);
    }
    assert!(worst < 1e-4, "embeddings differ by up to {worst}");
}

#[test]
fn silence_has_no_embedding() {
    let encoder = SpeakerEncoder::load(&model_path()).expect("the installed model");
    assert!(matches!(
        encoder.embed(&[0.0; 16_000]),
        Err(lm_speakers::SpeakerError::NoSpeech)
    ));
    assert!(matches!(
        encoder.embed(&[]),
        Err(lm_speakers::SpeakerError::NoSpeech)
    ));
}
