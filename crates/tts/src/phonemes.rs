//! Sentence splitting and clause-by-clause phonemisation.
//!
//! piper-rs phonemises a whole text in one call and loses the punctuation between clauses, so the
//! voice runs clauses together without pauses. Piper voices were trained on phonemes with the
//! punctuation kept ("həlˈoʊ, wˈɜːld."), so each clause is phonemised on its own here and its
//! punctuation put back.

use std::sync::{Mutex, PoisonError};

use lm_core::engines::EngineError;

/// espeak-ng keeps its state in globals and is not thread-safe: one phonemisation at a time per
/// process, whichever synthesizer asks.
static ESPEAK: Mutex<()> = Mutex::new(());

/// Characters that end a clause.
const CLAUSE_PUNCTUATION: &[char] = &['.', ',', ';', ':', '!', '?'];

/// Characters that end a sentence.
const SENTENCE_PUNCTUATION: &[char] = &['.', '!', '?'];

/// Whether the punctuation at byte `index` of `text` sits inside a word or number ("3.14",
/// "1,000", "e.g"), where it must not split anything.
fn is_inside_token(text: &str, index: usize, punctuation: char) -> bool {
    let before = text[..index].chars().next_back();
    let after = text[index + punctuation.len_utf8()..].chars().next();
    matches!((before, after), (Some(b), Some(a)) if b.is_alphanumeric() && a.is_alphanumeric())
}

/// Splits `text` into sentences, each trimmed and keeping its final punctuation. A sentence ends
/// at `.`, `!` or `?` (or a run of them, "?!", "...") before whitespace or the end of the text, and
/// at every line break.
pub fn split_sentences(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        let end = if c == '\n' {
            Some(index)
        } else if SENTENCE_PUNCTUATION.contains(&c) && !is_inside_token(text, index, c) {
            match chars.peek() {
                None => Some(text.len()),
                Some(&(_, next)) if next.is_whitespace() => Some(index + c.len_utf8()),
                _ => None,
            }
        } else {
            None
        };
        if let Some(end) = end {
            push_trimmed(&mut sentences, &text[start..end]);
            start = end;
        }
    }
    push_trimmed(&mut sentences, &text[start..]);
    sentences
}

fn push_trimmed(sentences: &mut Vec<String>, piece: &str) {
    let piece = piece.trim();
    if piece.chars().any(char::is_alphanumeric) {
        sentences.push(piece.to_owned());
    }
}

/// Splits a sentence into clauses: the text of each and the punctuation that ended it, if any.
fn split_clauses(sentence: &str) -> Vec<(&str, Option<char>)> {
    let mut clauses = Vec::new();
    let mut start = 0;
    for (index, c) in sentence.char_indices() {
        if CLAUSE_PUNCTUATION.contains(&c) && !is_inside_token(sentence, index, c) {
            clauses.push((&sentence[start..index], Some(c)));
            start = index + c.len_utf8();
        }
    }
    clauses.push((&sentence[start..], None));
    clauses
}

/// espeak-ng's IPA phonemes for `text`, one call at a time.
fn espeak_phonemes(text: &str, voice: &str) -> Result<String, EngineError> {
    let _espeak = ESPEAK.lock().unwrap_or_else(PoisonError::into_inner);
    espeak_rs::text_to_phonemes(text, voice, None)
        .map(|sentences| sentences.join(" "))
        .map_err(|e| EngineError::Other(format!("phonemisation failed: {e}")))
}

/// The phonemes of one sentence for a Piper voice whose espeak-ng voice is `voice`: each clause's
/// phonemes followed by its punctuation and a space. Empty when the sentence has nothing to say.
pub(crate) fn phonemize_sentence(sentence: &str, voice: &str) -> Result<String, EngineError> {
    let mut phonemes = String::new();
    for (clause, punctuation) in split_clauses(sentence) {
        if clause.chars().any(char::is_alphanumeric) {
            let spoken = espeak_phonemes(clause.trim(), voice)?;
            match punctuation {
                // espeak-ng ends each clause with punctuation of its own guessing; use the text's.
                Some(_) => {
                    phonemes.push_str(spoken.trim_end_matches(CLAUSE_PUNCTUATION).trim_end())
                }
                None => phonemes.push_str(spoken.trim_end()),
            }
        }
        // A run of punctuation ("?!", "...") keeps every mark, as espeak would.
        if let Some(mark) = punctuation.filter(|_| !phonemes.is_empty()) {
            if phonemes.ends_with(' ') {
                phonemes.pop();
            }
            phonemes.push(mark);
            phonemes.push(' ');
        }
    }
    Ok(phonemes.trim_end().to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_final_punctuation_and_line_breaks_only() {
        let text = "Pi is 3.14, roughly. Really?! Yes...\nNew line without stop\n\n  Last one";
        assert_eq!(
            split_sentences(text),
            [
                "Pi is 3.14, roughly.",
                "Really?!",
                "Yes...",
                "New line without stop",
                "Last one"
            ]
        );
    }

    #[test]
    fn text_without_words_has_no_sentences() {
        assert!(split_sentences("  ... !? \n").is_empty());
        assert!(split_sentences("").is_empty());
    }

    #[test]
    fn clauses_keep_their_punctuation_but_numbers_stay_whole() {
        assert_eq!(
            split_clauses("First, 1,000 apples; then: pears!"),
            [
                ("First", Some(',')),
                (" 1,000 apples", Some(';')),
                (" then", Some(':')),
                (" pears", Some('!')),
                ("", None)
            ]
        );
    }

    #[test]
    fn each_clause_is_phonemised_with_its_own_punctuation() {
        crate::espeak_data::use_parent(None).unwrap();
        let phonemes = phonemize_sentence("Hello, world; it works?!", "en-us").unwrap();
        eprintln!("{phonemes}");
        assert_eq!(phonemes.matches(',').count(), 1, "{phonemes}");
        assert!(
            phonemes.contains(", ") && phonemes.contains("; ") && phonemes.ends_with("?!"),
            "{phonemes}"
        );
        assert!(phonemes.contains("həlˈoʊ"), "{phonemes}");
    }
}
