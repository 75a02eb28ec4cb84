//! A WAV file played as if it were a microphone: for tests, demos and `record --from-wav`.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::engines::{AudioFormat, AudioSource, CaptureCallback, CaptureEvent, EngineError};

/// Audio per delivery: 20 ms, like a sound card's period.
const BLOCK: Duration = Duration::from_millis(20);

/// An [`AudioSource`] that plays a WAV file's samples in real time (or faster), then reports
/// [`CaptureEvent::Ended`]. Integer samples are scaled by 2^(bits-1), so a 16-bit file recorded
/// through it comes out bit for bit.
pub struct WavFileSource {
    path: PathBuf,
    format: AudioFormat,
    speed: f64,
    running: Option<Running>,
}

struct Running {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl WavFileSource {
    /// A source playing `path` in real time. Fails when the file is not a WAV hound can read.
    pub fn open(path: &Path) -> Result<Self, EngineError> {
        let spec = open_reader(path)?.spec();
        Ok(Self {
            path: path.to_path_buf(),
            format: AudioFormat {
                sample_rate: spec.sample_rate,
                channels: spec.channels,
            },
            speed: 1.0,
            running: None,
        })
    }

    /// Plays `speed` times faster than real time (tests use it to record minutes in seconds).
    pub fn with_speed(mut self, speed: f64) -> Self {
        self.speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        self
    }
}

fn open_reader(path: &Path) -> Result<hound::WavReader<BufReader<File>>, EngineError> {
    hound::WavReader::open(path).map_err(|error| EngineError::BadInput {
        path: path.to_path_buf(),
        problem: format!("cannot play it as a microphone: {error}"),
    })
}

impl AudioSource for WavFileSource {
    fn format(&self) -> AudioFormat {
        self.format
    }

    fn start(&mut self, mut on_event: CaptureCallback) -> Result<(), EngineError> {
        self.stop();
        let reader = open_reader(&self.path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let format = self.format;
        let speed = self.speed;
        let path = self.path.clone();
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("wav-source".into())
                .spawn(move || play(reader, format, speed, &stop, &mut on_event, &path))
                .map_err(|error| EngineError::Other(format!("cannot start playing: {error}")))?
        };
        self.running = Some(Running { stop, thread });
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop.store(true, Ordering::SeqCst);
            // The thread ends within one block; it holds (and drops) the callback.
            let _ = running.thread.join();
        }
    }
}

impl Drop for WavFileSource {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Delivers the file block by block, each when its last sample "would have been captured".
fn play(
    mut reader: hound::WavReader<BufReader<File>>,
    format: AudioFormat,
    speed: f64,
    stop: &AtomicBool,
    on_event: &mut CaptureCallback,
    path: &Path,
) {
    let spec = reader.spec();
    let channels = usize::from(format.channels.max(1));
    let block_frames = (format.sample_rate as usize * BLOCK.as_millis() as usize / 1000).max(1);
    let scale = match spec.sample_format {
        hound::SampleFormat::Int => 1.0 / f32::powi(2.0, i32::from(spec.bits_per_sample) - 1),
        hound::SampleFormat::Float => 1.0,
    };
    let mut samples: Box<dyn Iterator<Item = hound::Result<f32>>> = match spec.sample_format {
        hound::SampleFormat::Int => Box::new(
            reader
                .samples::<i32>()
                .map(move |sample| sample.map(|s| s as f32 * scale)),
        ),
        hound::SampleFormat::Float => Box::new(reader.samples::<f32>()),
    };
    let started = Instant::now();
    let mut frames_sent = 0_u64;
    let mut block = Vec::with_capacity(block_frames * channels);
    while !stop.load(Ordering::SeqCst) {
        block.clear();
        for sample in samples.by_ref().take(block_frames * channels) {
            match sample {
                Ok(sample) => block.push(sample),
                Err(error) => {
                    let message = format!("{}: {error}", path.display());
                    on_event(CaptureEvent::Failed(&message));
                    return;
                }
            }
        }
        let whole = block.len() - block.len() % channels;
        if whole == 0 {
            on_event(CaptureEvent::Ended);
            return;
        }
        frames_sent += (whole / channels) as u64;
        let due =
            Duration::from_secs_f64(frames_sent as f64 / f64::from(format.sample_rate) / speed);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        on_event(CaptureEvent::Frames(&block[..whole]));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn write_stereo_wav(path: &Path, frames: usize) -> Vec<i16> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        let samples: Vec<i16> = (0..frames * 2)
            .map(|i| (i as i16).wrapping_mul(37))
            .collect();
        for &s in &samples {
            writer.write_sample(s).unwrap();
        }
        writer.finalize().unwrap();
        samples
    }

    #[test]
    fn plays_every_sample_in_real_time_then_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stereo.wav");
        let written = write_stereo_wav(&path, 4000); // 0.5 s
        let mut source = WavFileSource::open(&path).unwrap();
        assert_eq!(
            source.format(),
            AudioFormat {
                sample_rate: 8000,
                channels: 2
            }
        );
        let received = Arc::new(Mutex::new((Vec::new(), false)));
        let sink = Arc::clone(&received);
        let started = Instant::now();
        source
            .start(Box::new(move |event| {
                let mut sink = sink.lock().unwrap();
                match event {
                    CaptureEvent::Frames(frames) => sink.0.extend_from_slice(frames),
                    CaptureEvent::Ended => sink.1 = true,
                    CaptureEvent::Failed(message) => panic!("{message}"),
                }
            }))
            .unwrap();
        while !received.lock().unwrap().1 {
            assert!(started.elapsed() < Duration::from_secs(5), "never ended");
            std::thread::sleep(Duration::from_millis(10));
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(480), "too fast: {took:?}");
        source.stop();
        let (samples, _) = &*received.lock().unwrap();
        let back: Vec<i16> = samples.iter().map(|&s| (s * 32768.0) as i16).collect();
        assert_eq!(back, written);
    }

    #[test]
    fn stop_ends_delivery_and_drops_the_callback() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.wav");
        write_stereo_wav(&path, 80_000); // 10 s
        let mut source = WavFileSource::open(&path).unwrap().with_speed(2.0);
        let alive = Arc::new(());
        let held = Arc::clone(&alive);
        source
            .start(Box::new(move |_| {
                let _keep = &held;
            }))
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        source.stop();
        assert_eq!(Arc::strong_count(&alive), 1, "the callback was not dropped");
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let Err(error) = WavFileSource::open(Path::new("/nonexistent/lecture.wav")) else {
            panic!("opened a missing file");
        };
        assert!(error.to_string().contains("lecture.wav"), "{error}");
    }
}
