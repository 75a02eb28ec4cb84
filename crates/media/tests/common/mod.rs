//! Fixtures for lm-media's tests: speech made with espeak-ng, encoded at test time with sox and
//! (for the formats sox cannot write: AAC, Opus, WebM, MP4/MOV) ffmpeg. ffmpeg is a test-only
//! tool installed by scripts/install-system-deps; the crate itself never runs it.

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use lm_media::{DecodeProgress, MediaError, TranscodeReport, transcode_to_wav16k};

/// What the fixtures say: about four seconds of speech.
pub const SPEECH: &str = "Osmosis is the movement of water across a membrane, from low to high \
                          solute concentration.";

/// Speech as the 16 kHz mono WAV every output is compared with, plus the same speech as a
/// 44.1 kHz stereo WAV (so encodings exercise downmixing and resampling).
pub struct Speech {
    /// 16 kHz mono reference.
    pub reference: PathBuf,
    /// 44.1 kHz stereo source for encoders.
    pub stereo_44k: PathBuf,
}

/// Makes the [`SPEECH`] fixtures in `dir` from one espeak-ng recording (22.05 kHz mono).
///
/// espeak-ng is called directly rather than through lm-testkit so this crate's tests do not build
/// lm-core, which media decoding does not need.
pub fn speech(dir: &Path) -> Speech {
    let spoken = dir.join("espeak.wav");
    run(Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&spoken)
        .arg(SPEECH));
    let reference = dir.join("reference.wav");
    sox(&[
        &spoken, &"-r", &"16000", &"-c", &"1", &"-b", &"16", &reference,
    ]);
    let stereo_44k = dir.join("stereo44k.wav");
    sox(&[
        &spoken,
        &"-r",
        &"44100",
        &"-c",
        &"2",
        &"-b",
        &"16",
        &stereo_44k,
    ]);
    std::fs::remove_file(spoken).unwrap();
    Speech {
        reference,
        stereo_44k,
    }
}

/// Runs sox with `args` (paths included).
pub fn sox(args: &[&dyn AsRef<std::ffi::OsStr>]) {
    let mut command = Command::new("sox");
    for arg in args {
        command.arg(arg);
    }
    run(&mut command);
}

/// Runs ffmpeg (quiet, overwriting) with `args`. Panics with install advice when it is missing.
pub fn ffmpeg(args: &[&dyn AsRef<std::ffi::OsStr>]) {
    let mut command = Command::new("ffmpeg");
    command.args(["-hide_banner", "-loglevel", "error", "-y"]);
    for arg in args {
        command.arg(arg);
    }
    run(&mut command);
}

/// Runs a fixture tool and panics with its stderr if it fails.
pub fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot start {command:?}: {e} (run scripts/install-system-deps to install it)")
    });
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Transcodes `input` to `output` with no cancel; returns the report and the progress calls seen.
pub fn transcode(
    input: &Path,
    output: &Path,
) -> (Result<TranscodeReport, MediaError>, Vec<DecodeProgress>) {
    let mut seen = Vec::new();
    let result = transcode_to_wav16k(
        input,
        output,
        &mut |p| seen.push(p),
        &AtomicBool::new(false),
    );
    (result, seen)
}

/// The samples of a 16 kHz mono 16-bit WAV as f32, asserting that format.
pub fn read_16k_mono(path: &Path) -> Vec<f32> {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (
            spec.sample_rate,
            spec.channels,
            spec.bits_per_sample,
            spec.sample_format
        ),
        (16_000, 1, 16, hound::SampleFormat::Int),
        "{} is not 16 kHz mono 16-bit PCM",
        path.display()
    );
    reader
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect()
}

/// The best normalised cross-correlation of `output` against `reference` for lags within
/// ±`max_lag` samples, and that lag (positive: `output` is late). A coarse search on every 4th
/// sample and lag, refined around its best, keeps this quick in unoptimised test builds.
pub fn best_correlation(reference: &[f32], output: &[f32], max_lag: usize) -> (f64, isize) {
    let max_lag = max_lag as isize;
    let coarse = best_over(reference, output, (-max_lag..=max_lag).step_by(4), 4);
    best_over(reference, output, coarse.1 - 4..=coarse.1 + 4, 1)
}

/// Best correlation over `lags`, using every `stride`-th sample.
fn best_over(
    reference: &[f32],
    output: &[f32],
    lags: impl Iterator<Item = isize>,
    stride: usize,
) -> (f64, isize) {
    let mut best = (f64::MIN, 0);
    for lag in lags {
        let (mut dot, mut ref_energy, mut out_energy) = (0.0f64, 0.0f64, 0.0f64);
        for i in (0..reference.len()).step_by(stride) {
            let j = i as isize + lag;
            if j < 0 || j as usize >= output.len() {
                continue;
            }
            let (r, o) = (f64::from(reference[i]), f64::from(output[j as usize]));
            dot += r * o;
            ref_energy += r * r;
            out_energy += o * o;
        }
        let ncc = dot / (ref_energy.sqrt() * out_energy.sqrt()).max(1e-12);
        if ncc > best.0 {
            best = (ncc, lag);
        }
    }
    best
}

/// Files in `dir` other than those named in `keep`: what a failed or cancelled job left behind.
pub fn leftovers(dir: &Path, keep: &[&Path]) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| !keep.contains(&path.as_path()))
        .collect()
}
