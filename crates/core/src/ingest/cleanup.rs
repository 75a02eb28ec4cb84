//! Cleans what Whisper returned for one chunk before it is stored: timestamps moved onto the
//! recording's timeline, and the typical inventions of a speech model removed.
//!
//! The rules, kept few and conservative so real speech is never dropped:
//!
//! 1. **Outside speech.** A segment that overlaps the detector's speech spans for less than
//!    [`MIN_SPEECH_SHARE`] of its length is text over silence, music or noise: dropped.
//! 2. **Non-speech markers.** A segment that is only a bracketed or starred tag (`[BLANK_AUDIO]`,
//!    `(music)`, `[Applause]`, `*laughs*`) or only music notes describes a sound, not words:
//!    dropped.
//! 3. **Sign-offs on noise.** Whisper's best-known inventions, [`NOISE_PHRASES`] ("Thank you.",
//!    "Thanks for watching!", "you"), are dropped when they stand alone and less than half of
//!    the segment is speech; said during speech, they stay.
//! 4. **Edges snapped to speech.** Whisper's segment times are coarse: a segment often starts
//!    where the previous one ended, pause included, or a second early. Its start moves to the
//!    start of the first speech span that covers a real part of it, and its end to the end of the
//!    last one, so a sentence's timestamp is where its speech begins.
//! 5. **Repetition loops.** The same run of 1 to [`MAX_LOOP_NGRAM`] words repeated more than
//!    [`MAX_REPEATS`] times in a row inside a segment is cut back to one occurrence; a segment
//!    of three or more words repeating the previous segment word for word is dropped.
//!
//! Word timings move with their segment onto the recording's timeline and stay inside its
//! snapped edges. They are dropped when they do not line up with the text, one per word, which
//! is what a cut-back loop leaves (see [`TranscriptSegment::set_text`]).

use crate::chunk_plan::TranscriptionChunk;
use crate::engines::{SpeechSpan, TranscriptSegment};

/// The least share of a segment that must be speech for it to be kept (rule 1).
pub const MIN_SPEECH_SHARE: f64 = 0.2;

/// Phrases Whisper invents on silence or noise (rule 3), compared without case and punctuation.
pub const NOISE_PHRASES: &[&str] = &[
    "thank you",
    "thanks for watching",
    "thank you for watching",
    "you",
    "bye",
];

/// The longest word run checked for repetition loops (rule 5).
pub const MAX_LOOP_NGRAM: usize = 8;

/// A run may repeat this many times in a row (a speaker's "no, no, no"); more is a loop.
pub const MAX_REPEATS: usize = 3;

/// `segments` (times relative to `chunk`, as the transcriber returned them) on the recording's
/// timeline, cleaned by the rules in the module documentation; `previous` is the text of the
/// last segment kept before this chunk, for rule 5 across chunks.
pub fn clean_chunk_segments(
    chunk: &TranscriptionChunk,
    segments: Vec<TranscriptSegment>,
    speech: &[SpeechSpan],
    previous: Option<&str>,
) -> Vec<TranscriptSegment> {
    let mut kept: Vec<TranscriptSegment> = Vec::new();
    let mut last_words = previous.map(normalized_words).unwrap_or_default();
    for segment in segments {
        let mut segment = chunk.to_recording(segment);
        let text = collapse_loops(segment.text.trim());
        segment.set_text(&text);
        if !segment.words_line_up() {
            segment.words.clear();
        }
        if segment.text.is_empty() || is_sound_tag(&segment.text) {
            continue;
        }
        let share = speech_share(&segment, speech);
        if share < MIN_SPEECH_SHARE {
            continue;
        }
        snap_to_speech(&mut segment, speech);
        segment.clamp_words();
        let words = normalized_words(&segment.text);
        if share < 0.5 && NOISE_PHRASES.contains(&words.join(" ").as_str()) {
            continue;
        }
        if words.len() >= 3 && words == last_words {
            continue;
        }
        last_words = words;
        kept.push(segment);
    }
    kept
}

/// The share (0 to 1) of `segment` that lies inside `speech`. A zero-length segment counts as
/// speech when its instant is inside a span.
fn speech_share(segment: &TranscriptSegment, speech: &[SpeechSpan]) -> f64 {
    let length = segment.end_ms.saturating_sub(segment.start_ms);
    if length == 0 {
        let inside = speech
            .iter()
            .any(|span| (span.start_ms..=span.end_ms).contains(&segment.start_ms));
        return if inside { 1.0 } else { 0.0 };
    }
    let overlap: u64 = speech
        .iter()
        .map(|span| {
            let start = span.start_ms.max(segment.start_ms);
            let end = span.end_ms.min(segment.end_ms);
            end.saturating_sub(start)
        })
        .sum();
    overlap as f64 / length as f64
}

