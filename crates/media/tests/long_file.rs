//! A 20-minute lecture converts in bounded memory. Its own test binary (own process), so the peak
//! resident memory it measures is not another test's.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use std::path::Path;

/// Peak resident memory of this process so far (VmHWM), in bytes.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Writes `seconds` of a 440 Hz tone, 44.1 kHz stereo 16-bit, whose loudness steps every second
/// (so position in the output can be checked), streaming to disk.
fn write_long_tone(path: &Path, seconds: u32) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for second in 0..seconds {
        let amplitude = loudness(second);
        for i in 0..44_100u32 {
            let phase = i as f32 / 44_100.0 * 440.0 * std::f32::consts::TAU;
            let sample = (phase.sin() * amplitude * 32767.0) as i16;
            writer.write_sample(sample).unwrap();
            writer.write_sample(sample).unwrap();
        }
    }
    writer.finalize().unwrap();
}

/// The tone's amplitude during `second`: 0.1 to 0.8, in a repeating pattern.
fn loudness(second: u32) -> f32 {
    0.1 + 0.1 * (second % 8) as f32
}

#[test]
fn twenty_minute_file_converts_in_bounded_memory() {
    const SECONDS: u32 = 20 * 60;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long lecture.wav");
    write_long_tone(&input, SECONDS);
    let output = dir.path().join("out.wav");

    let before = peak_rss_bytes();
    let started = std::time::Instant::now();
    let (result, progress) = common::transcode(&input, &output);
    let report = result.unwrap();
    let growth = peak_rss_bytes().saturating_sub(before);
    println!(
        "20 min WAV 44.1 kHz stereo -> 16 kHz mono in {:.1} s, peak RSS growth {:.1} MB",
        started.elapsed().as_secs_f64(),
        growth as f64 / 1e6
    );

    assert_eq!(report.output_samples, u64::from(SECONDS) * 16_000);
    assert!(!report.truncated);
    // Progress every 5 s of audio, plus the final report; totals known for WAV.
    assert!(progress.len() >= 240, "{} progress reports", progress.len());
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].decoded_seconds <= w[1].decoded_seconds)
    );
    assert_eq!(
        progress.last().unwrap().total_seconds,
        Some(f64::from(SECONDS))
    );
    // Holding the decoded input (423 MB as f32) or even the output (38 MB) in memory would show.
    assert!(growth < 25_000_000, "peak memory grew by {growth} bytes");

    // Spot-check that each sampled second sits where it should, at the right loudness.
    let mut reader = hound::WavReader::open(&output).unwrap();
    for second in [0, 1, 7, 599, 600, 1197, 1199] {
        reader.seek(second * 16_000 + 4_000).unwrap();
        let window: Vec<f32> = reader
            .samples::<i16>()
            .take(8_000)
            .map(|s| f32::from(s.unwrap()) / 32768.0)
            .collect();
        let rms = (window.iter().map(|s| s * s).sum::<f32>() / window.len() as f32).sqrt();
        let expected = loudness(second) / std::f32::consts::SQRT_2;
        assert!(
            (rms - expected).abs() < 0.01,
            "second {second}: rms {rms}, expected {expected}"
        );
    }
}
