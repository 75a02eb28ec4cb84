#![allow(clippy::unwrap_used)] // Tests may unwrap.

use super::*;

/// `count` sentences of 9 words, numbered from `first` so every one is unique.
fn sentences(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("Sentence {n} says cells divide by mitosis every day."))
        .collect::<Vec<_>>()
        .join(" ")
}

fn page(number: u32, blocks: Vec<Block>) -> ExtractedPage {
    ExtractedPage {
        number,
        blocks,
        notice: None,
    }
}

fn paragraph(text: String) -> Block {
    Block::Paragraph(text)
}

fn heading(level: u8, text: &str) -> Block {
    Block::Heading {
        level,
        text: text.into(),
    }
}

/// The sentence numbers a chunk body holds, in order.
fn numbers(body: &str) -> Vec<usize> {
    body.split("Sentence ")
        .skip(1)
        .map(|rest| rest.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn long_pages_make_bounded_overlapping_chunks_that_cover_every_sentence() {
    // 8 paragraphs of 10 sentences (90 words each) on page 4.
    let blocks = (0..8).map(|p| paragraph(sentences(p * 10, 10))).collect();
    let chunks = DocumentChunker::new("Biology").chunk_page(&page(4, blocks));
    assert!(chunks.len() >= 3, "{} chunks", chunks.len());
    let mut seen = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk.page, 4);
        assert_eq!(chunk.text.context, "Biology");
        let words = word_count(&chunk.text.body);
        assert!(words <= MAX_WORDS, "chunk {index} has {words} words");
        if index + 1 < chunks.len() {
            assert!(
                words >= TARGET_WORDS,
                "chunk {index} closed early at {words} words"
            );
        }
        seen.extend(numbers(&chunk.text.body));
    }
    for pair in chunks.windows(2) {
        let (before, after) = (numbers(&pair[0].text.body), numbers(&pair[1].text.body));
        // The next chunk starts with the last sentences of this one: about 15 %.
        let overlap = after.iter().take_while(|n| before.contains(n)).count();
        assert!(overlap >= 1, "no overlap between {before:?} and {after:?}");
        assert!(
            overlap * 9 <= OVERLAP_WORDS,
            "overlap of {overlap} sentences"
        );
        assert_eq!(&before[before.len() - overlap..], &after[..overlap]);
    }
    seen.dedup();
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique,
        (0..80).collect::<Vec<_>>(),
        "every sentence is in a chunk"
    );
    // Paragraphs stay apart inside a chunk.
    assert!(chunks[0].text.body.contains(".\n\nSentence 10 "));
    assert_eq!(
        chunks[0].text.stored(),
        format!("Biology\n{}", chunks[0].text.body)
    );
}

#[test]
fn chunks_never_cross_a_page_and_short_pages_are_one_chunk() {
    let mut chunker = DocumentChunker::new("Notes");
    let first = chunker.chunk_page(&page(1, vec![paragraph(sentences(0, 3))]));
    let second = chunker.chunk_page(&page(2, vec![paragraph(sentences(3, 2))]));
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1);
    assert_eq!(numbers(&first[0].text.body), [0, 1, 2]);
    // No overlap from the page before.
    assert_eq!(numbers(&second[0].text.body), [3, 4]);
    assert_eq!(second[0].page, 2);
    assert!(chunker.chunk_page(&page(3, vec![])).is_empty());
}

