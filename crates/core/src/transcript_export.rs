//! Exporting a lecture transcript as a file: plain text, Markdown, SubRip (`.srt`), WebVTT
//! (`.vtt`) or JSON.
//!
//! [`export`] renders the segments it is given, in the order given (a transcript from
//! [`Transcripts::list`] is in time order). What each format does with text that could break it:
//!
//! - every format but JSON trims each line of a segment's text and drops blank lines, since a
//!   blank line ends a paragraph (TXT, Markdown) or a cue (SRT, WebVTT); a segment left with no
//!   text at all is not written. JSON keeps the text exactly as stored;
//! - Markdown backslash-escapes the characters that would otherwise become formatting (`*`, `_`,
//!   `` ` ``, `[`, `<`, a leading `#` or `-`, ...), so the text reads back as written;
//! - WebVTT writes `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, so text such as `<b>` or
//!   `-->` is shown as written rather than read as markup or a cue timing;
//! - SubRip has no escapes: a `-->` in the text is written with a zero-width space between `--`
//!   and `>` (it looks the same, and no player takes it for a timing line); `<b>` and the like
//!   are written as they are, and players that know SubRip's tags will apply them;
//! - SubRip and WebVTT need a cue to end after it starts, so a zero-length segment is written
//!   lasting 1 ms. Hours are written with at least two digits and grow as needed (`100:00:00`).
//!
//! [`Transcripts::list`]: crate::store::Transcripts::list

use std::fmt::Write as _;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::store::{TimedWord, TranscriptSegmentRow};

/// A file format a transcript can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// Plain text, one paragraph per segment.
    Txt,
    /// Markdown with the title as a heading and a timestamp before each segment.
    Markdown,
    /// SubRip subtitles.
    Srt,
    /// WebVTT subtitles.
    WebVtt,
    /// JSON in the shape of [`TranscriptJson`].
    Json,
}

impl ExportFormat {
    /// Every format, in the order they are listed to users.
    pub const ALL: [Self; 5] = [
        Self::Txt,
        Self::Markdown,
        Self::Srt,
        Self::WebVtt,
        Self::Json,
    ];

    /// The usual file extension (without the dot), which is also the name [`FromStr`] accepts.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Txt => "txt",
            Self::Markdown => "md",
            Self::Srt => "srt",
            Self::WebVtt => "vtt",
            Self::Json => "json",
        }
    }

    /// The names [`FromStr`] accepts, for messages: "txt, md, srt, vtt, json".
    fn names() -> String {
        Self::ALL.map(Self::extension).join(", ")
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

/// A format name that [`ExportFormat::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown transcript export format {given:?}: choose one of {}",
    ExportFormat::names()
)]
pub struct UnknownExportFormat {
    /// The name that was given.
    pub given: String,
}

impl FromStr for ExportFormat {
    type Err = UnknownExportFormat;

    /// Reads a format from its extension (`txt`, `md`, `srt`, `vtt`, `json`), ignoring case and
    /// a leading dot.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let wanted = name.trim().trim_start_matches('.');
        Self::ALL
            .into_iter()
            .find(|format| format.extension().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownExportFormat {
                given: name.to_owned(),
            })
    }
}

/// The JSON export of a transcript. The shape is stable: fields are only ever added, and
/// [`TranscriptJson::VERSION`] changes if one ever changes meaning.
///
/// ```json
/// {
///   "version": 1,
///   "title": "Cells",
///   "segments": [
///     {
///       "start_ms": 0,
///       "end_ms": 2900,
///       "text": "Cells divide.",
///       "speaker": "teacher",
///       "words": [{ "start_ms": 0, "end_ms": 400, "text": "Cells" }, ...]
///     }
///   ]
/// }
/// ```
///
/// `title`, `speaker` and `words` are `null` when unknown; times are milliseconds from the start
/// of the recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptJson {
    /// The version of this shape, [`TranscriptJson::VERSION`].
    pub version: u32,
    /// The lecture's title, when given.
    pub title: Option<String>,
    /// The segments, in the order exported.
    pub segments: Vec<SegmentJson>,
}

