//! Turns per-frame speech probabilities into speech spans: hysteresis thresholds, a minimum
//! speech length, a minimum silence before a span ends, padding, and a cut inside speech that
//! runs too long. Pure logic, independent of the model, so it is tested on made-up
//! probabilities.

use lm_core::engines::{EngineError, SpeechSpan};

/// Length of one model frame in milliseconds: 512 samples at 16 kHz.
pub const FRAME_MS: u64 = 32;

/// How speech probabilities become speech spans. The defaults suit lectures and study
/// recordings; every field is in milliseconds or a probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadSettings {
    /// A frame with a speech probability at or above this starts speech (or keeps it going).
    /// Default 0.5, Silero's own.
    pub speech_threshold: f32,
    /// A frame below this counts as silence; between the two thresholds the current state holds
    /// (hysteresis), so speech wavering around one value does not flicker on and off.
    /// Default 0.35 (Silero's `threshold - 0.15`).
    pub silence_threshold: f32,
    /// Speech shorter than this is dropped as a click or a cough. Default 250 ms.
    pub min_speech_ms: u64,
    /// Speech ends only after this much silence; shorter pauses (between words and sentences)
    /// stay inside the span. Default 500 ms.
    pub min_silence_ms: u64,
    /// Audio kept before and after each span so word edges are not clipped. Default 200 ms. The
    /// padding after a span is capped at half of `min_silence_ms` and the padding before one
    /// never reaches back into the previous span, so spans never overlap.
    pub speech_pad_ms: u64,
    /// Speech running longer than this is cut at its quietest point: the longest pause in its
    /// second half, or else the frame least likely to be speech there. Default 27 s, so a span
    /// plus its padding fits the chunk planner's 28 s chunks (Whisper's window is 30 s) and the
    /// planner never has to cut speech blindly. Keep it at or below
    /// `max_chunk_ms - 2 * speech_pad_ms`.
    pub max_speech_ms: u64,
    /// Frames (of 32 ms) the model scores per inference call. Default 512 (16.4 s of audio,
    /// 1.2 MB of input): fewer calls are faster, and a block is still small.
    pub frames_per_call: usize,
}

impl Default for VadSettings {
    fn default() -> Self {
        Self {
            speech_threshold: 0.5,
            silence_threshold: 0.35,
            min_speech_ms: 250,
            min_silence_ms: 500,
            speech_pad_ms: 200,
            max_speech_ms: 27_000,
            frames_per_call: 512,
        }
    }
}

impl VadSettings {
    /// Checks that the settings make sense together, naming the first one that does not.
    pub fn validate(&self) -> Result<(), EngineError> {
        let problem = if !(0.0..=1.0).contains(&self.speech_threshold) {
            "speech_threshold must be a probability between 0 and 1"
        } else if !(0.0..=self.speech_threshold).contains(&self.silence_threshold) {
            "silence_threshold must be between 0 and speech_threshold"
        } else if self.min_silence_ms < FRAME_MS {
            "min_silence_ms must be at least one 32 ms frame"
        } else if self.max_speech_ms < 4 * FRAME_MS || self.max_speech_ms <= self.min_speech_ms {
            "max_speech_ms must be longer than min_speech_ms and at least 128 ms"
        } else if self.frames_per_call == 0 {
            "frames_per_call must be at least 1"
        } else {
            return Ok(());
        };
        Err(EngineError::Other(format!(
            "voice-activity settings: {problem} ({self:?})"
        )))
    }
}

/// Speech that has started and not yet ended.
#[derive(Debug)]
struct OpenSpan {
    /// Index of its first speech frame.
    start: u64,
    /// First frame of the silence it is currently in, if any.
    silence_since: Option<u64>,
    /// Probability of every frame since `start`, to find where to cut over-long speech; at most
    /// `max_speech_ms / FRAME_MS` entries.
    probabilities: Vec<f32>,
}

/// The state machine: fed one probability per frame, it emits spans once they are final.
#[derive(Debug)]
pub struct SpeechSegmenter {
    settings: VadSettings,
    /// Index of the next frame.
    frame: u64,
    open: Option<OpenSpan>,
    /// End of the last emitted span (padding included): the next span starts no earlier.
    last_end_ms: u64,
}

