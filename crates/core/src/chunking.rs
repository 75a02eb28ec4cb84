//! Cutting documents and transcripts into the chunks that search indexes and the assistant
//! quotes, each chunk knowing exactly where it came from.
//!
//! **Documents.** [`DocumentChunker`] takes a document's pages in order and makes chunks of about
//! [`TARGET_WORDS`] to [`MAX_WORDS`] words. A chunk never crosses a page, so its locator is one
//! page and a citation opens the right one. Cuts fall, in order of preference, at a heading (a new
//! section always starts a new chunk), at the end of a paragraph once the chunk is long enough,
//! or between sentences when a paragraph is too long; only a single sentence longer than
//! [`MAX_WORDS`] is cut between words. A chunk cut for length starts the next one with the last
//! sentences of the previous (up to [`OVERLAP_WORDS`], about 15 %), so a fact at a cut is
//! whole in at least one chunk. There is no overlap across headings or pages.
//!
//! **Transcripts.** [`chunk_transcript`] groups consecutive segments up to the same size; each
//! chunk after the first repeats the previous chunk's last segment, and spans from its first
//! segment's start to its last segment's end.
//!
//! **Context.** Each chunk carries a short context line kept apart from its body
//! ([`ChunkText`]): the document title and the path of headings above the chunk ("Biology 101 ›
//! Cells › Membranes"), or the lecture title. The stored chunk text is the context line, a
//! newline, then the body ([`ChunkText::stored`]), so that search and embeddings see which
//! document and section a passage belongs to even when the passage itself does not say. The
//! citation comes from the chunk's locator (page, or start/end ms), never from its text.

use unicode_segmentation::UnicodeSegmentation;

use crate::engines::TranscriptSegment;
use lm_documents::{Block, ExtractedPage};

/// A chunk cut for length is closed at a paragraph end once it has this many words.
pub const TARGET_WORDS: usize = 220;
/// No chunk is longer than this (counted as [`word_count`] does).
pub const MAX_WORDS: usize = 300;
/// At most this many words of a chunk cut for length open the next one (about 15 %).
pub const OVERLAP_WORDS: usize = 40;

/// Separates the parts of a heading path in a context line.
const CONTEXT_SEPARATOR: &str = " › ";

/// A chunk's text: its context line and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkText {
    /// Where the body sits: document title and heading path, or lecture title.
    pub context: String,
    /// The passage itself.
    pub body: String,
}

impl ChunkText {
    /// The text as stored in the chunks table and indexed: the context line, then the body.
    pub fn stored(&self) -> String {
        format!("{}\n{}", self.context, self.body)
    }
}

/// A chunk of one document page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageChunk {
    /// The 1-based page it comes from.
    pub page: u32,
    /// Its text.
    pub text: ChunkText,
}

/// A chunk of a lecture transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptChunk {
    /// Start of its first segment, in ms.
    pub start_ms: u64,
    /// End of its last segment, in ms.
    pub end_ms: u64,
    /// Its text.
    pub text: ChunkText,
}

/// Words in `text`, for chunk sizes. A run of letters without spaces (Chinese, Japanese) counts
/// one word per 12 characters or part of it, so text without spaces still gets sensible chunks.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .map(|word| word.chars().count().div_ceil(12).max(1))
        .sum()
}

/// A sentence (or a piece of an over-long one) waiting in the chunk being built.
#[derive(Debug, Clone)]
struct Unit {
    text: String,
    words: usize,
    /// Which paragraph of the page it belongs to, to join units with a space or a blank line.
    paragraph: usize,
}

/// Chunks a document page by page, remembering the headings of earlier pages so a chunk's
/// context names the section it is in.
#[derive(Debug, Clone)]
pub struct DocumentChunker {
    title: String,
    /// The open headings, outermost first, with their levels.
    headings: Vec<(u8, String)>,
}

impl DocumentChunker {
    /// A chunker for the document titled `title`.
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            headings: Vec::new(),
        }
    }

    /// The chunks of the next page, in reading order.
    pub fn chunk_page(&mut self, page: &ExtractedPage) -> Vec<PageChunk> {
        let mut builder = ChunkBuilder::default();
        let mut chunks = Vec::new();
        for (paragraph, block) in page.blocks.iter().enumerate() {
            match block {
                Block::Heading { level, text } => {
                    // A new section: close the chunk, without carrying overlap into it.
                    self.emit(&mut builder, page.number, false, &mut chunks);
                    builder.clear();
                    self.headings.retain(|(open, _)| open < level);
                    self.headings.push((*level, text.clone()));
                }
                Block::Paragraph(text) => {
                    for unit in units(text, paragraph) {
                        if builder.words + unit.words > MAX_WORDS {
                            self.emit(&mut builder, page.number, true, &mut chunks);
                            if builder.words + unit.words > MAX_WORDS {
                                builder.clear();
                            }
                        }
                        builder.push(unit);
                    }
                    if builder.words >= TARGET_WORDS {
                        self.emit(&mut builder, page.number, true, &mut chunks);
                    }
                }
            }
        }
        self.emit(&mut builder, page.number, false, &mut chunks);
        chunks
    }

    /// "Title › Heading › Subheading".
    fn context(&self) -> String {
        std::iter::once(self.title.as_str())
            .chain(self.headings.iter().map(|(_, text)| text.as_str()))
            .collect::<Vec<_>>()
            .join(CONTEXT_SEPARATOR)
    }

    /// Closes the chunk being built if it holds anything new, keeping its tail as the start of
    /// the next chunk when `overlap`.
    fn emit(
        &self,
        builder: &mut ChunkBuilder,
        page: u32,
        overlap: bool,
        chunks: &mut Vec<PageChunk>,
    ) {
        if builder.fresh_words == 0 {
            return;
        }
        chunks.push(PageChunk {
            page,
            text: ChunkText {
                context: self.context(),
                body: builder.body(),
            },
        });
        if overlap {
            builder.keep_tail();
        } else {
            builder.clear();
        }
    }
}