impl TranscriptJson {
    /// The current version of the JSON shape.
    pub const VERSION: u32 = 1;
}

/// One segment of a [`TranscriptJson`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentJson {
    /// Start, in ms from the start of the recording.
    pub start_ms: u64,
    /// End, in ms from the start of the recording.
    pub end_ms: u64,
    /// The text, exactly as stored.
    pub text: String,
    /// Who spoke, when known.
    pub speaker: Option<String>,
    /// Word timings, when known (`null` when not).
    pub words: Option<Vec<TimedWord>>,
}

impl From<&TranscriptSegmentRow> for SegmentJson {
    fn from(row: &TranscriptSegmentRow) -> Self {
        Self {
            start_ms: row.segment.start_ms,
            end_ms: row.segment.end_ms,
            text: row.segment.text.clone(),
            speaker: row.speaker.clone(),
            words: Some(row.segment.words.clone()).filter(|words| !words.is_empty()),
        }
    }
}

/// Renders `segments` in `format`; `title` heads the TXT, Markdown, WebVTT and JSON exports (SRT
/// has no place for one). See the module documentation for how each format treats the text.
pub fn export(
    segments: &[TranscriptSegmentRow],
    format: ExportFormat,
    title: Option<&str>,
) -> String {
    match format {
        ExportFormat::Txt => txt(segments, title),
        ExportFormat::Markdown => markdown(segments, title),
        ExportFormat::Srt => srt(segments),
        ExportFormat::WebVtt => webvtt(segments, title),
        ExportFormat::Json => json(segments, title),
    }
}

fn txt(segments: &[TranscriptSegmentRow], title: Option<&str>) -> String {
    let mut paragraphs: Vec<String> = title.map(one_line).into_iter().collect();
    for row in segments {
        let text = text_lines(&row.segment.text).collect::<Vec<_>>().join("\n");
        if text.is_empty() {
            continue;
        }
        paragraphs.push(match &row.speaker {
            Some(speaker) => format!("{}: {text}", one_line(speaker)),
            None => text,
        });
    }
    finish_blocks(&paragraphs)
}

fn markdown(segments: &[TranscriptSegmentRow], title: Option<&str>) -> String {
    let mut blocks: Vec<String> = title
        .map(|title| format!("# {}", escape_markdown(&one_line(title))))
        .into_iter()
        .collect();
    // One timestamp style for the whole document, so the stamps line up.
    let with_hours = segments
        .iter()
        .any(|row| row.segment.start_ms >= MS_PER_HOUR);
    for row in segments {
        let lines: Vec<String> = text_lines(&row.segment.text).map(escape_markdown).collect();
        if lines.is_empty() {
            continue;
        }
        let mut block = format!("**[{}]**", clock(row.segment.start_ms, with_hours));
        if let Some(speaker) = &row.speaker {
            let _ = write!(block, " **{}:**", escape_markdown(&one_line(speaker)));
        }
        block.push(' ');
        block.push_str(&lines.join("\n"));
        blocks.push(block);
    }
    finish_blocks(&blocks)
}

fn srt(segments: &[TranscriptSegmentRow]) -> String {
    let cues: Vec<String> = cues(segments)
        .enumerate()
        .map(|(index, (start_ms, end_ms, lines))| {
            let text = lines
                .iter()
                .map(|line| line.replace("-->", SRT_ARROW))
                .collect::<Vec<_>>()
                .join("\n");
            format!(
                "{}\n{} --> {}\n{text}",
                index + 1,
                timestamp(start_ms, ','),
                timestamp(end_ms, ',')
            )
        })
        .collect();
    finish_blocks(&cues)
}

