//! Plans how a long recording is cut into pieces for speech recognition.
//!
//! Whisper reads audio in 30-second windows and does best when each window holds whole sentences
//! and no long silence or noise (on those it invents text). [`plan_chunks`] takes the speech
//! spans a [`VoiceActivityDetector`](crate::engines::VoiceActivityDetector) found and groups them
//! into chunks of at most [`ChunkPlanSettings::max_chunk_ms`]:
//!
//! - audio outside every span (silence, music, noise) is in no chunk, so it is never transcribed;
//! - neighbouring spans separated by a short pause share a chunk (the model reads a sentence
//!   better with the one before it, and fewer chunks cost less);
//! - chunks are cut only between spans, never inside one, unless a single span is longer than the
//!   maximum: then it is cut into equal pieces. The Silero detector (`lm-vad`) avoids that by
//!   cutting long speech at its quietest pause first (its `max_speech_ms`), so the even cut is a
//!   last resort for speech with no pause at all.
//!
//! Each chunk knows where it sits on the recording's timeline: a transcriber's timestamps,
//! relative to the chunk, map back with [`TranscriptionChunk::to_recording`].

use std::ops::Range;

use crate::engines::{SpeechSpan, TranscriptSegment};

/// How [`plan_chunks`] groups speech into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPlanSettings {
    /// Longest chunk in milliseconds. Default 28 s: Whisper's window is 30 s, and the margin
    /// keeps the last words of a chunk well inside it.
    pub max_chunk_ms: u64,
    /// Spans separated by at most this much non-speech share a chunk. Default 2 s: a pause that
    /// short is part of speaking, and a chunk holding it gives the model more context.
    pub max_merge_gap_ms: u64,
    /// Shortest chunk in milliseconds; a shorter chunk is widened into the audio around it (never
    /// into a neighbouring chunk nor past the recording's ends). Default 1 s: whisper.cpp
    /// returns nothing for input shorter than one second, which would lose a short "Yes.".
    pub min_chunk_ms: u64,
}

impl Default for ChunkPlanSettings {
    fn default() -> Self {
        Self {
            max_chunk_ms: 28_000,
            max_merge_gap_ms: 2_000,
            min_chunk_ms: 1_000,
        }
    }
}

/// One piece of a recording to transcribe on its own, on the recording's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscriptionChunk {
    /// Where the chunk starts, in milliseconds from the start of the recording.
    pub start_ms: u64,
    /// Where the chunk ends, in milliseconds from the start of the recording.
    pub end_ms: u64,
}

impl TranscriptionChunk {
    /// The chunk's length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }

    /// The chunk's samples in a recording sampled at `sample_rate`, as indices into it.
    pub fn sample_range(&self, sample_rate: u32) -> Range<usize> {
        let to_sample =
            |ms: u64| usize::try_from(ms * u64::from(sample_rate) / 1000).unwrap_or(usize::MAX);
        to_sample(self.start_ms)..to_sample(self.end_ms)
    }

    /// Maps a time inside the chunk (milliseconds from the chunk's start, as a transcriber
    /// reports it) onto the recording's timeline. Times past the chunk's end (a model rounding
    /// up) are clamped to it, so a segment never leaves its chunk.
    pub fn to_recording_ms(&self, chunk_ms: u64) -> u64 {
        self.start_ms + chunk_ms.min(self.duration_ms())
    }

    /// `segment`, transcribed from this chunk alone, with its times and its words' times moved
    /// onto the recording's timeline.
    pub fn to_recording(&self, segment: TranscriptSegment) -> TranscriptSegment {
        segment.map_times(|ms| self.to_recording_ms(ms))
    }
}

/// Groups `spans` (speech found in a recording `total_ms` long) into chunks to transcribe, in
/// time order, not overlapping, each at most `settings.max_chunk_ms` long (see the module
/// documentation for the rules).
///
/// Spans may come unsorted or overlapping; parts outside `0..total_ms` are ignored. Spans that
/// merely touch (a detector's cut inside long speech) are kept apart so the cut is honoured. No
/// spans give no chunks: the recording has nothing to transcribe. Settings out of range are
/// corrected: `max_chunk_ms` is at least 1 ms and `min_chunk_ms` at most `max_chunk_ms`.
pub fn plan_chunks(
    spans: &[SpeechSpan],
    total_ms: u64,
    settings: &ChunkPlanSettings,
) -> Vec<TranscriptionChunk> {
    let max_ms = settings.max_chunk_ms.max(1);
    let min_ms = settings.min_chunk_ms.min(max_ms);

    let mut chunks: Vec<TranscriptionChunk> = Vec::new();
    for piece in normalized(spans, total_ms)
        .iter()
        .flat_map(|span| split_evenly(span, max_ms))
    {
        match chunks.last_mut() {
            Some(chunk)
                if piece.start_ms - chunk.end_ms <= settings.max_merge_gap_ms
                    && piece.end_ms - chunk.start_ms <= max_ms =>
            {
                chunk.end_ms = piece.end_ms;
            }
            _ => chunks.push(piece),
        }
    }
    widen_short_chunks(&mut chunks, total_ms, min_ms);
    chunks
}

