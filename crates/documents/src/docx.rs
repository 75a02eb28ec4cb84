//! Word documents (DOCX: a ZIP of XML parts): paragraphs, headings by style, tables as rows of
//! text, and pages at explicit page breaks (a DOCX holds no page layout, so Word's own page
//! numbers are only known where the author broke pages).

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;
use zip::result::ZipError;

use crate::{
    Block, Context, DocumentError, DocumentKind, DocumentReader, ExtractedPage,
    MAX_IN_MEMORY_BYTES, PageSource, push_paragraph,
};

const FORMAT: &str = "a Word document";

/// Opens a DOCX file (already found to be a ZIP archive).
pub(crate) fn open(file: File, ctx: Context) -> Result<DocumentReader, DocumentError> {
    let damaged = |reason: String| DocumentError::Damaged {
        file: ctx.file.clone(),
        format: FORMAT,
        reason,
    };
    let mut archive = ZipArchive::new(file).map_err(|error| {
        damaged(format!(
            "the file is damaged or incomplete (not a readable ZIP archive: {error})"
        ))
    })?;
    let document = match read_part(&mut archive, "word/document.xml", &ctx.file)? {
        Some(xml) => xml,
        None => {
            return Err(DocumentError::Unsupported {
                file: ctx.file,
                what: "a ZIP archive but not a Word document (it has no word/document.xml)",
                hint: "",
            });
        }
    };
    let styles = match read_part(&mut archive, "word/styles.xml", &ctx.file)? {
        Some(xml) => heading_styles(&xml),
        None => HashMap::new(),
    };
    let metadata_title =
        read_part(&mut archive, "docProps/core.xml", &ctx.file)?.and_then(|xml| core_title(&xml));
    let pages = pages(&document, &styles).map_err(|error| {
        damaged(format!(
            "its text (word/document.xml) is not valid XML: {error}"
        ))
    })?;
    let first_heading = pages
        .iter()
        .flat_map(|page| &page.blocks)
        .find_map(|block| match block {
            Block::Heading { text, .. } => Some(text.clone()),
            Block::Paragraph(_) => None,
        });
    let title = metadata_title.or(first_heading).unwrap_or(ctx.title);
    Ok(DocumentReader::new(
        DocumentKind::Docx,
        title,
        ctx.file,
        None,
        PageSource::Ready(pages.into_iter()),
    ))
}

/// One part of the archive as text, `None` when the archive has no such part.
fn read_part(
    archive: &mut ZipArchive<File>,
    name: &str,
    file: &str,
) -> Result<Option<String>, DocumentError> {
    let damaged = |reason: String| DocumentError::Damaged {
        file: file.to_owned(),
        format: FORMAT,
        reason,
    };
    let mut part = match archive.by_name(name) {
        Ok(part) => part,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(error) => return Err(damaged(format!("cannot open its part {name}: {error}"))),
    };
    if part.size() > MAX_IN_MEMORY_BYTES {
        return Err(DocumentError::TooLarge {
            file: file.to_owned(),
            size: part.size(),
            limit: MAX_IN_MEMORY_BYTES,
        });
    }
    let mut bytes = Vec::new();
    // The limit also guards against a part that inflates to more than its header claims.
    part.by_ref()
        .take(MAX_IN_MEMORY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|error| damaged(format!("its part {name} is damaged: {error}")))?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The value of the attribute whose local name is `name` (`w:val` -> `val`).
fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|attribute| attribute.key.local_name().as_ref() == name)
        .and_then(|attribute| {
            attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|value| value.into_owned())
        })
}

fn local_name(element: &BytesStart<'_>) -> String {
    element.local_name().as_ref().to_owned()
}

/// The heading level a style name implies: "heading 2" -> 2, "Title" -> 1.
fn level_from_style_name(name: &str) -> Option<u8> {
    let name = name.to_ascii_lowercase().replace(' ', "");
    if name == "title" {
        return Some(1);
    }
    let level: u8 = name.strip_prefix("heading")?.parse().ok()?;
    (1..=9).contains(&level).then_some(level)
}

/// Style id -> heading level, from styles.xml (by name, or by outline level).
fn heading_styles(xml: &str) -> HashMap<String, u8> {
    let mut levels = HashMap::new();
    let mut reader = Reader::from_str(xml);
    let mut style_id: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) if local_name(&element) == "style" => {
                style_id = attribute(&element, "styleId");
            }
            Ok(Event::Start(element) | Event::Empty(element)) => {
                let Some(id) = &style_id else { continue };
                let level = match local_name(&element).as_str() {
                    "name" => attribute(&element, "val").and_then(|n| level_from_style_name(&n)),
                    "outlineLvl" => outline_level(&element),
                    _ => None,
                };
                if let Some(level) = level {
                    levels.insert(id.clone(), level);
                }
            }
            Ok(Event::End(element)) if element.local_name().as_ref() == "style" => {
                style_id = None;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    levels
}

/// `<w:outlineLvl w:val="0"/>` is a level-1 heading; 9 means body text.
fn outline_level(element: &BytesStart<'_>) -> Option<u8> {
    let value: u8 = attribute(element, "val")?.parse().ok()?;
    (value < 9).then_some(value + 1)
}