fn webvtt(segments: &[TranscriptSegmentRow], title: Option<&str>) -> String {
    let header = match title {
        // The header line may carry text after a space, but no "-->".
        Some(title) => format!("WEBVTT - {}", one_line(title).replace("-->", SRT_ARROW)),
        None => "WEBVTT".to_owned(),
    };
    let cues: Vec<String> = cues(segments)
        .map(|(start_ms, end_ms, lines)| {
            let text = lines
                .iter()
                .map(|line| escape_vtt(line))
                .collect::<Vec<_>>()
                .join("\n");
            format!(
                "{} --> {}\n{text}",
                timestamp(start_ms, '.'),
                timestamp(end_ms, '.')
            )
        })
        .collect();
    if cues.is_empty() {
        // The header and a blank line, which every WebVTT reader takes as a valid, empty file
        // (some reject the header alone).
        return format!("{header}\n\n");
    }
    finish_blocks(&[vec![header], cues].concat())
}

fn json(segments: &[TranscriptSegmentRow], title: Option<&str>) -> String {
    let document = TranscriptJson {
        version: TranscriptJson::VERSION,
        title: title.map(str::to_owned),
        segments: segments.iter().map(SegmentJson::from).collect(),
    };
    let mut text = serde_json::to_string_pretty(&document)
        .expect("a transcript serialises: it has only plain fields and string keys");
    text.push('\n');
    text
}

const MS_PER_HOUR: u64 = 3_600_000;

/// `-->` with a zero-width space before the `>`: looks the same, but is no cue-timing arrow.
const SRT_ARROW: &str = "--\u{200B}>";

/// The subtitle cues of `segments`: start, end (at least 1 ms after the start) and the text
/// lines; segments without text are left out.
fn cues(segments: &[TranscriptSegmentRow]) -> impl Iterator<Item = (u64, u64, Vec<&str>)> {
    segments.iter().filter_map(|row| {
        let lines: Vec<&str> = text_lines(&row.segment.text).collect();
        let start_ms = row.segment.start_ms;
        let end_ms = row.segment.end_ms.max(start_ms.saturating_add(1));
        (!lines.is_empty()).then_some((start_ms, end_ms, lines))
    })
}

/// The lines of `text`, trimmed, without blank ones.
fn text_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty())
}

/// `text` on one line: its lines trimmed and joined with spaces.
fn one_line(text: &str) -> String {
    text_lines(text).collect::<Vec<_>>().join(" ")
}

/// Blocks separated by blank lines, ending with a newline; empty when there are none.
fn finish_blocks(blocks: &[String]) -> String {
    if blocks.is_empty() {
        return String::new();
    }
    let mut text = blocks.join("\n\n");
    text.push('\n');
    text
}

/// `HH:MM:SS<separator>mmm`, as SRT (`,`) and WebVTT (`.`) write times.
fn timestamp(ms: u64, separator: char) -> String {
    let (hours, minutes, seconds) = hms(ms / 1000);
    format!(
        "{hours:02}:{minutes:02}:{seconds:02}{separator}{:03}",
        ms % 1000
    )
}

/// `MM:SS`, or `HH:MM:SS` when `with_hours`, for Markdown timestamps.
fn clock(ms: u64, with_hours: bool) -> String {
    let (hours, minutes, seconds) = hms(ms / 1000);
    if with_hours {
        format!("{hours:02}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes:02}:{seconds:02}")
    }
}

fn hms(total_seconds: u64) -> (u64, u64, u64) {
    (
        total_seconds / 3600,
        total_seconds / 60 % 60,
        total_seconds % 60,
    )
}

/// WebVTT cue text with `&`, `<` and `>` as character references.
fn escape_vtt(line: &str) -> String {
    let mut escaped = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// One line of Markdown text that renders as `line` itself: inline markup characters are
/// backslash-escaped anywhere, and block markers (heading, quote, list, setext underline) at
/// the start of the line.
fn escape_markdown(line: &str) -> String {
    let mut escaped = String::with_capacity(line.len() + 8);
    let block_marker_end = match line.find(|c: char| !c.is_ascii_digit()) {
        // "12." or "3)" would start an ordered list: escape the punctuation after the digits.
        Some(end) if end > 0 && line[end..].starts_with(['.', ')']) => Some(end),
        _ if line.starts_with(['#', '>', '-', '+', '=']) => Some(0),
        _ => None,
    };
    for (index, c) in line.char_indices() {
        if Some(index) == block_marker_end
            || matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '&' | '~')
        {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests;
