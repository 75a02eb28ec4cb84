//! Markdown, read whole (up to [`crate::MAX_IN_MEMORY_BYTES`]) as one page whose headings are
//! kept as structure.

use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::text::detect_encoding;
use crate::{
    Block, Context, DocumentError, DocumentKind, DocumentReader, ExtractedPage, PageSource,
    push_paragraph, read_whole,
};

/// Opens a Markdown file.
pub(crate) fn open(path: &Path, ctx: Context) -> Result<DocumentReader, DocumentError> {
    let bytes = read_whole(path, &ctx.file)?;
    let encoding = detect_encoding(&bytes, true, &ctx.file)?;
    let (text, _, _) = encoding.decode(&bytes);
    let blocks = blocks(&text);
    let title = blocks
        .iter()
        .find_map(|block| match block {
            Block::Heading { text, .. } => Some(text.clone()),
            Block::Paragraph(_) => None,
        })
        .unwrap_or(ctx.title);
    let page = ExtractedPage {
        number: 1,
        blocks,
        notice: None,
    };
    Ok(DocumentReader::new(
        DocumentKind::Markdown,
        title,
        ctx.file,
        Some(encoding.name()),
        PageSource::Ready(vec![page].into_iter()),
    ))
}

/// The headings and paragraphs of Markdown text. List items, table rows, code blocks and quotes
/// become paragraphs; markup and raw HTML are dropped.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current = String::new();
    let mut heading: Option<u8> = None;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                push_paragraph(&mut blocks, &mut current);
                heading = Some(heading_level(level));
            }
            Event::End(TagEnd::Heading(_)) => {
                let text = current.split_whitespace().collect::<Vec<_>>().join(" ");
                current.clear();
                if let Some(level) = heading.take()
                    && !text.is_empty()
                {
                    blocks.push(Block::Heading { level, text });
                }
            }
            Event::Start(
                Tag::Paragraph
                | Tag::Item
                | Tag::CodeBlock(_)
                | Tag::BlockQuote(_)
                | Tag::TableRow
                | Tag::TableHead
                | Tag::List(_),
            )
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::List(_),
            ) => push_paragraph(&mut blocks, &mut current),
            Event::End(TagEnd::TableCell) => current.push_str(" | "),
            Event::Text(text) | Event::Code(text) => current.push_str(&text),
            Event::SoftBreak => current.push(' '),
            Event::HardBreak => current.push('\n'),
            _ => {}
        }
    }
    push_paragraph(&mut blocks, &mut current);
    // Table rows end with the cell separator.
    for block in &mut blocks {
        if let Block::Paragraph(text) = block
            && let Some(trimmed) = text.strip_suffix(" |")
        {
            *text = trimmed.trim_end().to_owned();
        }
    }
    blocks
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_lists_and_tables() {
        let blocks = blocks(
            "# Cells\n\nThe *cell* is\nthe unit.\n\n## Parts\n\n- nucleus\n- membrane\n\n\
             | a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert_eq!(
            blocks,
            [
                Block::Heading {
                    level: 1,
                    text: "Cells".into()
                },
                Block::Paragraph("The cell is the unit.".into()),
                Block::Heading {
                    level: 2,
                    text: "Parts".into()
                },
                Block::Paragraph("nucleus".into()),
                Block::Paragraph("membrane".into()),
                Block::Paragraph("a | b".into()),
                Block::Paragraph("1 | 2".into()),
            ]
        );
    }
}