/// The `dc:title` of docProps/core.xml, if set.
fn core_title(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut in_title = false;
    let mut title = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) => in_title = element.local_name().as_ref() == "title",
            Ok(Event::End(_)) => in_title = false,
            Ok(Event::Text(text)) if in_title => title.push_str(&text.xml10_content()),
            Ok(Event::GeneralRef(reference)) if in_title => {
                push_reference(&mut title, &reference);
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

/// Appends the character an entity reference (`&amp;`, `&#233;`) stands for.
fn push_reference(text: &mut String, reference: &quick_xml::events::BytesRef<'_>) {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        text.push(c);
    } else if let Some(resolved) = resolve_predefined_entity(&reference.xml10_content()) {
        text.push_str(resolved);
    }
}

/// Collects pages of blocks while walking document.xml.
#[derive(Default)]
struct PageBuilder {
    pages: Vec<ExtractedPage>,
    blocks: Vec<Block>,
    paragraph: String,
    heading: Option<u8>,
    in_run: bool,
    in_text: bool,
    break_after_paragraph: bool,
    table_depth: u32,
    cell: String,
    row: Vec<String>,
}

impl PageBuilder {
    fn end_page(&mut self) {
        let number = u32::try_from(self.pages.len() + 1).unwrap_or(u32::MAX);
        self.pages.push(ExtractedPage {
            number,
            blocks: std::mem::take(&mut self.blocks),
            notice: None,
        });
    }

    fn end_paragraph(&mut self) {
        let text = std::mem::take(&mut self.paragraph);
        if self.table_depth > 0 {
            if !self.cell.is_empty() {
                self.cell.push('\n');
            }
            self.cell.push_str(text.trim());
        } else if let Some(level) = self.heading.take() {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                self.blocks.push(Block::Heading { level, text });
            }
        } else {
            push_paragraph(&mut self.blocks, &mut text.clone());
        }
        self.heading = None;
        if std::mem::take(&mut self.break_after_paragraph) {
            self.end_page();
        }
    }

    fn end_row(&mut self) {
        let cells: Vec<String> = std::mem::take(&mut self.row)
            .into_iter()
            .filter(|cell| !cell.is_empty())
            .collect();
        if !cells.is_empty() {
            self.blocks.push(Block::Paragraph(cells.join(" | ")));
        }
    }
}

/// The pages of document.xml.
fn pages(xml: &str, styles: &HashMap<String, u8>) -> Result<Vec<ExtractedPage>, quick_xml::Error> {
    let mut reader = Reader::from_str(xml);
    let mut builder = PageBuilder::default();
    loop {
        let event = reader.read_event()?;
        match event {
            Event::Start(element) => match local_name(&element).as_str() {
                "p" => {
                    builder.paragraph.clear();
                    builder.heading = None;
                }
                "r" => builder.in_run = true,
                "t" => builder.in_text = true,
                "tbl" => builder.table_depth += 1,
                "tc" if builder.table_depth == 1 => builder.cell.clear(),
                name => paragraph_property(&mut builder, name, &element, styles),
            },
            Event::Empty(element) => match local_name(&element).as_str() {
                "tab" if builder.in_run => builder.paragraph.push('\t'),
                "cr" if builder.in_run => builder.paragraph.push('\n'),
                "br" if builder.in_run => {
                    if attribute(&element, "type").as_deref() == Some("page") {
                        builder.break_after_paragraph = true;
                    } else {
                        builder.paragraph.push('\n');
                    }
                }
                name => paragraph_property(&mut builder, name, &element, styles),
            },
            Event::End(element) => match element.local_name().as_ref() {
                "p" => builder.end_paragraph(),
                "r" => builder.in_run = false,
                "t" => builder.in_text = false,
                "tbl" => builder.table_depth = builder.table_depth.saturating_sub(1),
                "tc" if builder.table_depth == 1 => {
                    let cell = std::mem::take(&mut builder.cell);
                    builder.row.push(cell.trim().to_owned());
                }
                "tr" if builder.table_depth == 1 => builder.end_row(),
                _ => {}
            },
            Event::Text(text) if builder.in_text => {
                builder.paragraph.push_str(&text.xml10_content());
            }
            Event::GeneralRef(reference) if builder.in_text => {
                push_reference(&mut builder.paragraph, &reference);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !builder.blocks.is_empty() || builder.pages.is_empty() {
        builder.end_page();
    }
    Ok(builder.pages)
}

/// Paragraph properties that matter: its style (heading or not), outline level, and a page break
/// before it.
fn paragraph_property(
    builder: &mut PageBuilder,
    name: &str,
    element: &BytesStart<'_>,
    styles: &HashMap<String, u8>,
) {
    match name {
        "pStyle" => {
            builder.heading = attribute(element, "val").and_then(|id| {
                styles
                    .get(&id)
                    .copied()
                    .or_else(|| level_from_style_name(&id))
            });
        }
        "outlineLvl" => {
            if let Some(level) = outline_level(element) {
                builder.heading = Some(level);
            }
        }
        "pageBreakBefore" => {
            let off = matches!(attribute(element, "val").as_deref(), Some("0" | "false"));
            if !off && !builder.blocks.is_empty() {
                builder.end_page();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    #[test]
    fn style_names_give_heading_levels() {
        assert_eq!(level_from_style_name("heading 2"), Some(2));
        assert_eq!(level_from_style_name("Heading1"), Some(1));
        assert_eq!(level_from_style_name("Title"), Some(1));
        assert_eq!(level_from_style_name("Normal"), None);
        assert_eq!(level_from_style_name("heading 12"), None);
    }
}
