//! Bad input fails that one job with a specific message naming the file, and leaves nothing at the
//! output path; a cut-off file is converted up to the cut where the container allows, and says so.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use common::{ffmpeg, leftovers, read_16k_mono, sox, speech, transcode};
use lm_media::{MediaError, probe, transcode_to_wav16k};

/// Probing and transcoding `input` both fail; the transcode leaves `dir` as it was.
fn assert_rejected(dir: &Path, input: &Path) -> MediaError {
    let output = dir.join("out.wav");
    let probe_error = probe(input).expect_err("probe must fail");
    let (result, _) = transcode(input, &output);
    let error = result.expect_err("transcode must fail");
    assert_eq!(probe_error.to_string(), error.to_string());
    let name = input.file_name().unwrap().to_str().unwrap();
    assert!(
        error.to_string().contains(name),
        "message must name the file: {error}"
    );
    assert!(!output.exists(), "no output on failure");
    assert!(
        leftovers(dir, &[])
            .iter()
            .all(|p| p != &output && !p.to_string_lossy().contains(".part"))
    );
    error
}

/// Writes the first `fraction` of `source`'s bytes to `cut`.
fn cut_file(source: &Path, cut: &Path, fraction: f64) {
    let bytes = std::fs::read(source).unwrap();
    std::fs::write(cut, &bytes[..(bytes.len() as f64 * fraction) as usize]).unwrap();
}

fn seconds(path: &Path) -> f64 {
    read_16k_mono(path).len() as f64 / 16_000.0
}

#[test]
fn zero_length_file_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("lecture.mp3");
    std::fs::write(&input, b"").unwrap();
    let error = assert_rejected(dir.path(), &input);
    assert!(matches!(error, MediaError::Empty { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "lecture.mp3 is empty (0 bytes), so there is no audio to import"
    );
}

#[test]
fn missing_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = probe(&dir.path().join("gone.wav")).unwrap_err();
    assert!(matches!(error, MediaError::Read { .. }), "{error:?}");
    assert!(
        error.to_string().starts_with("could not read gone.wav: "),
        "{error}"
    );
}

#[test]
fn pdf_named_mp3_is_called_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("lecture.mp3");
    std::fs::write(
        &input,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages \
          /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap();
    let error = assert_rejected(dir.path(), &input);
    assert_eq!(
        error.to_string(),
        "lecture.mp3 is a PDF document, not audio or video"
    );
}

#[test]
fn zip_and_text_named_as_audio_are_called_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("week1.m4a");
    // An empty ZIP archive: just the end-of-central-directory record.
    std::fs::write(&zip, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").unwrap();
    assert_eq!(
        assert_rejected(dir.path(), &zip).to_string(),
        "week1.m4a is a ZIP archive, not audio or video"
    );
    std::fs::remove_file(&zip).unwrap();
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "Lecture 3: osmosis and diffusion.\n").unwrap();
    assert_eq!(
        assert_rejected(dir.path(), &text).to_string(),
        "notes.wav is a text file, not audio or video"
    );
}

#[test]
fn random_bytes_named_mp3_are_not_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("lecture.mp3");
    // A fixed pseudo-random sequence (xorshift), so the test is the same on every run.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    std::fs::write(&input, bytes).unwrap();
    let error = assert_rejected(dir.path(), &input);
    assert!(
        matches!(error, MediaError::UnrecognisedFormat { .. }),
        "{error:?}"
    );
}

#[test]
fn video_without_audio_track_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["screen.mp4", "screen.webm"] {
        let input = dir.path().join(name);
        let codec = if name.ends_with("webm") {
            "libvpx"
        } else {
            "mpeg4"
        };
        ffmpeg(&[
            &"-f",
            &"lavfi",
            &"-i",
            &"color=c=red:s=64x48:r=10:d=1",
            &"-c:v",
            &codec,
            &input,
        ]);
        let error = assert_rejected(dir.path(), &input);
        assert!(
            matches!(error, MediaError::NoAudioTrack { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!("{name} has no audio track, so there is nothing to transcribe")
        );
        std::fs::remove_file(&input).unwrap();
    }
}

#[test]
fn unsupported_codec_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.mkv");
    ffmpeg(&[&"-i", &speech.stereo_44k, &"-c:a", &"ac3", &input]);
    for path in [&speech.reference, &speech.stereo_44k] {
        std::fs::remove_file(path).unwrap();
    }
    let error = assert_rejected(dir.path(), &input);
    assert!(
        matches!(error, MediaError::UnsupportedCodec { .. }),
        "{error:?}"
    );
}

