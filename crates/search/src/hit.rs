//! What a search returns: the chunk, where it comes from, a highlighted snippet and its ranks.

use std::ops::Range;

use lm_core::store::{ChunkId, ClassId, SourceLocator, UnixMillis};

use crate::filter::SourceKind;

/// How many characters of a chunk a snippet shows at most.
pub const SNIPPET_CHARS: usize = 200;

/// A search result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SearchHit {
    /// The chunk.
    pub chunk_id: ChunkId,
    /// The class of its document or lecture.
    pub class_id: ClassId,
    /// Where the text comes from: the caller opens this PDF page or seeks the lecture here.
    pub locator: SourceLocator,
    /// Document or lecture.
    pub kind: SourceKind,
    /// When the chunk was made.
    pub created_at: UnixMillis,
    /// A piece of the chunk's text with the query's words marked.
    pub snippet: Snippet,
    /// The ranking score: BM25 for full-text, cosine similarity for semantic, the fused
    /// reciprocal-rank score for hybrid search. Higher is better; only comparable within one
    /// result list.
    pub score: f32,
    /// 1-based position in the full-text ranking, when the chunk is in it.
    pub text_rank: Option<usize>,
    /// 1-based position in the semantic (vector) ranking, when the chunk is in it.
    pub vector_rank: Option<usize>,
}

/// A short piece of a chunk's text with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snippet {
    /// The text shown (at most [`SNIPPET_CHARS`] characters of the chunk).
    pub text: String,
    /// Byte ranges of `text` to highlight, sorted and not overlapping.
    pub highlights: Vec<Range<usize>>,
    /// `text` HTML-escaped, with each highlight wrapped in `<b>…</b>`, ready for the UI.
    pub html: String,
}

impl Snippet {
    /// A snippet of `text` around the words tantivy matched (`found` must come from a generator
    /// that saw the whole text, see [`WHOLE_TEXT`]): the [`SNIPPET_CHARS`] window holding the
    /// most matches, starting a few words before the first. Without a matched word (a purely
    /// semantic hit) it shows the start of the chunk, so every hit has something to read.
    ///
    /// tantivy's own fragments are cut at fixed offsets from the start of the text, which often
    /// leaves the match as the last word with no context after it; hence this window.
    pub(crate) fn new(found: &tantivy::snippet::Snippet, text: &str) -> Self {
        let offset = found.fragment_range().start;
        let matches: Vec<Range<usize>> =
            tantivy::snippet::collapse_overlapped_ranges(found.highlighted())
                .into_iter()
                .map(|range| range.start + offset..range.end + offset)
                .filter(|range| text.get(range.clone()).is_some())
                .collect();
        let window = best_window(text, &matches);
        let highlights = matches
            .iter()
            .filter(|range| range.start >= window.start && range.end <= window.end)
            .map(|range| range.start - window.start..range.end - window.start)
            .collect();
        Self::with_highlights(text[window].to_owned(), highlights)
    }

    fn with_highlights(text: String, highlights: Vec<Range<usize>>) -> Self {
        let mut html = String::with_capacity(text.len() + 7 * highlights.len());
        let mut done = 0;
        for range in &highlights {
            escape_html_into(&text[done..range.start], &mut html);
            html.push_str("<b>");
            escape_html_into(&text[range.clone()], &mut html);
            html.push_str("</b>");
            done = range.end;
        }
        escape_html_into(&text[done..], &mut html);
        Self {
            text,
            highlights,
            html,
        }
    }
}

/// The `max_num_chars` to give tantivy's snippet generator so it reports every match.
pub(crate) const WHOLE_TEXT: usize = usize::MAX / 2;

/// How much context a snippet shows before its first match.
const LEAD_CHARS: usize = 40;

/// The byte range of `text` to show: at most [`SNIPPET_CHARS`] characters holding as many of
/// the (sorted, disjoint) `matches` as possible, cut at word boundaries, without outer spaces.
fn best_window(text: &str, matches: &[Range<usize>]) -> Range<usize> {
    let window_from = |start: usize| start..char_offset(text, start, SNIPPET_CHARS);
    let mut best = window_from(0);
    let mut best_count = 0;
    for (index, first) in matches.iter().enumerate() {
        let start = lead_start(text, first.start);
        let window = window_from(start);
        let count = matches[index..]
            .iter()
            .take_while(|range| range.end <= window.end)
            .count();
        if count > best_count {
            (best, best_count) = (window, count);
        }
    }
    let inside: Vec<&Range<usize>> = matches
        .iter()
        .filter(|range| range.start >= best.start && range.end <= best.end)
        .collect();
    let (must_start, must_end) = match (inside.first(), inside.last()) {
        (Some(first), Some(last)) => (first.start, last.end),
        _ => (best.start, best.start),
    };
    let mut start = best.start;
    // Drop the partial words the cuts landed in, if that does not drop a match.
    if start > 0
        && let Some(space) = text[start..must_start].find(char::is_whitespace)
    {
        start += space;
    }
    let mut end = best.end;
    if end < text.len()
        && let Some(space) = text[must_end..end].rfind(char::is_whitespace)
    {
        end = must_end + space;
    }
    let shown = &text[start..end];
    let trimmed_start = start + (shown.len() - shown.trim_start().len());
    let trimmed_end = end - (shown.len() - shown.trim_end().len());
    trimmed_start..trimmed_end.max(trimmed_start)
}

/// The byte offset `chars` characters after `from` (or the end of the text).
fn char_offset(text: &str, from: usize, chars: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(offset, _)| from + offset)
}

/// The byte offset [`LEAD_CHARS`] characters before `at` (or the start of the text).
fn lead_start(text: &str, at: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .nth(LEAD_CHARS - 1)
        .map_or(0, |(offset, _)| offset)
}

fn escape_html_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_text_and_marks_highlights() {
        let cells = 7..12;
        let snippet = Snippet::with_highlights("a<b> & cells".into(), vec![cells]);
        assert_eq!(snippet.html, "a&lt;b&gt; &amp; <b>cells</b>");
    }

    fn shown<'t>(text: &'t str, matches: &[Range<usize>]) -> &'t str {
        &text[best_window(text, matches)]
    }

    #[test]
    fn the_window_is_cut_at_word_boundaries() {
        assert_eq!(shown("  short  ", &[]), "short");
        let long = "word ".repeat(100);
        let start = shown(&long, &[]);
        assert!(
            start.starts_with("word") && start.ends_with("word"),
            "{start:?}"
        );
        assert!(start.chars().count() <= SNIPPET_CHARS);
        let accents = "é".repeat(300);
        assert_eq!(shown(&accents, &[]).chars().count(), SNIPPET_CHARS);
    }

    #[test]
    fn the_window_holds_the_most_matches_with_context_before_them() {
        let text = format!(
            "{} lone cell here {} cell and cell and cell {}",
            "x ".repeat(150),
            "y ".repeat(150),
            "z ".repeat(150)
        );
        let matches: Vec<Range<usize>> = text
            .match_indices("cell")
            .map(|(at, word)| at..at + word.len())
            .collect();
        let window = best_window(&text, &matches);
        let shown = &text[window.clone()];
        assert!(shown.contains("cell and cell and cell"), "{shown:?}");
        assert!(!shown.contains("lone"));
        assert!(
            shown.starts_with('y'),
            "context before the first match: {shown:?}"
        );
        assert!(window.start + 20 < matches[1].start);
    }
}
