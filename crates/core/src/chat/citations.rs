//! Citation markers: `[n]` in an answer, mapped to the passages the prompt numbered.

use std::collections::BTreeSet;

use crate::store::{ChunkId, Citation, SourceLocator, Store, StoreError};

/// The citation of a chunk as marker `marker`, labelled with its lecture's or document's title.
pub fn cite(
    store: &Store,
    marker: u32,
    chunk_id: &ChunkId,
    locator: &SourceLocator,
) -> Result<Citation, StoreError> {
    let title = match locator {
        SourceLocator::DocumentPage { document_id, .. } => {
            store.documents().get(document_id)?.title
        }
        SourceLocator::LectureSpan { lecture_id, .. } => store.lectures().get(lecture_id)?.title,
    };
    Ok(Citation {
        marker,
        chunk_id: chunk_id.clone(),
        locator: locator.clone(),
        label: label(&title, locator),
    })
}

/// The marker numbers an answer uses, in order of first use, keeping only `1..=passages`.
///
/// Accepts `[1]`, `[1, 2]`, `[1][3]` and `[ 2 ]`; anything else in brackets (`[citation
/// needed]`, `[0]`, `[12]` when only 5 passages were given) is not a citation.
pub fn markers_in(answer: &str, passages: usize) -> Vec<u32> {
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    let mut rest = answer;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inside = &after[..close];
        let numbers: Option<Vec<u32>> = inside
            .split(',')
            .map(|part| part.trim().parse::<u32>().ok())
            .collect();
        for number in numbers.unwrap_or_default() {
            let in_range = number >= 1 && (number as usize) <= passages;
            if in_range && seen.insert(number) {
                order.push(number);
            }
        }
        rest = &after[close + 1..];
    }
    order
}

/// How a citation reads: `Cells @ 12:34` for a lecture moment, `Biology notes p. 7` for a page.
pub fn label(source_title: &str, locator: &SourceLocator) -> String {
    match locator {
        SourceLocator::DocumentPage { page, .. } => format!("{source_title} p. {page}"),
        SourceLocator::LectureSpan { start_ms, .. } => {
            format!("{source_title} @ {}", clock(*start_ms))
        }
    }
}

/// `m:ss` below an hour, `h:mm:ss` from an hour on.
pub fn clock(ms: u64) -> String {
    let seconds = ms / 1000;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// Words of `text` that carry meaning: lowercased, at least four letters, so "the", "and",
/// "is" do not make two texts look alike.
fn content_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 4)
        .map(str::to_lowercase)
        .collect()
}

/// The passages an answer without markers draws on: those sharing at least `min_shared`
/// content words with it, most shared first. Small models often answer correctly but forget
/// the `[n]` markers; the student still needs to see where the answer came from.
pub fn attribute_by_overlap(answer: &str, passages: &[&str], min_shared: usize) -> Vec<u32> {
    let answer_words = content_words(answer);
    let mut scored: Vec<(usize, u32)> = passages
        .iter()
        .zip(1_u32..)
        .map(|(passage, marker)| {
            let shared = content_words(passage).intersection(&answer_words).count();
            (shared, marker)
        })
        .filter(|(shared, _)| *shared >= min_shared)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, marker)| marker).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DocumentId, LectureId};

    #[test]
    fn markers_are_found_in_their_forms_and_bounded_by_the_passage_count() {
        let answer = "Cells divide [2]. Mitosis [1, 3] has phases [3][1]. See [citation needed], \
                      [0], [7] and [ 2 ].";
        assert_eq!(markers_in(answer, 5), [2, 1, 3]);
        assert_eq!(markers_in(answer, 2), [2, 1]);
        assert!(markers_in("no markers", 5).is_empty());
        assert!(markers_in("unclosed [1", 5).is_empty());
    }

    #[test]
    fn labels_name_the_page_or_the_moment() {
        let page = SourceLocator::DocumentPage {
            document_id: DocumentId::from("d".to_owned()),
            page: 7,
        };
        assert_eq!(label("Biology notes", &page), "Biology notes p. 7");
        let moment = SourceLocator::LectureSpan {
            lecture_id: LectureId::from("l".to_owned()),
            start_ms: 754_900,
            end_ms: 760_000,
        };
        assert_eq!(label("Cells", &moment), "Cells @ 12:34");
        assert_eq!(clock(3_723_000), "1:02:03");
        assert_eq!(clock(0), "0:00");
    }

    #[test]
    fn overlap_attribution_prefers_the_passage_the_answer_draws_on() {
        let passages = [
            "The mitochondria produce energy for the cell through respiration.",
            "Photosynthesis happens in chloroplasts using sunlight and water.",
        ];
        let answer = "Chloroplasts use sunlight for photosynthesis.";
        assert_eq!(attribute_by_overlap(answer, &passages, 2), [2]);
        assert!(attribute_by_overlap("I do not know.", &passages, 2).is_empty());
    }
}