/// Spans clipped to the recording, sorted, with overlapping ones joined (touching ones are not).
fn normalized(spans: &[SpeechSpan], total_ms: u64) -> Vec<SpeechSpan> {
    let mut clipped: Vec<SpeechSpan> = spans
        .iter()
        .map(|span| SpeechSpan {
            start_ms: span.start_ms.min(total_ms),
            end_ms: span.end_ms.min(total_ms),
        })
        .filter(|span| span.start_ms < span.end_ms)
        .collect();
    clipped.sort_by_key(|span| (span.start_ms, span.end_ms));
    let mut joined: Vec<SpeechSpan> = Vec::with_capacity(clipped.len());
    for span in clipped {
        match joined.last_mut() {
            Some(last) if span.start_ms < last.end_ms => last.end_ms = last.end_ms.max(span.end_ms),
            _ => joined.push(span),
        }
    }
    joined
}

/// `span` as chunks of at most `max_ms`: itself when it fits, else the fewest equal pieces.
fn split_evenly(span: &SpeechSpan, max_ms: u64) -> impl Iterator<Item = TranscriptionChunk> {
    let length = span.duration_ms();
    let pieces = length.div_ceil(max_ms).max(1);
    let start = span.start_ms;
    (0..pieces).map(move |i| TranscriptionChunk {
        start_ms: start + length * i / pieces,
        end_ms: start + length * (i + 1) / pieces,
    })
}

