//! Prints the speaker embeddings' cosine similarity between WAV files (16 kHz mono 16-bit), and
//! the time each embedding took: a calibration aid.
//!
//! `cargo run -p lm-speakers --example similarity -- MODEL.safetensors a.wav b.wav ...`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use lm_speakers::SpeakerEncoder;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let encoder = SpeakerEncoder::load(args[0].as_ref()).expect("model");
    let mut embeddings = Vec::new();
    let mut audio_s = 0.0;
    let started = Instant::now();
    for path in &args[1..] {
        let mut reader = hound::WavReader::open(path).expect("wav");
        assert_eq!(reader.spec().sample_rate, 16_000, "{path}: not 16 kHz");
        let samples: Vec<f32> = reader
            .samples::<i16>()
            .map(|s| f32::from(s.unwrap()) / 32_768.0)
            .collect();
        audio_s += samples.len() as f64 / 16_000.0;
        embeddings.push(encoder.embed(&samples).expect("embedding"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "{audio_s:.1} s of audio embedded in {elapsed:.2} s ({:.3} s per audio second)",
        elapsed / audio_s
    );
    for (i, a) in embeddings.iter().enumerate() {
        let row: Vec<String> = embeddings
            .iter()
            .map(|b| format!("{:.3}", a.cosine(b)))
            .collect();
        println!(
            "{:>24} {}",
            args[i + 1].rsplit('/').next().unwrap(),
            row.join(" ")
        );
    }
}
