//! Word timings from whisper's token timestamps.
//!
//! whisper.cpp times every token it decodes (`token_timestamps`); a word is a run of text tokens
//! between white space, as the segment's text splits into words: a token whose text starts with
//! a space starts a new word, one without (the rest of a long word, punctuation) continues the
//! current word. Special tokens (timestamps, end of text, ...) are left out by the caller.

use lm_worker_protocol::stt::{Segment, Word};

/// One text token of a segment and its timing, in whisper's centiseconds from the start of the
/// audio (negative when whisper did not time it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedToken {
    /// The token's bytes (a token may hold part of a multi-byte character).
    pub bytes: Vec<u8>,
    /// Where the token starts.
    pub t0: i64,
    /// Where the token ends.
    pub t1: i64,
}

/// A word being gathered: its bytes and its first and last token's times.
struct Gathered {
    bytes: Vec<u8>,
    t0: i64,
    t1: i64,
}

/// The words of `segment` from its text `tokens`, in order: one per white-space separated word
/// of the segment's text. Times are in milliseconds, inside the segment, and never go back: each
/// word starts at or after the end of the one before and ends at or after its own start.
///
/// Empty when the tokens do not spell as many words as the text has (the timings would not
/// describe the text); when they do but spell a word differently (bytes split inside a
/// character), the text's spelling wins.
pub fn segment_words(segment: &Segment, tokens: impl IntoIterator<Item = TimedToken>) -> Vec<Word> {
    let mut gathered: Vec<Gathered> = Vec::new();
    for token in tokens {
        // Whether the next non-space byte continues the last word or starts a new one.
        let mut continues = !gathered.is_empty();
        for &byte in &token.bytes {
            if byte.is_ascii_whitespace() {
                continues = false;
                continue;
            }
            match gathered.last_mut() {
                Some(word) if continues => {
                    word.bytes.push(byte);
                    word.t1 = token.t1;
                }
                _ => gathered.push(Gathered {
                    bytes: vec![byte],
                    t0: token.t0,
                    t1: token.t1,
                }),
            }
            continues = true;
        }
    }

    let texts: Vec<&str> = segment.text.split_whitespace().collect();
    if texts.len() != gathered.len() {
        return Vec::new();
    }
    let ms = |t: i64| {
        u64::try_from(t)
            .unwrap_or(0)
            .saturating_mul(10)
            .clamp(segment.start_ms, segment.end_ms.max(segment.start_ms))
    };
    let mut previous_end = segment.start_ms;
    gathered
        .into_iter()
        .zip(texts)
        .map(|(word, text)| {
            let start_ms = ms(word.t0).max(previous_end);
            let end_ms = ms(word.t1).max(start_ms);
            previous_end = end_ms;
            Word {
                start_ms,
                end_ms,
                text: text.to_owned(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str, t0: i64, t1: i64) -> TimedToken {
        TimedToken {
            bytes: text.as_bytes().to_vec(),
            t0,
            t1,
        }
    }

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> Segment {
        Segment {
            start_ms,
            end_ms,
            text: text.to_owned(),
            words: Vec::new(),
        }
    }

    fn word(start_ms: u64, end_ms: u64, text: &str) -> Word {
        Word {
            start_ms,
            end_ms,
            text: text.to_owned(),
        }
    }

    #[test]
    fn sub_word_tokens_and_punctuation_join_the_word_they_follow() {
        let tokens = [
            token(" Mit", 100, 120),
            token("ochond", 120, 150),
            token("ria", 150, 170),
            token(" make", 175, 200),
            token(" energy", 200, 240),
            token(".", 240, 245),
        ];
        assert_eq!(
            segment_words(&segment(1_000, 2_500, "Mitochondria make energy."), tokens),
            [
                word(1_000, 1_700, "Mitochondria"),
                word(1_750, 2_000, "make"),
                word(2_000, 2_450, "energy."),
            ]
        );
    }

    #[test]
    fn times_stay_inside_the_segment_and_never_go_back() {
        let tokens = [
            token(" One", -1, 90),     // untimed start: the segment's start
            token(" two", 150, 140),   // ends before it starts
            token(" three", 130, 999), // starts before the last word ended, ends past the segment
        ];
        assert_eq!(
            segment_words(&segment(1_000, 3_000, "One two three"), tokens),
            [
                word(1_000, 1_000, "One"),
                word(1_500, 1_500, "two"),
                word(1_500, 3_000, "three"),
            ]
        );
    }

    #[test]
    fn a_spaced_punctuation_token_is_a_word_of_the_text() {
        let tokens = [
            token(" Cells", 0, 40),
            token(" -", 40, 50),
            token(" grow", 50, 90),
        ];
        let words = segment_words(&segment(0, 900, "Cells - grow"), tokens);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Cells", "-", "grow"]);
    }

    #[test]
    fn a_character_split_across_tokens_takes_the_text_spelling() {
        let e_acute = "é".as_bytes();
        let tokens = [
            TimedToken {
                bytes: [b" caf".as_slice(), &e_acute[..1]].concat(),
                t0: 0,
                t1: 30,
            },
            TimedToken {
                bytes: e_acute[1..].to_vec(),
                t0: 30,
                t1: 40,
            },
        ];
        assert_eq!(
            segment_words(&segment(0, 400, "café"), tokens),
            [word(0, 400, "café")]
        );
    }

    #[test]
    fn tokens_that_do_not_spell_the_text_give_no_words() {
        let tokens = [token(" Hello", 0, 50)];
        assert!(segment_words(&segment(0, 900, "Hello there"), tokens).is_empty());
        assert!(segment_words(&segment(0, 900, "Hello"), []).is_empty());
    }
}
