//! The live transcript: rolling windows of the recording transcribed while it goes on.
//!
//! Every [`LiveTranscriptSettings::step`] of new audio, the audio since the last *settled* point
//! (at most [`LiveTranscriptSettings::max_window`]) is resampled to 16 kHz and transcribed.
//! Segments that end well before the window's end ([`LiveTranscriptSettings::settle_margin`]) are
//! final: Whisper has heard what follows them, so they will not change. They are reported on the
//! recording's timeline and the settled point moves to the end of the last one; the rest is
//! transcribed again, with more context, in the next window. When the recording stops, what is
//! left is transcribed once more and all of it is final.
//!
//! Final segments are also appended to a small JSON-lines file next to the recording, so a crash
//! keeps the transcript made so far ([`read_saved_segments`]).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::RecordingEvent;
use lm_media::{TARGET_RATE as WHISPER_RATE, To16k};

use super::wav::to_i16;
use crate::engines::{TranscribeOptions, Transcriber, TranscriptSegment};

/// Consecutive failed windows after which the live transcript gives up for this recording (the
/// audio is still recorded, and the full transcription after it covers everything).
const MAX_CONSECUTIVE_FAILURES: u32 = 3;

/// How the live transcript cuts the recording into windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveTranscriptSettings {
    /// New audio that triggers the next window.
    pub step: Duration,
    /// The longest window transcribed at once (Whisper's context is 30 s).
    pub max_window: Duration,
    /// A segment ending at least this long before its window's end is final.
    pub settle_margin: Duration,
}

impl Default for LiveTranscriptSettings {
    fn default() -> Self {
        Self {
            step: Duration::from_secs(3),
            max_window: Duration::from_secs(25),
            settle_margin: Duration::from_millis(1500),
        }
    }
}

/// What one transcribed window settles.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settled {
    /// The final segments, timed from the window's start.
    pub(crate) segments: Vec<TranscriptSegment>,
    /// How far (ms from the window's start) the settled point moves.
    pub(crate) advance_ms: u64,
}

/// Decides which of a window's `segments` are final. `full` says the window reached its maximum
/// length (it must move on even if nothing settled); `last` says no audio follows.
pub(crate) fn settle(
    segments: &[TranscriptSegment],
    window_ms: u64,
    settings: &LiveTranscriptSettings,
    full: bool,
    last: bool,
) -> Settled {
    let clamp = |segment: &TranscriptSegment| {
        let start_ms = segment.start_ms.min(window_ms);
        let mut clamped = TranscriptSegment {
            start_ms,
            end_ms: segment.end_ms.clamp(start_ms, window_ms),
            text: segment.text.trim().to_owned(),
            words: segment.words.clone(),
        };
        clamped.clamp_words();
        clamped
    };
    if last {
        return Settled {
            segments: segments.iter().map(clamp).collect(),
            advance_ms: window_ms,
        };
    }
    let cutoff = window_ms.saturating_sub(settings.settle_margin.as_millis() as u64);
    let mut settled: Vec<TranscriptSegment> = segments
        .iter()
        .map(clamp)
        .take_while(|segment| segment.end_ms <= cutoff)
        .collect();
    if settled.is_empty() {
        match segments.first() {
            // Silence (or nothing Whisper could read): skip it, keeping the margin in case speech
            // starts right at the end.
            None => {
                return Settled {
                    segments: Vec::new(),
                    advance_ms: cutoff,
                };
            }
            // One long sentence fills the whole window: take it as it is rather than stall.
            Some(first) if full => settled.push(clamp(first)),
            Some(_) => {
                return Settled {
                    segments: Vec::new(),
                    advance_ms: 0,
                };
            }
        }
    }
    let advance_ms = settled.last().map_or(0, |segment| segment.end_ms);
    settled.retain(|segment| !segment.text.is_empty());
    Settled {
        segments: settled,
        advance_ms,
    }
}

/// The file next to a recording that holds its final live segments.
pub(crate) fn saved_segments_path(wav: &Path) -> PathBuf {
    wav.with_extension("transcript.jsonl")
}

/// The live segments saved next to `wav` (none when there is no file). A line cut short by a
/// crash is skipped.
pub(crate) fn read_saved_segments(wav: &Path) -> Vec<TranscriptSegment> {
    let Ok(file) = File::open(saved_segments_path(wav)) else {
        return Vec::new();
    };
    BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect()
}

/// The running live transcript: feed it the recorded mono audio, then join it for the final
/// segments.
pub(crate) struct LiveTranscript {
    audio: Sender<Vec<f32>>,
    thread: JoinHandle<Vec<TranscriptSegment>>,
}