/// Moves a segment's edges onto the speech it holds (rule 4): its start to the start of the
/// first speech span that covers a real part of it (at least a second, or a quarter of a shorter
/// segment), its end to the end of the last such span. A pause, or the last moments of the
/// previous sentence, before that span are thus not part of the segment. A segment with no such
/// span is left as it is.
fn snap_to_speech(segment: &mut TranscriptSegment, speech: &[SpeechSpan]) {
    let length = segment.end_ms.saturating_sub(segment.start_ms);
    let enough = (length / 4).clamp(1, 1_000);
    let covering: Vec<&SpeechSpan> = speech
        .iter()
        .filter(|span| {
            let overlap = span
                .end_ms
                .min(segment.end_ms)
                .saturating_sub(span.start_ms.max(segment.start_ms));
            overlap >= enough
        })
        .collect();
    if let (Some(first), Some(last)) = (covering.first(), covering.last()) {
        segment.start_ms = segment.start_ms.max(first.start_ms);
        segment.end_ms = segment.end_ms.min(last.end_ms).max(segment.start_ms);
    }
}

/// Whether `text` is only a description of a sound: bracketed, parenthesised, starred or music
/// notes, e.g. `[BLANK_AUDIO]`, `(music)`, `* laughs *`, `♪♪`.
fn is_sound_tag(text: &str) -> bool {
    let text = text.trim();
    let enclosed = |open: char, close: char| {
        text.starts_with(open)
            && text.ends_with(close)
            && text[1..].find(close) == Some(text.len() - 2)
    };
    enclosed('[', ']')
        || enclosed('(', ')')
        || (text.len() > 1 && text.starts_with('*') && text.ends_with('*'))
        || text
            .chars()
            .all(|c| matches!(c, '♪' | '♫' | '♬' | '#' | '-' | ' '))
}

/// Lowercase words without punctuation, for comparisons.
fn normalized_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect()
}

