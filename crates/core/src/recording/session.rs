//! One recording, from the first sample to the lecture in the library.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::level::{InputLevel, LevelMeter};
use super::live::{LiveTranscript, LiveTranscriptSettings};
use super::recover::{discard_recording_files, finish_lecture};
use super::wav::{RecordingWav, WavSummary, repair_wav};
use super::{CHECKPOINT_INTERVAL, RecordingError};
use crate::engines::{
    AudioSource, CaptureCallback, CaptureEvent, TranscribeOptions, Transcriber, TranscriptSegment,
};
use crate::library::Library;
use crate::store::{ClassId, Lecture, LectureId, NewLecture};

/// What a recording reports while it runs, in order, from its own threads.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordingEvent {
    /// The input level of the last tenth of a second (also while paused, so the student can
    /// check the microphone).
    Level(InputLevel),
    /// A final segment of the live transcript, on the recording's timeline.
    Segment(TranscriptSegment),
    /// The live transcript failed for a window (or gave up); the recording itself goes on.
    LiveTranscriptProblem(String),
    /// The source has no more audio (a file source ended): the recording should be stopped.
    SourceEnded,
    /// The source failed (microphone unplugged): the recording should be stopped; what was
    /// captured is kept.
    SourceFailed(String),
    /// Writing the file failed (disk full, say): the recording should be stopped; the audio up to
    /// the last checkpoint is kept.
    WriteFailed(String),
}

/// How to record.
#[derive(Clone)]
pub struct RecordingOptions {
    /// Transcribes the live transcript; `None` records without one.
    pub live_transcriber: Option<Arc<dyn Transcriber>>,
    /// Options for each live transcription window.
    pub transcribe_options: TranscribeOptions,
    /// How the live transcript windows the audio.
    pub live_settings: LiveTranscriptSettings,
    /// How often the file is made valid and durable.
    pub checkpoint_interval: Duration,
}

impl Default for RecordingOptions {
    fn default() -> Self {
        Self {
            live_transcriber: None,
            transcribe_options: TranscribeOptions::default(),
            live_settings: LiveTranscriptSettings::default(),
            checkpoint_interval: CHECKPOINT_INTERVAL,
        }
    }
}

/// A recording that has ended and is in the library.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRecording {
    /// The lecture, now [`crate::store::LectureStatus::Imported`] with its stored media.
    pub lecture: Lecture,
    /// The recorded length (pauses excluded).
    pub duration_ms: u64,
    /// The live transcript, stored as the lecture's transcript.
    pub transcript: Vec<TranscriptSegment>,
}

/// What the source's callback hands the writer thread.
enum Captured {
    Frames { samples: Vec<f32>, recorded: bool },
    Ended,
    Failed(String),
    Stop,
}

/// State shared by the session and its threads.
struct Shared {
    paused: AtomicBool,
    frames_recorded: AtomicU64,
    sample_rate: u32,
}

/// Pause, resume and the elapsed time of a [`RecordingSession`], from any thread (a UI's, a
/// keyboard reader's) while the session itself stays with its owner.
#[derive(Clone)]
pub struct RecordingControls {
    shared: Arc<Shared>,
}

impl RecordingControls {
    /// Stops writing audio until [`resume`](Self::resume); the level is still reported.
    pub fn pause(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
    }

    /// Writes audio again after [`pause`](Self::pause).
    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
    }

    /// Whether the recording is paused.
    pub fn is_paused(&self) -> bool {
        self.shared.paused.load(Ordering::SeqCst)
    }

    /// The audio recorded so far (pauses excluded).
    pub fn elapsed(&self) -> Duration {
        let frames = self.shared.frames_recorded.load(Ordering::SeqCst);
        Duration::from_secs_f64(frames as f64 / f64::from(self.shared.sample_rate))
    }
}

/// A lecture being recorded. [`RecordingSession::stop`] ends it; a session dropped without
/// stopping (or a crash) leaves the lecture "recording" for
/// [`crate::recording::recover_interrupted_recordings`].
pub struct RecordingSession {
    lecture: Lecture,
    wav_path: PathBuf,
    source: Box<dyn AudioSource>,
    control: Sender<Captured>,
    controls: RecordingControls,
    writer: JoinHandle<Result<WavSummary, RecordingError>>,
    live: Option<LiveTranscript>,
}