/// Encodes the fixture speech to `name` with `encode`, cuts it at half, and transcodes the cut.
fn transcode_half(
    name: &str,
    encode: impl FnOnce(&Path, &Path),
) -> (
    tempfile::TempDir,
    PathBuf,
    Result<lm_media::TranscodeReport, MediaError>,
    f64,
) {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let full = dir.path().join(format!("full-{name}"));
    encode(&speech.stereo_44k, &full);
    let cut = dir.path().join(name);
    cut_file(&full, &cut, 0.5);
    let output = dir.path().join("out.wav");
    let (result, _) = transcode(&cut, &output);
    let full_seconds = seconds(&speech.reference);
    (dir, output, result, full_seconds)
}

/// A cut file whose container allows it converts up to the cut (less at most `max_loss` seconds:
/// the last incomplete page or block is dropped) and is reported truncated.
fn assert_partial(name: &str, max_loss: f64, encode: impl FnOnce(&Path, &Path)) {
    let (_dir, output, result, full_seconds) = transcode_half(name, encode);
    let report = result.unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(report.truncated, "{name}: {report:?}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with(&format!("{name} ends early"))),
        "{report:?}"
    );
    let got = seconds(&output);
    let half = full_seconds / 2.0;
    assert!(
        got > half - max_loss && got < half + 0.3,
        "{name}: {got:.2} s decoded of {full_seconds:.2} s"
    );
}

#[test]
fn truncated_mp3_converts_up_to_the_cut() {
    // LAME's Info header records the full length, so the cut is noticed. (An MP3 without one,
    // such as sox writes, cut between frames is indistinguishable from a shorter recording: it
    // converts up to the cut without a warning.)
    assert_partial("lecture.mp3", 0.3, |src, dst| {
        ffmpeg(&[&"-i", &src, &"-c:a", &"libmp3lame", &"-b:a", &"128k", &dst]);
    });
}

#[test]
fn truncated_flac_converts_up_to_the_cut() {
    assert_partial("lecture.flac", 0.3, |src, dst| sox(&[&src, &dst]));
}

#[test]
fn truncated_wav_converts_up_to_the_cut() {
    assert_partial("lecture.wav", 0.1, |src, dst| {
        std::fs::copy(src, dst).unwrap();
    });
}

#[test]
fn truncated_ogg_vorbis_converts_up_to_the_cut() {
    // An Ogg page holds up to a second or so of audio; the cut one is lost whole.
    assert_partial("lecture.ogg", 1.5, |src, dst| sox(&[&src, &dst]));
}

#[test]
fn truncated_webm_converts_up_to_the_cut() {
    assert_partial("lecture.webm", 0.5, |src, dst| {
        ffmpeg(&[&"-i", &src, &"-c:a", &"libopus", &dst]);
    });
}

/// MP4/M4A/MOV cut anywhere cannot be read by the demuxer, with the index at the end (the usual
/// layout) or at the front: the job fails as incomplete.
#[test]
fn truncated_m4a_is_incomplete() {
    for index_in_front in [false, true] {
        let (dir, output, result, _) = transcode_half("lecture.m4a", |src, dst| {
            // ffmpeg writes the index (moov) last unless asked to move it to the front.
            if index_in_front {
                ffmpeg(&[
                    &"-i",
                    &src,
                    &"-c:a",
                    &"aac",
                    &"-movflags",
                    &"+faststart",
                    &dst,
                ]);
            } else {
                ffmpeg(&[&"-i", &src, &"-c:a", &"aac", &dst]);
            }
        });
        let error = result.unwrap_err();
        assert!(
            matches!(error, MediaError::Truncated { .. }),
            "{index_in_front}: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            "lecture.m4a is incomplete: it ends before the audio starts (was the copy or \
             download cut off?)"
        );
        assert!(!output.exists());
        drop(dir);
    }
}