/// `text` with every run of words repeated more than [`MAX_REPEATS`] times in a row cut back to
/// one occurrence (compared without case and punctuation; the first occurrence's spelling stays).
fn collapse_loops(text: &str) -> String {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    let key = |word: &str| normalized_words(word).join("");
    let mut n = 1;
    while n <= MAX_LOOP_NGRAM {
        let mut changed = false;
        let mut start = 0;
        while start + n * (MAX_REPEATS + 1) <= words.len() {
            let same = |a: usize, b: usize| (0..n).all(|k| key(words[a + k]) == key(words[b + k]));
            let mut repeats = 1;
            while start + (repeats + 1) * n <= words.len() && same(start, start + repeats * n) {
                repeats += 1;
            }
            if repeats > MAX_REPEATS {
                words.drain(start + n..start + repeats * n);
                changed = true;
            }
            start += 1;
        }
        // A shorter loop cut may reveal a longer one; start over from single words then.
        n = if changed { 1 } else { n + 1 };
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::TimedWord;

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> TranscriptSegment {
        TranscriptSegment::new(start_ms, end_ms, text)
    }

    /// `segment` with one word timing per word, `at` (start, end) in chunk time.
    fn timed(segment: TranscriptSegment, at: &[(u64, u64)]) -> TranscriptSegment {
        let words = segment
            .text
            .split_whitespace()
            .zip(at)
            .map(|(text, &(start_ms, end_ms))| TimedWord {
                start_ms,
                end_ms,
                text: text.to_owned(),
            })
            .collect();
        TranscriptSegment { words, ..segment }
    }

    const CHUNK: TranscriptionChunk = TranscriptionChunk {
        start_ms: 60_000,
        end_ms: 80_000,
    };

    fn speech() -> Vec<SpeechSpan> {
        vec![SpeechSpan {
            start_ms: 60_000,
            end_ms: 70_000,
        }]
    }

    #[test]
    fn times_move_onto_the_recording_and_speech_is_kept() {
        let cleaned = clean_chunk_segments(
            &CHUNK,
            vec![segment(500, 4_000, " Cells divide. ")],
            &speech(),
            None,
        );
        assert_eq!(cleaned, vec![segment(60_500, 64_000, "Cells divide.")]);
    }

    #[test]
    fn text_over_silence_tags_and_lone_sign_offs_are_dropped() {
        let cleaned = clean_chunk_segments(
            &CHUNK,
            vec![
                segment(0, 3_000, "[BLANK_AUDIO]"),
                segment(3_000, 5_000, "(music)"),
                segment(5_000, 9_000, "Thank you."),
                segment(9_000, 13_000, "Thank you."),
                segment(8_000, 14_000, "The mitochondria make energy."),
            ],
            &speech(),
            None,
        );
        // "Thank you." during speech stays; the same over mostly silence goes; the last is
        // two-thirds silence (a third is speech, above the 20 % floor) and stays.
        let texts: Vec<_> = cleaned.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["Thank you.", "The mitochondria make energy."]);
        let silent = clean_chunk_segments(
            &CHUNK,
            vec![segment(11_000, 19_000, "Plants need light.")],
            &speech(),
            None,
        );
        assert!(silent.is_empty(), "{silent:?}");
    }

    #[test]
    fn repetition_loops_are_cut_back_but_short_repeats_stay() {
        assert_eq!(
            collapse_loops("no, no, no, that is wrong"),
            "no, no, no, that is wrong"
        );
        assert_eq!(
            collapse_loops(
                "and the cell and the cell and the cell and the cell and the cell divides"
            ),
            "and the cell divides"
        );
        assert_eq!(collapse_loops("so so so so so so so"), "so");
        let repeated = "The cell membrane is thin.";
        let cleaned = clean_chunk_segments(
            &CHUNK,
            vec![
                segment(0, 2_000, repeated),
                segment(2_000, 4_000, repeated),
                segment(4_000, 6_000, "Yes."),
                segment(6_000, 8_000, "Yes."),
            ],
            &speech(),
            Some("Something else entirely."),
        );
        let texts: Vec<_> = cleaned.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, [repeated, "Yes.", "Yes."]);
    }

    #[test]
    fn edges_in_pauses_move_onto_the_speech() {
        let spans = [
            SpeechSpan {
                start_ms: 60_000,
                end_ms: 63_000,
            },
            SpeechSpan {
                start_ms: 64_500,
                end_ms: 68_000,
            },
        ];
        // Starts in the pause after the first span, ends after the second one.
        let cleaned = clean_chunk_segments(
            &CHUNK,
            vec![segment(3_200, 9_000, "The second sentence.")],
            &spans,
            None,
        );
        assert_eq!(
            cleaned,
            vec![segment(64_500, 68_000, "The second sentence.")]
        );
        // A start in the last moments of the previous span moves to the next one.
        let early =
            clean_chunk_segments(&CHUNK, vec![segment(2_800, 8_000, "Second.")], &spans, None);
        assert_eq!(early, vec![segment(64_500, 68_000, "Second.")]);
        // Edges inside speech stay.
        let kept = clean_chunk_segments(&CHUNK, vec![segment(100, 2_000, "First.")], &spans, None);
        assert_eq!(kept, vec![segment(60_100, 62_000, "First.")]);
    }

    #[test]
    fn word_timings_move_with_their_segment_and_go_when_the_text_changes() {
        let spans = [SpeechSpan {
            start_ms: 61_000,
            end_ms: 70_000,
        }];
        // Shifted by the chunk's start, trimmed text, a start snapped onto the speech: the words
        // follow, the first one inside the new edge.
        let cleaned = clean_chunk_segments(
            &CHUNK,
            vec![timed(
                segment(500, 4_000, " Cells divide. "),
                &[(500, 1_800), (1_900, 4_000)],
            )],
            &spans,
            None,
        );
        assert_eq!(
            cleaned,
            vec![timed(
                segment(61_000, 64_000, "Cells divide."),
                &[(61_000, 61_800), (61_900, 64_000)],
            )]
        );

        // A cut-back loop leaves fewer words than timings: the timings go.
        let looped = "so so so so so so cells divide";
        let at: Vec<(u64, u64)> = (0..8).map(|i| (1_000 + i * 300, 1_250 + i * 300)).collect();
        let cleaned = clean_chunk_segments(
            &CHUNK,
            vec![timed(segment(1_000, 4_000, looped), &at)],
            &spans,
            None,
        );
        assert_eq!(cleaned, vec![segment(61_000, 64_000, "so cells divide")]);

        // Timings that do not line up with the text are not kept either.
        let cleaned = clean_chunk_segments(
            &CHUNK,
            vec![timed(
                segment(1_000, 4_000, "Cells divide."),
                &[(1_000, 2_000)],
            )],
            &spans,
            None,
        );
        assert_eq!(cleaned, vec![segment(61_000, 64_000, "Cells divide.")]);
    }

    #[test]
    fn sound_tags_are_recognised_exactly() {
        for tag in [
            "[BLANK_AUDIO]",
            "(music)",
            "[ Applause ]",
            "*laughs*",
            "♪♪",
            "♪ ♪",
        ] {
            assert!(is_sound_tag(tag), "{tag}");
        }
        for text in ["(a) cells divide", "[1] and [2]", "Cells (plural) divide."] {
            assert!(!is_sound_tag(text), "{text}");
        }
    }
}