impl RecordingSession {
    /// Starts recording `source` into a new lecture titled `title` in class `class_id`, reporting
    /// on `events`. The lecture exists (status "recording") once this returns.
    pub fn start(
        library: &Library,
        class_id: &ClassId,
        title: &str,
        mut source: Box<dyn AudioSource>,
        options: RecordingOptions,
        events: Sender<RecordingEvent>,
    ) -> Result<Self, RecordingError> {
        let format = source.format();
        if format.sample_rate == 0 || format.channels == 0 {
            return Err(RecordingError::BadFormat(format!(
                "{} Hz, {} channels",
                format.sample_rate, format.channels
            )));
        }
        let recordings = library.recordings_dir();
        std::fs::create_dir_all(&recordings)
            .map_err(RecordingError::io("create the folder for", &recordings))?;
        let stem = uuid::Uuid::now_v7().to_string();
        let wav_path = recordings.join(format!("{stem}.wav"));
        let wav = RecordingWav::create(&wav_path, format.sample_rate)?;

        let live = match &options.live_transcriber {
            Some(transcriber) => Some(
                LiveTranscript::start(
                    Arc::clone(transcriber),
                    options.transcribe_options.clone(),
                    options.live_settings,
                    format.sample_rate,
                    &wav_path,
                    events.clone(),
                )
                .map_err(RecordingError::io(
                    "start the live transcript of",
                    &wav_path,
                ))?,
            ),
            None => None,
        };
        let shared = Arc::new(Shared {
            paused: AtomicBool::new(false),
            frames_recorded: AtomicU64::new(0),
            sample_rate: format.sample_rate,
        });
        let (control, captured) = std::sync::mpsc::channel();
        let writer = {
            let shared = Arc::clone(&shared);
            let job = WriterJob {
                wav,
                channels: format.channels,
                sample_rate: format.sample_rate,
                checkpoint_interval: options.checkpoint_interval,
                events,
                live_audio: live.as_ref().map(LiveTranscript::audio),
            };
            std::thread::Builder::new()
                .name("recording-writer".into())
                .spawn(move || job.run(&captured, &shared))
                .map_err(RecordingError::io("start the writer of", &wav_path))?
        };
        let abandon = |writer: JoinHandle<_>, live: Option<LiveTranscript>, control: &Sender<_>| {
            let _ = control.send(Captured::Stop);
            let _ = writer.join();
            drop(live.map(LiveTranscript::finish));
            discard_recording_files(&wav_path);
        };
        if let Err(error) = source.start(capture_callback(control.clone(), Arc::clone(&shared))) {
            abandon(writer, live, &control);
            return Err(RecordingError::Source(error));
        }
        let relative = wav_path
            .strip_prefix(library.dir())
            .unwrap_or(&wav_path)
            .to_path_buf();
        let created = library.store().lectures().create_recording(&NewLecture {
            class_id: class_id.clone(),
            title: title.to_owned(),
            media_path: relative,
            media_hash: format!("recording-{stem}"),
        });
        let lecture = match created {
            Ok(lecture) => lecture,
            Err(error) => {
                source.stop();
                abandon(writer, live, &control);
                return Err(error.into());
            }
        };
        Ok(Self {
            lecture,
            wav_path,
            source,
            control,
            controls: RecordingControls { shared },
            writer,
            live,
        })
    }

    /// The lecture being recorded.
    pub fn lecture(&self) -> &Lecture {
        &self.lecture
    }

    /// The lecture's id.
    pub fn lecture_id(&self) -> &LectureId {
        &self.lecture.id
    }

    /// The file being recorded.
    pub fn wav_path(&self) -> &Path {
        &self.wav_path
    }

    /// A handle to pause, resume and time the recording from another thread.
    pub fn controls(&self) -> RecordingControls {
        self.controls.clone()
    }

    /// Stops writing audio until [`resume`](Self::resume); the level is still reported.
    pub fn pause(&self) {
        self.controls.pause();
    }

    /// Writes audio again after [`pause`](Self::pause).
    pub fn resume(&self) {
        self.controls.resume();
    }

    /// Whether the recording is paused.
    pub fn is_paused(&self) -> bool {
        self.controls.is_paused()
    }

    /// The audio recorded so far (pauses excluded).
    pub fn elapsed(&self) -> Duration {
        self.controls.elapsed()
    }