#[test]
fn damaged_middle_of_mp3_still_converts_around_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.mp3");
    sox(&[&speech.stereo_44k, &"-C", &"128", &input]);
    let mut bytes = std::fs::read(&input).unwrap();
    let middle = bytes.len() / 2;
    for (i, byte) in bytes[middle..middle + 4000].iter_mut().enumerate() {
        *byte = (i * 73 % 251) as u8;
    }
    std::fs::write(&input, bytes).unwrap();
    let output = dir.path().join("out.wav");
    let report = transcode(&input, &output).0.unwrap();
    // 4 kB of 128 kbit/s MP3 is 0.25 s: the decoder resyncs after the damage (skipping damaged
    // frames, counted and reported) and the rest of the lecture is there.
    let full = seconds(&speech.reference);
    assert!(report.output_seconds > full - 0.6, "{report:?}");
    assert_eq!(
        report.damaged_packets > 0,
        !report.warnings.is_empty(),
        "{report:?}"
    );
    let reference = read_16k_mono(&speech.reference);
    let out = read_16k_mono(&output);
    let first_second = 16_000..32_000;
    let (ncc, _) =
        common::best_correlation(&reference[first_second.clone()], &out[first_second], 800);
    assert!(
        ncc > 0.9,
        "before the damage the signal is intact: {ncc:.3}"
    );
}

#[test]
fn corrupt_header_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let speech = speech(dir.path());
    let input = dir.path().join("lecture.wav");
    let mut bytes = std::fs::read(&speech.stereo_44k).unwrap();
    bytes[22..24].copy_from_slice(&[0, 0]); // "fmt " channel count: 0
    std::fs::write(&input, bytes).unwrap();
    for path in [&speech.reference, &speech.stereo_44k] {
        std::fs::remove_file(path).unwrap();
    }
    let error = assert_rejected(dir.path(), &input);
    assert!(matches!(error, MediaError::Corrupt { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("lecture.wav is damaged and could not be decoded (")
    );
}

#[test]
fn cancel_stops_with_cancelled_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.flac");
    // 30 s of tone: long enough that progress is reported (every 5 s) before the end.
    sox(&[
        &"-n", &"-r", &"44100", &"-c", &"2", &input, &"synth", &"30", &"sine", &"440",
    ]);
    let output = dir.path().join("out.wav");
    let cancel = AtomicBool::new(false);
    let mut reports = 0;
    let result = transcode_to_wav16k(
        &input,
        &output,
        &mut |_| {
            reports += 1;
            cancel.store(true, Ordering::Relaxed);
        },
        &cancel,
    );
    let error = result.unwrap_err();
    assert!(matches!(error, MediaError::Cancelled { .. }), "{error:?}");
    assert_eq!(error.to_string(), "converting long.flac was cancelled");
    assert_eq!(reports, 1, "stopped at the first packet after the cancel");
    assert_eq!(leftovers(dir.path(), &[&input]), Vec::<PathBuf>::new());
}

#[test]
fn failed_transcode_keeps_an_existing_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("empty.ogg");
    std::fs::write(&input, b"").unwrap();
    let output = dir.path().join("out.wav");
    std::fs::write(&output, b"previous result").unwrap();
    assert!(transcode(&input, &output).0.is_err());
    assert_eq!(std::fs::read(&output).unwrap(), b"previous result");
}

#[test]
fn content_hash_is_streamed_sha256_of_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.mp3");
    let b = dir.path().join("copy of a.ogg");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&a, &bytes).unwrap();
    std::fs::write(&b, &bytes).unwrap();
    let hash = lm_media::content_sha256(&a).unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(hash, lm_media::content_sha256(&b).unwrap());
    let output = std::process::Command::new("sha256sum")
        .arg(&a)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).starts_with(&hash));
    std::fs::write(&b, &bytes[1..]).unwrap();
    assert_ne!(hash, lm_media::content_sha256(&b).unwrap());
}