impl SpeechSegmenter {
    /// A segmenter at the start of a recording; `settings` must have passed
    /// [`VadSettings::validate`].
    pub fn new(settings: VadSettings) -> Self {
        Self {
            settings,
            frame: 0,
            open: None,
            last_end_ms: 0,
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &VadSettings {
        &self.settings
    }

    /// Takes the speech probability of the next frame; appends any span it completes to `spans`.
    pub fn push(&mut self, probability: f32, spans: &mut Vec<SpeechSpan>) {
        let k = self.frame;
        self.frame += 1;
        let s = self.settings;
        let Some(open) = self.open.as_mut() else {
            if probability >= s.speech_threshold {
                self.open = Some(OpenSpan {
                    start: k,
                    silence_since: None,
                    probabilities: vec![probability],
                });
            }
            return;
        };
        open.probabilities.push(probability);
        if probability >= s.speech_threshold {
            open.silence_since = None;
        } else if probability < s.silence_threshold {
            let since = *open.silence_since.get_or_insert(k);
            if (k + 1 - since) * FRAME_MS >= s.min_silence_ms {
                let start = open.start;
                self.open = None;
                let end_pad = s.speech_pad_ms.min(s.min_silence_ms / 2);
                self.emit(start * FRAME_MS, since * FRAME_MS, end_pad, spans);
                return;
            }
        }
        if (k + 1 - open.start) * FRAME_MS > s.max_speech_ms {
            self.cut_long_speech(spans);
        }
    }

    /// Ends the recording after `total_ms` of audio: emits the span still open, then resets for
    /// a new recording.
    pub fn finish(&mut self, total_ms: u64, spans: &mut Vec<SpeechSpan>) {
        if let Some(open) = self.open.take() {
            let end_ms = open
                .silence_since
                .map_or(total_ms, |since| since * FRAME_MS)
                .min(total_ms);
            let end_pad = self.settings.speech_pad_ms.min(total_ms - end_ms);
            self.emit(open.start * FRAME_MS, end_ms, end_pad, spans);
        }
        *self = Self::new(self.settings);
    }

    /// Cuts the open span, which has grown past `max_speech_ms`, at its quietest point in its
    /// second half: the longest run of silent frames, or else the single least speech-like
    /// frame. The part before the cut is emitted; the part after stays open.
    fn cut_long_speech(&mut self, spans: &mut Vec<SpeechSpan>) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let probabilities = &open.probabilities;
        let from = probabilities.len() / 2;
        // (first, end) of the cut, as indices into `probabilities`: a pause [first, end), or an
        // empty range at the quietest frame when nothing in the window is silent.
        let mut cut: Option<(usize, usize)> = None;
        let mut run_start: Option<usize> = None;
        for (i, &p) in probabilities.iter().enumerate().skip(from) {
            if p < self.settings.silence_threshold {
                let first = *run_start.get_or_insert(i);
                if cut.is_none_or(|(a, b)| i + 1 - first > b - a) {
                    cut = Some((first, i + 1));
                }
            } else {
                run_start = None;
            }
        }
        let (first, end) = cut.unwrap_or_else(|| {
            let quietest = (from..probabilities.len())
                .min_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))
                .unwrap_or(from);
            (quietest, quietest)
        });
        let start = open.start;
        let pause_ms = (end - first) as u64 * FRAME_MS;
        let end_pad = self.settings.speech_pad_ms.min(pause_ms / 2);
        let cut_start = start + first as u64;
        let cut_end = start + end as u64;
        if cut_end >= self.frame {
            // The pause runs up to now: speech has (for the moment) stopped.
            self.open = None;
        } else {
            open.start = cut_end;
            open.probabilities.drain(..end);
            open.silence_since = open.silence_since.filter(|&since| since >= cut_end);
        }
        self.emit(start * FRAME_MS, cut_start * FRAME_MS, end_pad, spans);
    }

    /// Emits speech from `start_ms` to `end_ms` with padding, unless it is too short.
    fn emit(&mut self, start_ms: u64, end_ms: u64, end_pad_ms: u64, spans: &mut Vec<SpeechSpan>) {
        if end_ms.saturating_sub(start_ms) < self.settings.min_speech_ms {
            return;
        }
        let span = SpeechSpan {
            start_ms: start_ms
                .saturating_sub(self.settings.speech_pad_ms)
                .max(self.last_end_ms),
            end_ms: end_ms + end_pad_ms,
        };
        self.last_end_ms = span.end_ms;
        spans.push(span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start_ms: u64, end_ms: u64) -> SpeechSpan {
        SpeechSpan { start_ms, end_ms }
    }

    /// Runs `probabilities` (one per 32 ms frame) through a segmenter and returns every span.
    fn segment(settings: VadSettings, probabilities: &[f32]) -> Vec<SpeechSpan> {
        let mut segmenter = SpeechSegmenter::new(settings);
        let mut spans = Vec::new();
        for &p in probabilities {
            segmenter.push(p, &mut spans);
        }
        segmenter.finish(probabilities.len() as u64 * FRAME_MS, &mut spans);
        spans
    }

    /// `frames` frames of probability `p`.
    fn run(p: f32, frames: usize) -> Vec<f32> {
        vec![p; frames]
    }

    #[test]
    fn defaults_are_valid_and_bad_settings_are_named() {
        VadSettings::default().validate().unwrap();
        let bad = VadSettings {
            silence_threshold: 0.7,
            ..VadSettings::default()
        };
        let message = bad.validate().unwrap_err().to_string();
        assert!(message.contains("silence_threshold"), "{message}");
    }

    #[test]
    fn speech_between_silences_is_one_padded_span() {
        // 1 s silence, 2 s speech (frames 31..93), 1 s silence.
        let probabilities = [run(0.0, 31), run(0.9, 62), run(0.0, 31)].concat();
        let spans = segment(VadSettings::default(), &probabilities);
        // Speech 992..2976 ms; 200 ms padding each side.
        assert_eq!(spans, vec![span(792, 3_176)]);
    }

    #[test]
    fn hysteresis_keeps_wavering_speech_together_and_short_pauses_inside() {
        let probabilities = [
            run(0.9, 20),
            run(0.4, 20), // between the thresholds: still speech
            run(0.9, 10),
            run(0.1, 12), // 384 ms pause: shorter than 500 ms, stays inside
            run(0.9, 10),
            run(0.0, 40),
        ]
        .concat();
        let spans = segment(VadSettings::default(), &probabilities);
        assert_eq!(spans, vec![span(0, 72 * FRAME_MS + 200)]);
    }

    #[test]
    fn a_long_pause_splits_and_padding_never_overlaps() {
        let settings = VadSettings {
            speech_pad_ms: 400, // more than half the 500 ms minimum silence
            ..VadSettings::default()
        };
        let probabilities = [run(0.9, 20), run(0.0, 16), run(0.9, 20)].concat();
        let spans = segment(settings, &probabilities);
        // First speech 0..640 ms, pause 640..1152 ms, second speech 1152..1792 ms (recording end).
        assert_eq!(spans, vec![span(0, 890), span(890, 1_792)]);
    }

    #[test]
    fn clicks_shorter_than_the_minimum_are_dropped() {
        // 7 frames = 224 ms < 250 ms.
        let probabilities = [run(0.0, 30), run(0.95, 7), run(0.0, 30)].concat();
        assert!(segment(VadSettings::default(), &probabilities).is_empty());
    }

    #[test]
    fn long_speech_is_cut_at_its_longest_pause() {
        let settings = VadSettings {
            max_speech_ms: 3_200, // 100 frames
            ..VadSettings::default()
        };
        // 60 frames speech, 3-frame pause (frames 60..63), 10 speech, 6-frame pause (73..79),
        // then speech up to frame 150; the cut happens when the span passes 100 frames.
        let probabilities = [
            run(0.9, 60),
            run(0.1, 3),
            run(0.9, 10),
            run(0.1, 6),
            run(0.9, 71),
            run(0.0, 31),
        ]
        .concat();
        let spans = segment(settings, &probabilities);
        // Cut in the 6-frame pause (2336..2528 ms): 96 ms of padding each side meets in its middle.
        assert_eq!(
            spans,
            vec![span(0, 2_432), span(2_432, 150 * FRAME_MS + 200)]
        );
        for s in &spans {
            assert!(s.duration_ms() <= 3_200 + 400, "{s:?}");
        }
    }

    #[test]
    fn speech_without_any_pause_is_cut_at_its_least_speechlike_frame() {
        let settings = VadSettings {
            max_speech_ms: 3_200,
            ..VadSettings::default()
        };
        let mut probabilities = run(0.95, 120);
        probabilities[80] = 0.6; // the quietest frame in the second half
        probabilities[10] = 0.55; // quieter, but in the first half: cutting there leaves a stub
        let spans = segment(settings, &probabilities);
        assert_eq!(
            spans,
            vec![span(0, 80 * FRAME_MS), span(80 * FRAME_MS, 120 * FRAME_MS)]
        );
    }

    #[test]
    fn finish_resets_for_the_next_recording() {
        let mut segmenter = SpeechSegmenter::new(VadSettings::default());
        let mut spans = Vec::new();
        for p in run(0.9, 20) {
            segmenter.push(p, &mut spans);
        }
        segmenter.finish(20 * FRAME_MS, &mut spans);
        assert_eq!(spans, vec![span(0, 640)]);
        spans.clear();
        for p in [run(0.0, 10), run(0.9, 20)].concat() {
            segmenter.push(p, &mut spans);
        }
        segmenter.finish(30 * FRAME_MS, &mut spans);
        assert_eq!(spans, vec![span(120, 960)]);
    }
}
