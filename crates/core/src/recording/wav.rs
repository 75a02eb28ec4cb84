//! The recording's file: 16-bit PCM WAV written as the audio arrives, made valid and durable at
//! every checkpoint, and repaired after a crash.
//!
//! A crash between checkpoints leaves a file whose header counts fewer samples than the file
//! holds (or none), and possibly half a frame at the end; [`repair_wav`] recomputes the sizes from
//! the file's length, so everything that reached the disk is kept.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::RecordingError;

/// Bits per sample of every recording: CD quality, and what Whisper's input uses.
const BITS_PER_SAMPLE: u16 = 16;

/// Converts a sample in -1.0..=1.0 to 16-bit PCM. The scale (32768) is the one
/// [`crate::recording::WavFileSource`] divides by, so 16-bit audio passes through unchanged.
pub(crate) fn to_i16(sample: f32) -> i16 {
    (sample * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// A WAV file being recorded.
pub(crate) struct RecordingWav {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
    /// A second handle on the same open file, for `fsync` and the lock that tells other processes
    /// the recording is live (see [`is_recording_elsewhere`]).
    file: File,
    frames: u64,
    sample_rate: u32,
}

impl RecordingWav {
    /// Creates `path` (which must not exist) for mono audio at `sample_rate`, locks it, and makes
    /// its header durable.
    pub(crate) fn create(path: &Path, sample_rate: u32) -> Result<Self, RecordingError> {
        let io_error = |action| RecordingError::io(action, path);
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .open(path)
            .map_err(io_error("create"))?;
        let lock = file.try_clone().map_err(io_error("open"))?;
        lock.try_lock()
            .map_err(|error| RecordingError::io("lock", path)(io::Error::other(error)))?;
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate,
            bits_per_sample: BITS_PER_SAMPLE,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::new(BufWriter::new(file), spec)
            .map_err(|error| RecordingError::wav(path, error))?;
        let mut wav = Self {
            path: path.to_path_buf(),
            writer,
            file: lock,
            frames: 0,
            sample_rate,
        };
        wav.checkpoint()?;
        Ok(wav)
    }

    /// Appends mono samples (buffered; durable at the next [`checkpoint`](Self::checkpoint)).
    pub(crate) fn write(&mut self, mono: &[f32]) -> Result<(), RecordingError> {
        let mut samples = self.writer.get_i16_writer(mono.len() as u32);
        for &sample in mono {
            samples.write_sample(to_i16(sample));
        }
        samples
            .flush()
            .map_err(|error| RecordingError::wav(&self.path, error))?;
        self.frames += mono.len() as u64;
        Ok(())
    }

    /// Rewrites the header for the samples written so far and forces everything to the disk, so
    /// a crash or power cut after this loses nothing before it.
    pub(crate) fn checkpoint(&mut self) -> Result<(), RecordingError> {
        self.writer
            .flush()
            .map_err(|error| RecordingError::wav(&self.path, error))?;
        self.file
            .sync_data()
            .map_err(RecordingError::io("write", &self.path))
    }

    /// Frames written so far.
    pub(crate) fn frames(&self) -> u64 {
        self.frames
    }

    /// Writes the final header, syncs, and closes the file (releasing its lock).
    pub(crate) fn finish(self) -> Result<WavSummary, RecordingError> {
        let Self {
            path,
            writer,
            file,
            frames,
            sample_rate,
        } = self;
        writer
            .finalize()
            .map_err(|error| RecordingError::wav(&path, error))?;
        file.sync_all()
            .map_err(RecordingError::io("write", &path))?;
        Ok(WavSummary {
            sample_rate,
            channels: 1,
            frames,
        })
    }
}

/// What a finished or repaired WAV holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavSummary {
    /// Frames per second.
    pub sample_rate: u32,
    /// Samples per frame.
    pub channels: u16,
    /// Whole frames of audio.
    pub frames: u64,
}

impl WavSummary {
    /// The audio's length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.frames * 1000 / u64::from(self.sample_rate.max(1))
    }
}

