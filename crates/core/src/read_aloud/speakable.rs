//! Text a voice can read: Markdown syntax, citation markers (`[1]`) and citation labels
//! (`(Cells @ 12:34)`, `(Biology notes p. 7)`) removed, every heading, paragraph and list item
//! made a sentence of its own.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use unicode_segmentation::UnicodeSegmentation;

use crate::store::{Note, QuestionKind, QuizQuestion};

/// The speakable text of Markdown (notes, chat answers), one block per line.
pub fn speakable_markdown(markdown: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut in_code_block = false;
    let end_line = |line: &mut String, lines: &mut Vec<String>| {
        let text = finish_sentence(&strip_citations(line));
        if !text.is_empty() {
            lines.push(text);
        }
        line.clear();
    };
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(text) | Event::Code(text) if !in_code_block => line.push_str(&text),
            Event::SoftBreak => line.push(' '),
            Event::Start(Tag::Item | Tag::Paragraph | Tag::Heading { .. })
            | Event::End(
                TagEnd::Item | TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::TableRow,
            )
            | Event::HardBreak => end_line(&mut line, &mut lines),
            Event::End(TagEnd::TableCell) => line.push_str(", "),
            _ => {}
        }
    }
    end_line(&mut line, &mut lines);
    lines.join("\n")
}

/// The speakable text of a note: its title, then its Markdown.
pub fn speakable_note(note: &Note) -> String {
    let body = speakable_markdown(&note.markdown);
    let title = finish_sentence(&note.title);
    // Generated notes start with their title as a heading; do not read it twice.
    if body.lines().next() == Some(title.as_str()) {
        body
    } else {
        format!("{title}\n{body}")
    }
}

/// The speakable text of a quiz question, with its choices (never its answer).
pub fn speakable_question(question: &QuizQuestion) -> String {
    let mut lines = vec![
        format!("Question {}.", question.position + 1),
        speakable_markdown(&question.prompt),
    ];
    match question.kind {
        QuestionKind::MultipleChoice => {
            for (number, choice) in (1..).zip(&question.choices) {
                lines.push(format!(
                    "Choice {number}: {}",
                    finish_sentence(&strip_citations(choice))
                ));
            }
        }
        QuestionKind::TrueFalse => lines.push("True or false?".to_owned()),
        QuestionKind::ShortAnswer => {}
    }
    lines.join("\n")
}

/// The speakable text of a flashcard: the front, and the back after "Answer:".
pub fn speakable_card(front: &str, back: &str) -> String {
    format!(
        "{}\nAnswer: {}",
        speakable_markdown(front),
        speakable_markdown(back)
    )
}

/// The sentences of speakable text, in order: each line split at sentence boundaries.
pub fn sentences(text: &str) -> Vec<String> {
    text.lines()
        .flat_map(UnicodeSegmentation::unicode_sentences)
        .map(str::trim)
        .filter(|sentence| sentence.chars().any(char::is_alphanumeric))
        .map(str::to_owned)
        .collect()
}

/// `text` on one line, ending with sentence punctuation (a list item or heading has none).
fn finish_sentence(text: &str) -> String {
    let mut text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // "word ." and "word ," left where a citation was removed.
    for (from, to) in [(" .", "."), (" ,", ","), (" ?", "?"), (" !", "!")] {
        text = text.replace(from, to);
    }
    let text = text.trim_end_matches([',', ';']).trim().to_owned();
    match text.chars().last() {
        None => text,
        Some(last) if last.is_alphanumeric() || matches!(last, ')' | '"' | '\'' | '*') => {
            format!("{text}.")
        }
        Some(_) => text,
    }
}