#[test]
fn headings_start_chunks_and_give_their_path_as_context_across_pages() {
    let mut chunker = DocumentChunker::new("Biology 101");
    let chunks = chunker.chunk_page(&page(
        1,
        vec![
            paragraph(sentences(0, 2)),
            heading(1, "Cells"),
            paragraph(sentences(2, 2)),
            heading(2, "Membranes"),
            paragraph(sentences(4, 2)),
        ],
    ));
    let contexts: Vec<&str> = chunks.iter().map(|c| c.text.context.as_str()).collect();
    assert_eq!(
        contexts,
        [
            "Biology 101",
            "Biology 101 › Cells",
            "Biology 101 › Cells › Membranes"
        ]
    );
    assert_eq!(
        numbers(&chunks[1].text.body),
        [2, 3],
        "no overlap across a heading"
    );
    assert_eq!(numbers(&chunks[2].text.body), [4, 5]);

    let next = chunker.chunk_page(&page(
        2,
        vec![
            paragraph(sentences(6, 1)),
            heading(2, "Organelles"),
            paragraph(sentences(7, 1)),
            heading(1, "Genetics"),
            paragraph(sentences(8, 1)),
        ],
    ));
    let contexts: Vec<&str> = next.iter().map(|c| c.text.context.as_str()).collect();
    assert_eq!(
        contexts,
        [
            "Biology 101 › Cells › Membranes",
            "Biology 101 › Cells › Organelles",
            "Biology 101 › Genetics"
        ]
    );
}

#[test]
fn a_sentence_longer_than_a_chunk_is_cut_between_words() {
    let endless = "word ".repeat(1000);
    let chunks = DocumentChunker::new("Log").chunk_page(&page(1, vec![paragraph(endless)]));
    let total: usize = chunks.iter().map(|c| word_count(&c.text.body)).sum();
    assert!(chunks.iter().all(|c| word_count(&c.text.body) <= MAX_WORDS));
    assert!(total >= 1000, "every word is kept (with overlap): {total}");

    // Text without spaces (Japanese) is cut too.
    let japanese = "細胞は生命の基本単位である".repeat(1000);
    let chunks = DocumentChunker::new("日本語").chunk_page(&page(1, vec![paragraph(japanese)]));
    assert!(chunks.len() > 1);
    assert!(chunks.iter().all(|c| word_count(&c.text.body) <= MAX_WORDS));
}

fn segment(start_ms: u64, text: &str) -> TranscriptSegment {
    TranscriptSegment::new(start_ms, start_ms + 4_000, text)
}

#[test]
fn transcripts_group_segments_with_one_segment_of_overlap() {
    // 40 segments of 20 words, 4 s each.
    let segments: Vec<TranscriptSegment> = (0..40)
        .map(|n| segment(n * 4_000, &format!("segment{n} {}", "word ".repeat(19))))
        .collect();
    let chunks = chunk_transcript("Lecture 3: Cells", &segments);
    assert!(chunks.len() >= 3);
    let mut covered = 0;
    for (index, chunk) in chunks.iter().enumerate() {
        assert_eq!(chunk.text.context, "Lecture 3: Cells");
        let words = word_count(&chunk.text.body);
        assert!(words <= MAX_WORDS, "{words}");
        let first: u64 = chunk.text.body[7..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            chunk.start_ms,
            first * 4_000,
            "chunk {index} starts at its first segment"
        );
        let last = chunk.text.body.rsplit("segment").next().unwrap();
        let last: u64 = last.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(chunk.end_ms, last * 4_000 + 4_000, "and ends with its last");
        if index > 0 {
            assert_eq!(
                first, covered,
                "starts with the previous chunk's last segment"
            );
        }
        covered = last;
    }
    assert_eq!(covered, 39, "the last segment is in a chunk");
}

#[test]
fn transcript_edge_cases() {
    assert!(chunk_transcript("L", &[]).is_empty());
    let segments = [
        segment(0, "  "),
        segment(1_000, &"long ".repeat(400)),
        segment(9_000, "short end"),
    ];
    let chunks = chunk_transcript("L", &segments);
    // The long segment is a chunk alone; the empty one is skipped; no endless overlap.
    assert_eq!(chunks.len(), 2);
    assert_eq!((chunks[0].start_ms, chunks[0].end_ms), (1_000, 5_000));
    assert_eq!((chunks[1].start_ms, chunks[1].end_ms), (9_000, 13_000));
    assert_eq!(chunks[1].text.body, "short end");
}
