//! Every import format is decoded: speech is encoded at test time, transcoded, and the output must
//! be 16 kHz mono 16-bit, as long as the source, and the same signal (so a decoder producing
//! silence or noise fails).

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use std::path::Path;

use common::{Speech, best_correlation, ffmpeg, read_16k_mono, sox, speech, transcode};

/// How far the output may be shifted against the source and still count as the same signal.
const MAX_LAG_SAMPLES: usize = 1600; // 100 ms

/// Transcodes `input`, checks the report and the signal against the reference, returns the
/// report's codec for format-specific checks.
fn assert_transcodes_like_reference(
    speech: &Speech,
    input: &Path,
    expected_codec: &str,
    max_length_error_ms: f64,
) -> lm_media::TranscodeReport {
    let dir = input.parent().unwrap();
    let output = dir.join("out.wav");
    let info = lm_media::probe(input).unwrap();
    assert_eq!(info.codec, expected_codec, "{info:?}");
    let (result, progress) = transcode(input, &output);
    let report = result.unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    assert_eq!(report.source, info);
    assert!(!report.truncated, "{report:?}");
    assert!(report.warnings.is_empty(), "{report:?}");
    let last = progress.last().expect("a final progress report");
    assert!(
        (last.decoded_seconds - report.output_seconds).abs() < 0.1,
        "{last:?} {report:?}"
    );

    let reference = read_16k_mono(&speech.reference);
    let out = read_16k_mono(&output);
    assert_eq!(out.len() as u64, report.output_samples);
    let length_error_ms = (out.len() as f64 - reference.len() as f64) / 16.0;
    assert!(
        length_error_ms.abs() <= max_length_error_ms,
        "{}: output {} samples, source {} ({length_error_ms:+.1} ms)",
        input.display(),
        out.len(),
        reference.len()
    );
    let (ncc, lag) = best_correlation(&reference, &out, MAX_LAG_SAMPLES);
    println!(
        "{}: {} {}, length {length_error_ms:+.1} ms, correlation {ncc:.3} at lag {lag}",
        input.display(),
        info.container,
        info.codec
    );
    assert!(
        ncc > 0.9,
        "{}: correlation {ncc:.3} at lag {lag}",
        input.display()
    );
    report
}

#[test]
fn wav_pcm_stereo_44k() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let report = assert_transcodes_like_reference(&speech, &speech.stereo_44k, "pcm_s16le", 1.0);
    assert_eq!(
        (report.source.channels, report.source.sample_rate),
        (Some(2), Some(44_100))
    );
}

#[test]
fn wav_already_16k_mono_is_copied_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.wav");
    std::fs::copy(&speech.reference, &input).unwrap();
    assert_transcodes_like_reference(&speech, &input, "pcm_s16le", 0.0);
    let out = read_16k_mono(&dir.path().join("out.wav"));
    let reference = read_16k_mono(&speech.reference);
    let differing = out.iter().zip(&reference).filter(|(a, b)| a != b).count();
    assert_eq!((out.len(), differing), (reference.len(), 0));
}

#[test]
fn flac() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.flac");
    sox(&[&speech.stereo_44k, &input]);
    assert_transcodes_like_reference(&speech, &input, "flac", 1.0);
}

#[test]
fn mp3() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.mp3");
    sox(&[&speech.stereo_44k, &"-C", &"128", &input]);
    assert_transcodes_like_reference(&speech, &input, "mp3", 50.0);
}

#[test]
fn ogg_vorbis() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.ogg");
    sox(&[&speech.stereo_44k, &input]);
    assert_transcodes_like_reference(&speech, &input, "vorbis", 50.0);
}

#[test]
fn ogg_opus() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.opus");
    ffmpeg(&[
        &"-i",
        &speech.stereo_44k,
        &"-c:a",
        &"libopus",
        &"-b:a",
        &"48k",
        &input,
    ]);
    assert_transcodes_like_reference(&speech, &input, "opus", 50.0);
}

#[test]
fn m4a_aac() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.m4a");
    ffmpeg(&[
        &"-i",
        &speech.stereo_44k,
        &"-c:a",
        &"aac",
        &"-b:a",
        &"96k",
        &input,
    ]);
    assert_transcodes_like_reference(&speech, &input, "aac", 50.0);
}

#[test]
fn raw_aac_adts() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.aac");
    ffmpeg(&[
        &"-i",
        &speech.stereo_44k,
        &"-c:a",
        &"aac",
        &"-b:a",
        &"96k",
        &input,
    ]);
    assert_transcodes_like_reference(&speech, &input, "aac", 50.0);
}

/// A video container: the audio track must be found next to the video track and the video ignored.
fn video_with_speech(speech: &Speech, output: &Path, video_codec: &str, audio_codec: &str) {
    ffmpeg(&[
        &"-f",
        &"lavfi",
        &"-i",
        &"color=c=blue:s=64x48:r=10",
        &"-i",
        &speech.stereo_44k,
        &"-shortest",
        &"-c:v",
        &video_codec,
        &"-c:a",
        &audio_codec,
        &output,
    ]);
}

#[test]
fn mp4_video_with_aac_audio() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.mp4");
    video_with_speech(&speech, &input, "mpeg4", "aac");
    let report = assert_transcodes_like_reference(&speech, &input, "aac", 50.0);
    assert!(report.source.has_video, "{report:?}");
}

#[test]
fn mov_video_with_aac_audio() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.mov");
    video_with_speech(&speech, &input, "mpeg4", "aac");
    assert_transcodes_like_reference(&speech, &input, "aac", 50.0);
}

#[test]
fn webm_video_with_opus_audio() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.webm");
    video_with_speech(&speech, &input, "libvpx", "libopus");
    let report = assert_transcodes_like_reference(&speech, &input, "opus", 50.0);
    assert!(report.source.has_video, "{report:?}");
}

#[test]
fn webm_vorbis_audio_only() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.webm");
    ffmpeg(&[&"-i", &speech.stereo_44k, &"-c:a", &"libvorbis", &input]);
    assert_transcodes_like_reference(&speech, &input, "vorbis", 50.0);
}

#[test]
fn misnamed_but_valid_audio_is_read_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    // An Ogg Vorbis file that claims to be an MP3: the content decides.
    let input = dir.path().join("lecture.mp3");
    sox(&[&speech.stereo_44k, &"-t", &"ogg", &input]);
    assert_transcodes_like_reference(&speech, &input, "vorbis", 50.0);
}