impl LiveTranscript {
    /// Starts the live transcript of mono audio at `sample_rate`, reporting final segments (and
    /// problems) on `events` and saving them next to `wav`.
    pub(crate) fn start(
        transcriber: Arc<dyn Transcriber>,
        options: TranscribeOptions,
        settings: LiveTranscriptSettings,
        sample_rate: u32,
        wav: &Path,
        events: Sender<RecordingEvent>,
    ) -> std::io::Result<Self> {
        let (audio, received) = std::sync::mpsc::channel();
        let saved = OpenOptions::new()
            .create(true)
            .append(true)
            .open(saved_segments_path(wav))?;
        let worker = Worker {
            transcriber,
            options,
            settings,
            input_rate: sample_rate,
            events,
            saved,
            pending: Vec::new(),
            pending_start: 0,
            transcribed_until: 0,
            finals: Vec::new(),
            failures: 0,
        };
        let thread = std::thread::Builder::new()
            .name("live-transcript".into())
            .spawn(move || worker.run(&received))?;
        Ok(Self { audio, thread })
    }

    /// A sender for the recorded audio, in order.
    pub(crate) fn audio(&self) -> Sender<Vec<f32>> {
        self.audio.clone()
    }

    /// Waits for the last window (once every audio sender is gone) and returns all final
    /// segments on the recording's timeline.
    pub(crate) fn finish(self) -> Option<Vec<TranscriptSegment>> {
        drop(self.audio);
        self.thread.join().ok()
    }
}

struct Worker {
    transcriber: Arc<dyn Transcriber>,
    options: TranscribeOptions,
    settings: LiveTranscriptSettings,
    /// The recorded audio's rate, converted to [`WHISPER_RATE`] as it arrives.
    input_rate: u32,
    events: Sender<RecordingEvent>,
    saved: File,
    /// 16 kHz audio from the settled point on.
    pending: Vec<f32>,
    /// The 16 kHz frame (from the recording's start) `pending[0]` is.
    pending_start: u64,
    /// The 16 kHz frame up to which audio has been in a window.
    transcribed_until: u64,
    finals: Vec<TranscriptSegment>,
    failures: u32,
}

impl Worker {
    fn frames(duration: Duration) -> u64 {
        (duration.as_secs_f64() * f64::from(WHISPER_RATE)) as u64
    }

    fn ms(frames: u64) -> u64 {
        frames * 1000 / u64::from(WHISPER_RATE)
    }

    fn pending_end(&self) -> u64 {
        self.pending_start + self.pending.len() as u64
    }