/// Widens chunks shorter than `min_ms` evenly on both sides, within the gap left by their
/// neighbours and the recording's ends (so a chunk may stay short when there is no room).
fn widen_short_chunks(chunks: &mut [TranscriptionChunk], total_ms: u64, min_ms: u64) {
    for i in 0..chunks.len() {
        let missing = min_ms.saturating_sub(chunks[i].duration_ms());
        if missing == 0 {
            continue;
        }
        let lower = if i == 0 { 0 } else { chunks[i - 1].end_ms };
        let upper = chunks.get(i + 1).map_or(total_ms, |next| next.start_ms);
        let chunk = &mut chunks[i];
        let room_before = chunk.start_ms - lower;
        let room_after = upper - chunk.end_ms;
        // Half each side; what one side lacks room for goes to the other.
        let before = (missing / 2)
            .max(missing.saturating_sub(room_after))
            .min(room_before);
        let after = (missing - before).min(room_after);
        chunk.start_ms -= before;
        chunk.end_ms += after;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::engines::TimedWord;

    fn span(start_ms: u64, end_ms: u64) -> SpeechSpan {
        SpeechSpan { start_ms, end_ms }
    }

    fn chunk(start_ms: u64, end_ms: u64) -> TranscriptionChunk {
        TranscriptionChunk { start_ms, end_ms }
    }

    /// Checks what every plan must satisfy, for any input.
    fn assert_plan_invariants(
        spans: &[SpeechSpan],
        total_ms: u64,
        settings: &ChunkPlanSettings,
        plan: &[TranscriptionChunk],
    ) {
        for pair in plan.windows(2) {
            assert!(
                pair[0].end_ms <= pair[1].start_ms,
                "overlap or disorder: {plan:?}"
            );
        }
        for c in plan {
            assert!(
                c.start_ms < c.end_ms && c.end_ms <= total_ms,
                "bad chunk {c:?}"
            );
            assert!(c.duration_ms() <= settings.max_chunk_ms, "too long: {c:?}");
        }
        for s in normalized(spans, total_ms) {
            // Every millisecond of speech is in a chunk ...
            let covered: u64 = plan
                .iter()
                .map(|c| {
                    c.end_ms
                        .min(s.end_ms)
                        .saturating_sub(c.start_ms.max(s.start_ms))
                })
                .sum();
            assert_eq!(
                covered,
                s.duration_ms(),
                "speech {s:?} not covered by {plan:?}"
            );
            // ... and a span that fits in a chunk lies inside exactly one.
            if s.duration_ms() <= settings.max_chunk_ms {
                assert!(
                    plan.iter()
                        .any(|c| c.start_ms <= s.start_ms && s.end_ms <= c.end_ms),
                    "speech {s:?} was cut by {plan:?}"
                );
            }
        }
    }

    #[test]
    fn no_speech_gives_no_chunks() {
        let settings = ChunkPlanSettings::default();
        assert!(plan_chunks(&[], 60_000, &settings).is_empty());
        assert!(plan_chunks(&[span(70_000, 80_000)], 60_000, &settings).is_empty());
    }

    #[test]
    fn speech_far_apart_gets_separate_chunks_at_the_span_edges() {
        // Speech, then 30 s of silence and 20 s of noise (no spans there), then speech.
        let spans = [span(500, 20_000), span(70_300, 90_000)];
        let plan = plan_chunks(&spans, 95_000, &ChunkPlanSettings::default());
        assert_eq!(plan, vec![chunk(500, 20_000), chunk(70_300, 90_000)]);
    }

    #[test]
    fn short_neighbours_merge_up_to_the_maximum_and_cut_only_in_pauses() {
        // Ten 4-second sentences with 1-second pauses: 49 s of talk.
        let spans: Vec<SpeechSpan> = (0..10)
            .map(|i| span(i * 5_000, i * 5_000 + 4_000))
            .collect();
        let settings = ChunkPlanSettings::default();
        let plan = plan_chunks(&spans, 50_000, &settings);
        // Five sentences (24 s) fit in 28 s, six (29 s) do not.
        assert_eq!(plan, vec![chunk(0, 24_000), chunk(25_000, 49_000)]);
        assert_plan_invariants(&spans, 50_000, &settings, &plan);
    }

    #[test]
    fn a_pause_longer_than_the_merge_gap_separates_chunks() {
        let spans = [span(0, 3_000), span(5_500, 8_000), span(9_000, 10_000)];
        let plan = plan_chunks(&spans, 12_000, &ChunkPlanSettings::default());
        assert_eq!(plan, vec![chunk(0, 3_000), chunk(5_500, 10_000)]);
    }

    #[test]
    fn a_two_minute_monologue_without_pauses_is_cut_evenly_within_the_maximum() {
        let spans = [span(0, 120_000)];
        let settings = ChunkPlanSettings::default();
        let plan = plan_chunks(&spans, 120_000, &settings);
        // ceil(120 / 28) = 5 equal pieces of 24 s, end to end.
        assert_eq!(
            plan,
            (0..5)
                .map(|i| chunk(i * 24_000, (i + 1) * 24_000))
                .collect::<Vec<_>>()
        );
        assert_plan_invariants(&spans, 120_000, &settings, &plan);
    }

    #[test]
    fn touching_spans_keep_the_detectors_cut() {
        // A detector cut 40 s of speech at a pause at 25 s: the spans touch there.
        let spans = [span(1_000, 25_000), span(25_000, 41_000)];
        let plan = plan_chunks(&spans, 45_000, &ChunkPlanSettings::default());
        assert_eq!(plan, vec![chunk(1_000, 25_000), chunk(25_000, 41_000)]);
    }

    #[test]
    fn unsorted_and_overlapping_spans_are_joined_and_clipped() {
        let spans = [span(8_000, 12_000), span(1_000, 3_000), span(2_000, 4_000)];
        let plan = plan_chunks(&spans, 10_000, &ChunkPlanSettings::default());
        assert_eq!(plan, vec![chunk(1_000, 4_000), chunk(8_000, 10_000)]);
    }

    #[test]
    fn short_chunks_are_widened_to_one_second_within_their_room() {
        let settings = ChunkPlanSettings::default();
        // In open space: evenly on both sides.
        assert_eq!(
            plan_chunks(&[span(10_000, 10_400)], 20_000, &settings),
            vec![chunk(9_700, 10_700)]
        );
        // At the start of the recording: all the widening goes after it.
        assert_eq!(
            plan_chunks(&[span(100, 500)], 20_000, &settings),
            vec![chunk(0, 1_000)]
        );
        // At the end of a recording shorter than a second: the whole recording.
        assert_eq!(
            plan_chunks(&[span(300, 600)], 800, &settings),
            vec![chunk(0, 800)]
        );
        // Never into a neighbouring chunk: a 300 ms span 2.2 s after a chunk ending at 5 s.
        let plan = plan_chunks(&[span(0, 5_000), span(7_200, 7_500)], 7_600, &settings);
        assert_eq!(plan, vec![chunk(0, 5_000), chunk(6_600, 7_600)]);
    }

    #[test]
    fn plans_for_many_irregular_inputs_keep_every_invariant() {
        // A small linear congruential generator: deterministic, no extra crate.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |bound: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % bound
        };
        for _ in 0..500 {
            let total_ms = 1 + next(300_000);
            let spans: Vec<SpeechSpan> = (0..next(40))
                .map(|_| {
                    let start = next(total_ms + 5_000);
                    span(start, start + 1 + next(70_000))
                })
                .collect();
            let settings = ChunkPlanSettings {
                max_chunk_ms: 1_000 + next(40_000),
                max_merge_gap_ms: next(5_000),
                min_chunk_ms: next(2_000),
            };
            let plan = plan_chunks(&spans, total_ms, &settings);
            assert_plan_invariants(&spans, total_ms, &settings, &plan);
        }
    }

    #[test]
    fn chunk_times_map_back_onto_the_recording() {
        let c = chunk(70_300, 90_000);
        assert_eq!(c.sample_range(16_000), 1_124_800..1_440_000);
        let word = |start_ms, end_ms, text: &str| TimedWord {
            start_ms,
            end_ms,
            text: text.to_owned(),
        };
        let segment = TranscriptSegment {
            // The end is past the chunk's 19.7 s: clamped to its end, as is the last word's.
            words: vec![word(1_200, 1_700, "hello"), word(1_900, 25_000, "there")],
            ..TranscriptSegment::new(1_200, 25_000, "hello there")
        };
        assert_eq!(
            c.to_recording(segment),
            TranscriptSegment {
                words: vec![word(71_500, 72_000, "hello"), word(72_200, 90_000, "there")],
                ..TranscriptSegment::new(71_500, 90_000, "hello there")
            }
        );
    }
}