/// `text` without citation markers (`[1]`, `[1, 3]`) and citation labels in parentheses
/// (`(Cells @ 12:34)`, `(Cells @ 1:02:03)`, `(Biology notes p. 7)`).
pub fn strip_citations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(['[', '(']) {
        let (before, from_open) = rest.split_at(open);
        out.push_str(before);
        let close_char = if from_open.starts_with('[') { ']' } else { ')' };
        let Some(close) = from_open.find(close_char) else {
            out.push_str(from_open);
            return out;
        };
        let inside = &from_open[1..close];
        let is_citation = if close_char == ']' {
            is_marker(inside)
        } else {
            is_label(inside)
        };
        if is_citation {
            rest = &from_open[close + 1..];
        } else {
            out.push_str(&from_open[..1]);
            rest = &from_open[1..];
        }
    }
    out.push_str(rest);
    out
}

fn is_marker(inside: &str) -> bool {
    let parts: Vec<&str> = inside.split(',').map(str::trim).collect();
    !inside.trim().is_empty()
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
}

fn is_label(inside: &str) -> bool {
    let digits = |text: &str| !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    if let Some((_, clock)) = inside.rsplit_once(" @ ") {
        let parts: Vec<&str> = clock.split(':').collect();
        return (2..=3).contains(&parts.len()) && parts.iter().all(|part| digits(part));
    }
    inside
        .rsplit_once(" p. ")
        .is_some_and(|(title, page)| !title.trim().is_empty() && digits(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::QuestionId;

    #[test]
    fn notes_markdown_reads_as_plain_sentences() {
        let markdown = "# Notes: The cell\n\n## Key points\n\n\
            - Mitochondria make **ATP** from glucose (The cell @ 12:34) [1]\n\
            - The nucleus holds *DNA*. (The cell @ 1:02:03) [2]\n\n\
            ## Terms\n\n- **ATP**: the energy molecule (Biology notes p. 7) [3]\n\n\
            ## Questions to review\n\n1. What do mitochondria make? (The cell @ 12:34) [1]\n\n\
            See [the book](https://example.org) and `code`, and [citation needed].\n\n\
            ```\nlet x = 1;\n```\n";
        let spoken = speakable_markdown(markdown);
        assert_eq!(
            spoken,
            "Notes: The cell.\nKey points.\nMitochondria make ATP from glucose.\n\
             The nucleus holds DNA.\nTerms.\nATP: the energy molecule.\n\
             Questions to review.\nWhat do mitochondria make?\n\
             See the book and code, and [citation needed]."
        );
        assert!(!spoken.contains('[') || spoken.contains("[citation needed]"));
    }

    #[test]
    fn chat_answer_markers_and_parentheses_that_are_not_labels() {
        assert_eq!(
            speakable_markdown("Cells divide [1, 2]. Mitosis (cell division) has phases [3]."),
            "Cells divide. Mitosis (cell division) has phases."
        );
        assert_eq!(
            strip_citations("a (b @ noon) [x] (p. 7)"),
            "a (b @ noon) [x] (p. 7)"
        );
        assert_eq!(strip_citations("unclosed [1 and (2"), "unclosed [1 and (2");
    }

    #[test]
    fn sentences_split_lines_and_sentences_and_skip_empty_ones() {
        let text = "Key points.\nCells are small. They divide often!\n...\nWhy?";
        assert_eq!(
            sentences(text),
            [
                "Key points.",
                "Cells are small.",
                "They divide often!",
                "Why?"
            ]
        );
    }

    #[test]
    fn quiz_questions_and_cards_are_read_without_answers() {
        let question = QuizQuestion {
            id: QuestionId::from("q".to_owned()),
            position: 1,
            kind: QuestionKind::MultipleChoice,
            prompt: "Which molecule do *mitochondria* make?".into(),
            choices: vec!["ATP".into(), "DNA".into(), "RNA".into(), "Fat".into()],
            answer: "0".into(),
            explanation: "They make ATP.".into(),
            citations: Vec::new(),
        };
        assert_eq!(
            speakable_question(&question),
            "Question 2.\nWhich molecule do mitochondria make?\nChoice 1: ATP.\nChoice 2: DNA.\n\
             Choice 3: RNA.\nChoice 4: Fat."
        );
        assert_eq!(
            speakable_card("What is **ATP**?", "The energy molecule [2]"),
            "What is ATP?\nAnswer: The energy molecule."
        );
    }
}