    /// Stops the source, finishes the file, waits for the live transcript's last window, and
    /// stores the lecture: its WAV moves into the content store, the live transcript becomes its
    /// transcript, and it becomes "imported".
    pub fn stop(mut self, library: &Library) -> Result<FinishedRecording, RecordingError> {
        self.source.stop();
        let _ = self.control.send(Captured::Stop);
        let written = self
            .writer
            .join()
            .map_err(|_| RecordingError::ThreadDied("writer"));
        let transcript = match self.live.take() {
            Some(live) => live.finish().unwrap_or_default(),
            None => Vec::new(),
        };
        let summary = match written.and_then(|result| result) {
            Ok(summary) => summary,
            // The file holds everything up to the last checkpoint; keep that.
            Err(error) => {
                tracing::warn!("recording {} failed: {error}", self.wav_path.display());
                repair_wav(&self.wav_path)?
            }
        };
        let lecture = finish_lecture(
            library,
            &self.lecture,
            &self.wav_path,
            summary.duration_ms(),
            &transcript,
        )?;
        Ok(FinishedRecording {
            lecture,
            duration_ms: summary.duration_ms(),
            transcript,
        })
    }
}

/// The source's callback: copies the samples to the writer and returns at once.
fn capture_callback(writer: Sender<Captured>, shared: Arc<Shared>) -> CaptureCallback {
    Box::new(move |event| {
        let message = match event {
            CaptureEvent::Frames(samples) => Captured::Frames {
                samples: samples.to_vec(),
                recorded: !shared.paused.load(Ordering::SeqCst),
            },
            CaptureEvent::Ended => Captured::Ended,
            CaptureEvent::Failed(problem) => Captured::Failed(problem.to_owned()),
        };
        // The writer is gone only after a write failure it has already reported.
        let _ = writer.send(message);
    })
}

/// The writer thread's state.
struct WriterJob {
    wav: RecordingWav,
    channels: u16,
    sample_rate: u32,
    checkpoint_interval: Duration,
    events: Sender<RecordingEvent>,
    live_audio: Option<Sender<Vec<f32>>>,
}

impl WriterJob {
    fn run(
        mut self,
        captured: &Receiver<Captured>,
        shared: &Shared,
    ) -> Result<WavSummary, RecordingError> {
        if let Err(error) = self.write_until_stopped(captured, shared) {
            let _ = self
                .events
                .send(RecordingEvent::WriteFailed(error.to_string()));
            return Err(error);
        }
        // The live transcript's last window starts once its audio sender is gone.
        drop(self.live_audio.take());
        self.wav.finish()
    }

    fn write_until_stopped(
        &mut self,
        captured: &Receiver<Captured>,
        shared: &Shared,
    ) -> Result<(), RecordingError> {
        let mut meter = LevelMeter::new(self.sample_rate, self.channels);
        let interval_frames =
            (self.checkpoint_interval.as_secs_f64() * f64::from(self.sample_rate)) as u64;
        let mut last_checkpoint = (Instant::now(), self.wav.frames());
        loop {
            match captured.recv_timeout(self.checkpoint_interval) {
                Ok(Captured::Frames { samples, recorded }) => {
                    meter.push(&samples, &mut |level| {
                        let _ = self.events.send(RecordingEvent::Level(level));
                    });
                    if recorded {
                        let mono = downmix(&samples, self.channels);
                        self.wav.write(&mono)?;
                        shared
                            .frames_recorded
                            .store(self.wav.frames(), Ordering::SeqCst);
                        if let Some(live) = &self.live_audio {
                            let _ = live.send(mono);
                        }
                    }
                }
                Ok(Captured::Ended) => {
                    let _ = self.events.send(RecordingEvent::SourceEnded);
                }
                Ok(Captured::Failed(problem)) => {
                    let _ = self.events.send(RecordingEvent::SourceFailed(problem));
                }
                Ok(Captured::Stop) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => {}
            }
            // By the clock for real microphones, by audio for sources faster than real time.
            let unsaved = self.wav.frames() - last_checkpoint.1;
            if unsaved > 0
                && (last_checkpoint.0.elapsed() >= self.checkpoint_interval
                    || unsaved >= interval_frames)
            {
                self.wav.checkpoint()?;
                last_checkpoint = (Instant::now(), self.wav.frames());
            }
        }
    }
}

/// Interleaved frames to mono by averaging the channels.
fn downmix(samples: &[f32], channels: u16) -> Vec<f32> {
    match channels {
        0 | 1 => samples.to_vec(),
        n => samples
            .chunks_exact(usize::from(n))
            .map(|frame| frame.iter().sum::<f32>() / f32::from(n))
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests;
