//! Reads the WAV files whisper is given: 16 kHz, mono or stereo (averaged), integer or float.

use std::path::Path;

use hound::{SampleFormat, WavReader};
use lm_worker_protocol::WorkerError;

/// The only sample rate whisper accepts; resampling is the importer's job.
pub const SAMPLE_RATE: u32 = 16_000;

/// Mono samples in -1.0..=1.0 at [`SAMPLE_RATE`].
pub fn read_wav(path: &Path) -> Result<Vec<f32>, WorkerError> {
    let bad = |message: String| WorkerError::BadInput {
        path: path.to_owned(),
        message,
    };
    let metadata = std::fs::metadata(path).map_err(|e| bad(format!("cannot open: {e}")))?;
    if metadata.len() == 0 {
        return Err(bad("file is empty".into()));
    }
    let reader = WavReader::open(path).map_err(|e| bad(format!("not a readable WAV file: {e}")))?;
    let spec = reader.spec();
    if spec.sample_rate != SAMPLE_RATE || !(1..=2).contains(&spec.channels) {
        return Err(bad(format!(
            "is {} Hz with {} channel(s); 16000 Hz mono (or stereo) is required — convert it first",
            spec.sample_rate, spec.channels
        )));
    }
    let expected = reader.len();
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (SampleFormat::Float, 32) => reader.into_samples::<f32>().collect::<Result<_, _>>(),
        (SampleFormat::Int, bits @ 8..=32) => {
            let scale = 1.0 / (1_i64 << (bits - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|s| s as f32 * scale))
                .collect::<Result<_, _>>()
        }
        (format, bits) => {
            return Err(bad(format!(
                "has unsupported {bits}-bit {format:?} samples"
            )));
        }
    }
    .map_err(|e| match e {
        // The header was fine, so a read failure here means the data stops early.
        hound::Error::IoError(io) => bad(format!(
            "is truncated: the header announces {expected} samples but the data ends early ({io})"
        )),
        other => bad(format!("cannot read the samples: {other}")),
    })?;
    // hound stops at the end of the data chunk; a header promising more than the file holds is
    // a truncated recording.
    if (interleaved.len() as u64) < u64::from(expected) {
        return Err(bad(format!(
            "is truncated: the header announces {expected} samples but the file holds {}",
            interleaved.len()
        )));
    }
    let samples: Vec<f32> = match spec.channels {
        2 => interleaved
            .chunks_exact(2)
            .map(|pair| (pair[0] + pair[1]) / 2.0)
            .collect(),
        _ => interleaved,
    };
    if samples.is_empty() {
        return Err(bad("contains no audio samples".into()));
    }
    Ok(samples)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use hound::{WavSpec, WavWriter};

    use super::*;

    fn write_wav(path: &Path, spec: WavSpec, samples: &[f32]) {
        let mut writer = WavWriter::create(path, spec).unwrap();
        for &s in samples {
            match spec.sample_format {
                SampleFormat::Float => writer.write_sample(s).unwrap(),
                SampleFormat::Int => writer.write_sample((s * 32767.0) as i16).unwrap(),
            }
        }
        writer.finalize().unwrap();
    }

    fn spec(channels: u16, sample_format: SampleFormat, bits: u16) -> WavSpec {
        WavSpec {
            channels,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: bits,
            sample_format,
        }
    }

    fn message(result: Result<Vec<f32>, WorkerError>) -> String {
        match result {
            Err(WorkerError::BadInput { message, .. }) => message,
            other => panic!("expected BadInput, got {other:?}"),
        }
    }

    #[test]
    fn reads_int16_float32_and_averages_stereo() {
        let dir = tempfile::tempdir().unwrap();
        let int = dir.path().join("int.wav");
        write_wav(&int, spec(1, SampleFormat::Int, 16), &[0.5, -0.5]);
        let samples = read_wav(&int).unwrap();
        assert!(
            (samples[0] - 0.5).abs() < 1e-3 && (samples[1] + 0.5).abs() < 1e-3,
            "{samples:?}"
        );
        let float = dir.path().join("float.wav");
        write_wav(&float, spec(1, SampleFormat::Float, 32), &[0.25, 0.75]);
        assert_eq!(read_wav(&float).unwrap(), [0.25, 0.75]);
        let stereo = dir.path().join("stereo.wav");
        write_wav(
            &stereo,
            spec(2, SampleFormat::Float, 32),
            &[0.2, 0.4, -1.0, 0.0],
        );
        let samples = read_wav(&stereo).unwrap();
        assert!(
            (samples[0] - 0.3).abs() < 1e-6 && (samples[1] + 0.5).abs() < 1e-6,
            "{samples:?}"
        );
    }

    #[test]
    fn rejects_wrong_rate_empty_non_wav_and_truncated_files() {
        let dir = tempfile::tempdir().unwrap();
        let rate = dir.path().join("44k.wav");
        let mut wrong = spec(1, SampleFormat::Int, 16);
        wrong.sample_rate = 44_100;
        write_wav(&rate, wrong, &[0.0; 10]);
        assert!(message(read_wav(&rate)).contains("44100 Hz"));

        let empty = dir.path().join("empty.wav");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(message(read_wav(&empty)), "file is empty");

        let text = dir.path().join("notes.wav");
        std::fs::write(&text, b"these are lecture notes, not audio").unwrap();
        assert!(message(read_wav(&text)).contains("not a readable WAV file"));

        let full = dir.path().join("full.wav");
        write_wav(&full, spec(1, SampleFormat::Int, 16), &[0.1; 1000]);
        let bytes = std::fs::read(&full).unwrap();
        let cut = dir.path().join("cut.wav");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        assert!(
            message(read_wav(&cut)).contains("truncated"),
            "{}",
            message(read_wav(&cut))
        );

        let silent = dir.path().join("none.wav");
        write_wav(&silent, spec(1, SampleFormat::Int, 16), &[]);
        assert_eq!(message(read_wav(&silent)), "contains no audio samples");

        assert!(message(read_wav(&dir.path().join("missing.wav"))).starts_with("cannot open"));
    }
}