    fn run(mut self, received: &Receiver<Vec<f32>>) -> Vec<TranscriptSegment> {
        let step = Self::frames(self.settings.step);
        let rate = self.input_rate;
        let mut to16k = To16k::new("the recording");
        let convert = |to16k: &mut To16k, chunk: &[f32], pending: &mut Vec<f32>| {
            to16k
                .push(rate, chunk, &mut |converted| {
                    pending.extend_from_slice(converted);
                    Ok(())
                })
                .map_err(|error| error.to_string())
        };
        let mut open = true;
        loop {
            let mut converted = Ok(());
            while open && self.pending_end() - self.transcribed_until < step {
                match received.recv() {
                    Ok(chunk) => {
                        converted = converted.and(convert(&mut to16k, &chunk, &mut self.pending));
                    }
                    Err(_) => open = false,
                }
            }
            while open {
                match received.try_recv() {
                    Ok(chunk) => {
                        converted = converted.and(convert(&mut to16k, &chunk, &mut self.pending));
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => open = false,
                }
            }
            if !open {
                let pending = &mut self.pending;
                converted = converted.and(
                    to16k
                        .finish(&mut |converted| {
                            pending.extend_from_slice(converted);
                            Ok(())
                        })
                        .map_err(|error| error.to_string()),
                );
            }
            if let Err(problem) = converted {
                // Cannot happen with rubato's FFT resampler at a rate it accepted.
                self.report_problem(problem);
                return self.finals;
            }
            let given_up = self.failures >= MAX_CONSECUTIVE_FAILURES;
            if !open {
                if !given_up && !self.pending.is_empty() {
                    self.window(true);
                }
                return self.finals;
            }
            if given_up {
                // Keep draining so the writer never blocks, but transcribe no more.
                self.pending_start = self.pending_end();
                self.pending.clear();
                self.transcribed_until = self.pending_start;
                continue;
            }
            self.window(false);
        }
    }

    /// Transcribes one window from the settled point and settles what it can.
    fn window(&mut self, last: bool) {
        let max = Self::frames(self.settings.max_window) as usize;
        let len = if last {
            self.pending.len()
        } else {
            self.pending.len().min(max)
        };
        let window_ms = Self::ms(len as u64);
        self.transcribed_until = self.pending_start + len as u64;
        let segments = match self.transcribe(&self.pending[..len]) {
            Ok(segments) => {
                self.failures = 0;
                segments
            }
            Err(problem) => {
                self.failures += 1;
                self.report_problem(problem);
                if self.failures >= MAX_CONSECUTIVE_FAILURES {
                    self.report_problem(
                        "the live transcript stopped; the recording goes on".to_owned(),
                    );
                }
                // This window's live transcript is lost; move on so memory stays bounded.
                self.advance(len as u64);
                return;
            }
        };
        let settled = settle(&segments, window_ms, &self.settings, len >= max, last);
        let offset_ms = Self::ms(self.pending_start);
        for segment in settled.segments {
            let segment = segment.map_times(|ms| ms + offset_ms);
            self.save(&segment);
            let _ = self.events.send(RecordingEvent::Segment(segment.clone()));
            self.finals.push(segment);
        }
        let advance = (settled.advance_ms * u64::from(WHISPER_RATE) / 1000).min(len as u64);
        self.advance(advance);
    }

    fn advance(&mut self, frames: u64) {
        let frames = frames.min(self.pending.len() as u64);
        self.pending.drain(..frames as usize);
        self.pending_start += frames;
    }

    fn transcribe(&self, window_16k: &[f32]) -> Result<Vec<TranscriptSegment>, String> {
        let file = tempfile::Builder::new()
            .prefix("live-window-")
            .suffix(".wav")
            .tempfile()
            .map_err(|error| format!("cannot create a temporary file: {error}"))?;
        write_whisper_wav(file.path(), window_16k)
            .map_err(|error| format!("cannot write a temporary WAV: {error}"))?;
        self.transcriber
            .transcribe(file.path(), &self.options, &mut |_| {})
            .map_err(|error| format!("live transcript: {error}"))
    }

    fn save(&mut self, segment: &TranscriptSegment) {
        let written = serde_json::to_string(segment)
            .map_err(std::io::Error::other)
            .and_then(|line| self.saved.write_all(format!("{line}\n").as_bytes()));
        if let Err(error) = written {
            self.report_problem(format!("cannot save the live transcript: {error}"));
        }
    }

    fn report_problem(&self, problem: String) {
        tracing::warn!("{problem}");
        let _ = self
            .events
            .send(RecordingEvent::LiveTranscriptProblem(problem));
    }
}

/// Writes 16 kHz mono samples to `path` as a 16-bit WAV, the window format the transcriber takes.
fn write_whisper_wav(path: &std::path::Path, samples_16k: &[f32]) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: WHISPER_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)?;
    for &sample in samples_16k {
        writer.write_sample(to_i16(sample))?;
    }
    writer.finalize()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> TranscriptSegment {
        TranscriptSegment::new(start_ms, end_ms, text)
    }

    fn settings() -> LiveTranscriptSettings {
        LiveTranscriptSettings::default()
    }

    #[test]
    fn segments_well_before_the_window_end_settle() {
        let segments = [
            segment(0, 3000, "One."),
            segment(3000, 7900, "Two."),
            segment(7900, 9500, "Thr"),
        ];
        let settled = settle(&segments, 10_000, &settings(), false, false);
        assert_eq!(settled.segments, segments[..2]);
        assert_eq!(settled.advance_ms, 7900);
    }

    #[test]
    fn nothing_settles_near_the_end_until_the_window_is_full() {
        let segments = [segment(500, 9000, "a long sentence still going")];
        let waiting = settle(&segments, 10_000, &settings(), false, false);
        assert_eq!(waiting.segments, []);
        assert_eq!(waiting.advance_ms, 0);
        let forced = settle(&segments, 25_000, &settings(), true, false);
        assert_eq!(forced.segments, segments);
        assert_eq!(forced.advance_ms, 9000);
    }

    #[test]
    fn silence_is_skipped_but_the_margin_kept() {
        let settled = settle(&[], 10_000, &settings(), false, false);
        assert_eq!(settled.segments, []);
        assert_eq!(settled.advance_ms, 8500);
    }

    #[test]
    fn the_last_window_settles_everything_clamped_and_trimmed() {
        let segments = [segment(0, 1000, " Hello. "), segment(1000, 4200, "End.")];
        let settled = settle(&segments, 4000, &settings(), false, true);
        assert_eq!(
            settled.segments,
            [segment(0, 1000, "Hello."), segment(1000, 4000, "End.")]
        );
        assert_eq!(settled.advance_ms, 4000);
    }

    #[test]
    fn empty_texts_are_dropped_but_still_advance() {
        let segments = [segment(0, 2000, "  "), segment(2000, 4000, "Yes.")];
        let settled = settle(&segments, 9000, &settings(), false, false);
        assert_eq!(settled.segments, [segment(2000, 4000, "Yes.")]);
        assert_eq!(settled.advance_ms, 4000);
    }

    #[test]
    fn saved_segments_survive_a_line_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("rec.wav");
        std::fs::write(
            saved_segments_path(&wav),
            "{\"start_ms\":0,\"end_ms\":900,\"text\":\"Hi.\"}\n{\"start_ms\":900,\"end",
        )
        .unwrap();
        assert_eq!(read_saved_segments(&wav), [segment(0, 900, "Hi.")]);
        assert_eq!(read_saved_segments(&dir.path().join("none.wav")), []);
    }
}