/// Whether another live process holds `path` open for recording (it keeps a lock on the file
/// until it stops; the kernel drops the lock when the process dies, crash or not).
pub(crate) fn is_recording_elsewhere(path: &Path) -> Result<bool, RecordingError> {
    let file = File::open(path).map_err(RecordingError::io("open", path))?;
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(error)) => Err(RecordingError::io("lock", path)(error)),
    }
}

/// Makes a WAV file cut short by a crash valid again, in place: the RIFF and `data` sizes are
/// recomputed from the file's length, and a trailing partial frame is cut off. A file that is
/// already valid is left as it is. Fails when the header itself is incomplete (the crash came
/// before the first checkpoint) or is not PCM WAV.
pub fn repair_wav(path: &Path) -> Result<WavSummary, RecordingError> {
    let corrupt = |problem: &str| RecordingError::Wav {
        path: path.to_path_buf(),
        problem: problem.to_owned(),
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(RecordingError::io("open", path))?;
    let file_len = file
        .metadata()
        .map_err(RecordingError::io("read", path))?
        .len();
    let mut riff = [0_u8; 12];
    file.read_exact(&mut riff)
        .map_err(|_| corrupt("the file is too short to hold a WAV header"))?;
    if &riff[0..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
        return Err(corrupt("not a WAV file (no RIFF/WAVE header)"));
    }
    // Walk the chunks up to `data`, remembering the format.
    let mut format: Option<(u16, u32, u16)> = None; // channels, rate, block align
    let mut position = 12_u64;
    let data_start = loop {
        let mut header = [0_u8; 8];
        file.seek(SeekFrom::Start(position))
            .and_then(|_| file.read_exact(&mut header))
            .map_err(|_| corrupt("the header ends before the audio data starts"))?;
        let size = u64::from(u32::from_le_bytes([
            header[4], header[5], header[6], header[7],
        ]));
        match &header[0..4] {
            b"data" => break position + 8,
            b"fmt " => {
                let mut fmt = [0_u8; 16];
                file.read_exact(&mut fmt)
                    .map_err(|_| corrupt("the format chunk is cut short"))?;
                let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
                let rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
                let block_align = u16::from_le_bytes([fmt[12], fmt[13]]);
                format = Some((channels, rate, block_align));
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        position += 8 + size + (size & 1);
    };
    let (channels, sample_rate, block_align) =
        format.ok_or_else(|| corrupt("the audio data comes before its format"))?;
    if channels == 0 || sample_rate == 0 || block_align == 0 {
        return Err(corrupt("the format chunk describes no audio"));
    }
    let data_len = file_len.saturating_sub(data_start);
    let whole = data_len - data_len % u64::from(block_align);
    let data_size = u32::try_from(whole).map_err(|_| corrupt("the audio is over 4 GB"))?;
    let riff_size =
        u32::try_from(data_start - 8 + whole).map_err(|_| corrupt("the audio is over 4 GB"))?;
    let io_write = RecordingError::io("repair", path);
    if whole != data_len {
        file.set_len(data_start + whole).map_err(&io_write)?;
    }
    file.seek(SeekFrom::Start(4)).map_err(&io_write)?;
    file.write_all(&riff_size.to_le_bytes())
        .map_err(&io_write)?;
    file.seek(SeekFrom::Start(data_start - 4))
        .map_err(&io_write)?;
    file.write_all(&data_size.to_le_bytes())
        .map_err(&io_write)?;
    file.sync_all().map_err(&io_write)?;
    Ok(WavSummary {
        sample_rate,
        channels,
        frames: whole / u64::from(block_align),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    fn samples(path: &Path) -> Vec<i16> {
        hound::WavReader::open(path)
            .unwrap()
            .into_samples::<i16>()
            .map(Result::unwrap)
            .collect()
    }

    fn ramp(len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i % 200) as f32 - 100.0) / 128.0)
            .collect()
    }

    #[test]
    fn pcm_conversion_round_trips_16_bit_audio() {
        for value in [i16::MIN, -12_345, -1, 0, 1, 321, i16::MAX] {
            assert_eq!(to_i16(f32::from(value) / 32768.0), value);
        }
        assert_eq!(to_i16(2.0), i16::MAX);
        assert_eq!(to_i16(-2.0), i16::MIN);
    }

    #[test]
    fn a_checkpointed_file_is_valid_while_recording_continues() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.wav");
        let mut wav = RecordingWav::create(&path, 16_000).unwrap();
        let audio = ramp(16_000);
        wav.write(&audio).unwrap();
        wav.checkpoint().unwrap();
        // Another reader sees exactly the checkpointed audio while the writer is still open.
        let seen = samples(&path);
        assert_eq!(seen.len(), 16_000);
        assert_eq!(seen[5], to_i16(audio[5]));
        assert!(is_recording_elsewhere(&path).unwrap());
        wav.write(&audio[..8000]).unwrap();
        let summary = wav.finish().unwrap();
        assert_eq!(summary.frames, 24_000);
        assert_eq!(summary.duration_ms(), 1500);
        assert_eq!(samples(&path).len(), 24_000);
        assert!(!is_recording_elsewhere(&path).unwrap());
    }

    #[test]
    fn repair_recomputes_broken_sizes_and_drops_a_partial_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crashed.wav");
        let audio = ramp(4000);
        let mut wav = RecordingWav::create(&path, 8000).unwrap();
        wav.write(&audio).unwrap();
        wav.finish().unwrap();
        let good = std::fs::read(&path).unwrap();
        // The crash: both size fields as they were before any checkpoint (zero), and half of a
        // 16-bit sample at the end.
        let mut broken = good.clone();
        broken[4..8].copy_from_slice(&36_u32.to_le_bytes());
        broken[40..44].copy_from_slice(&0_u32.to_le_bytes());
        broken.push(0x7f);
        std::fs::write(&path, &broken).unwrap();
        assert_eq!(hound::WavReader::open(&path).unwrap().duration(), 0);

        let summary = repair_wav(&path).unwrap();
        assert_eq!(
            summary,
            WavSummary {
                sample_rate: 8000,
                channels: 1,
                frames: 4000
            }
        );
        assert_eq!(std::fs::read(&path).unwrap(), good);
        let expected: Vec<i16> = audio.iter().map(|&s| to_i16(s)).collect();
        assert_eq!(samples(&path), expected);
        // Repairing a valid file changes nothing.
        assert_eq!(repair_wav(&path).unwrap(), summary);
        assert_eq!(std::fs::read(&path).unwrap(), good);
    }

    #[test]
    fn repair_keeps_audio_written_after_the_last_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stale.wav");
        let mut wav = RecordingWav::create(&path, 16_000).unwrap();
        wav.write(&ramp(1600)).unwrap();
        wav.checkpoint().unwrap();
        wav.write(&ramp(800)).unwrap();
        wav.finish().unwrap();
        // Put back the header of the last checkpoint (1600 samples), as a crash after the OS got
        // the later samples but before the next checkpoint would leave it.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[4..8].copy_from_slice(&(36_u32 + 3200).to_le_bytes());
        bytes[40..44].copy_from_slice(&3200_u32.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert!(hound::WavReader::open(&path).is_err() || samples(&path).len() == 1600);
        assert_eq!(repair_wav(&path).unwrap().frames, 2400);
        assert_eq!(samples(&path).len(), 2400);
    }

    #[test]
    fn a_file_cut_inside_its_header_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stub.wav");
        std::fs::write(&path, b"RIFF\0\0\0\0WAVEfmt ").unwrap();
        let error = repair_wav(&path).unwrap_err().to_string();
        assert!(
            error.contains("stub.wav") && error.contains("header ends"),
            "{error}"
        );
        std::fs::write(&path, b"hello").unwrap();
        assert!(repair_wav(&path).is_err());
    }
}