/// The units of a chunk in the making.
#[derive(Debug, Default)]
struct ChunkBuilder {
    units: Vec<Unit>,
    words: usize,
    /// Words added since the last chunk was emitted (overlap does not count).
    fresh_words: usize,
}

impl ChunkBuilder {
    fn push(&mut self, unit: Unit) {
        self.words += unit.words;
        self.fresh_words += unit.words;
        self.units.push(unit);
    }

    fn clear(&mut self) {
        *self = Self::default();
    }

    fn body(&self) -> String {
        let mut body = String::new();
        let mut last_paragraph = None;
        for unit in &self.units {
            if let Some(last) = last_paragraph {
                body.push_str(if last == unit.paragraph { " " } else { "\n\n" });
            }
            body.push_str(&unit.text);
            last_paragraph = Some(unit.paragraph);
        }
        body
    }

    /// Keeps the last whole sentences that fit in [`OVERLAP_WORDS`], or the last words of the
    /// last sentence when even that one is too long.
    fn keep_tail(&mut self) {
        let mut kept = Vec::new();
        let mut words = 0;
        for unit in self.units.iter().rev() {
            if words + unit.words > OVERLAP_WORDS {
                break;
            }
            words += unit.words;
            kept.push(unit.clone());
        }
        if kept.is_empty()
            && let Some(last) = self.units.last()
        {
            let tail: Vec<&str> = last.text.split_whitespace().collect();
            let start = tail.len().saturating_sub(OVERLAP_WORDS);
            let text = tail[start..].join(" ");
            words = word_count(&text);
            kept.push(Unit {
                text,
                words,
                paragraph: last.paragraph,
            });
        }
        kept.reverse();
        self.units = kept;
        self.words = words;
        self.fresh_words = 0;
    }
}

/// The sentences of a paragraph, each at most [`MAX_WORDS`] (longer ones cut between words).
fn units(paragraph_text: &str, paragraph: usize) -> Vec<Unit> {
    let mut units = Vec::new();
    for sentence in paragraph_text.unicode_sentences() {
        let sentence = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
        if sentence.is_empty() {
            continue;
        }
        let words = word_count(&sentence);
        if words <= MAX_WORDS {
            units.push(Unit {
                text: sentence,
                words,
                paragraph,
            });
            continue;
        }
        let mut piece = String::new();
        let mut piece_words = 0;
        for word in sentence.split_whitespace() {
            for part in split_long_word(word) {
                let part_words = word_count(part);
                if piece_words + part_words > MAX_WORDS && !piece.is_empty() {
                    units.push(Unit {
                        text: std::mem::take(&mut piece),
                        words: piece_words,
                        paragraph,
                    });
                    piece_words = 0;
                }
                if !piece.is_empty() {
                    piece.push(' ');
                }
                piece.push_str(part);
                piece_words += part_words;
            }
        }
        if !piece.is_empty() {
            units.push(Unit {
                text: piece,
                words: piece_words,
                paragraph,
            });
        }
    }
    units
}

/// A "word" too long for one chunk (text without spaces) in pieces of at most [`MAX_WORDS`].
fn split_long_word(word: &str) -> Vec<&str> {
    let max_chars = MAX_WORDS * 12;
    if word.chars().count() <= max_chars {
        return vec![word];
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    for (count, (index, _)) in word.char_indices().enumerate() {
        if count > 0 && count % max_chars == 0 {
            pieces.push(&word[start..index]);
            start = index;
        }
    }
    pieces.push(&word[start..]);
    pieces
}

/// Chunks a lecture's transcript: consecutive segments grouped up to [`TARGET_WORDS`] (never
/// past [`MAX_WORDS`] unless one segment alone is longer), each chunk after the first starting
/// with the previous chunk's last segment. Segments without text are skipped.
pub fn chunk_transcript(
    lecture_title: &str,
    segments: &[TranscriptSegment],
) -> Vec<TranscriptChunk> {
    let segments: Vec<&TranscriptSegment> = segments
        .iter()
        .filter(|segment| !segment.text.trim().is_empty())
        .collect();
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < segments.len() {
        let mut end = start;
        let mut words = 0;
        while end < segments.len() {
            let segment_words = word_count(&segments[end].text);
            if end > start && words + segment_words > MAX_WORDS {
                break;
            }
            words += segment_words;
            end += 1;
            if words >= TARGET_WORDS {
                break;
            }
        }
        let group = &segments[start..end];
        let body = group
            .iter()
            .map(|segment| segment.text.trim())
            .collect::<Vec<_>>()
            .join(" ");
        chunks.push(TranscriptChunk {
            start_ms: group.first().map_or(0, |segment| segment.start_ms),
            end_ms: group.last().map_or(0, |segment| segment.end_ms),
            text: ChunkText {
                context: lecture_title.to_owned(),
                body,
            },
        });
        if end >= segments.len() {
            break;
        }
        // Repeat the last segment, unless the chunk was that one segment alone.
        start = if end - start > 1 { end - 1 } else { end };
    }
    chunks
}

#[cfg(test)]
mod tests;
