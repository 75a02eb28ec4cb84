use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use subtp::srt::{SrtTimestamp, SubRip};
use subtp::vtt::{VttBlock, VttTimestamp, WebVtt};

use super::*;
use crate::engines::TranscriptSegment;
use crate::store::{LectureId, SegmentId};

fn row(start_ms: u64, end_ms: u64, text: &str) -> TranscriptSegmentRow {
    TranscriptSegmentRow {
        id: SegmentId::from(format!("segment-{start_ms}")),
        lecture_id: LectureId::from("lecture".to_string()),
        segment: TranscriptSegment::new(start_ms, end_ms, text),
        speaker: None,
    }
}

fn spoken_by(speaker: &str, row: TranscriptSegmentRow) -> TranscriptSegmentRow {
    TranscriptSegmentRow {
        speaker: Some(speaker.into()),
        ..row
    }
}

/// Segments with text that breaks naive writers, and times past one hour.
fn tricky_transcript() -> Vec<TranscriptSegmentRow> {
    vec![
        row(0, 1_250, "Good morning, everyone."),
        row(1_250, 4_000, "Grüße aus Zürich: 細胞は分裂する 🧬"),
        row(4_000, 6_500, "x --> y is not a cue timing"),
        row(
            6_500,
            9_000,
            "<b>not bold</b> & <i>not italic</i>, 3 < 4 > 2",
        ),
        row(
            9_000,
            12_000,
            "  first line  \n\n   second line\r\nthird line ",
        ),
        row(3_723_456, 3_725_001, "An hour, two minutes and 3.456 s in."),
        row(36_000_000, 36_000_999, "Ten hours in: a very long lecture."),
    ]
}

/// What subtitle text of `text` reads as: lines trimmed, blank lines gone.
fn subtitle_text(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn srt_ms(t: SrtTimestamp) -> u64 {
    u64::from(t.hours) * 3_600_000
        + u64::from(t.minutes) * 60_000
        + u64::from(t.seconds) * 1000
        + u64::from(t.milliseconds)
}

fn vtt_ms(t: VttTimestamp) -> u64 {
    u64::from(t.hours) * 3_600_000
        + u64::from(t.minutes) * 60_000
        + u64::from(t.seconds) * 1000
        + u64::from(t.milliseconds)
}

/// Decodes the character references WebVTT cue text uses, as a player does.
fn decode_vtt_text(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The cues of a WebVTT file as (start ms, end ms, decoded text), parsed by `subtp`.
fn parse_vtt(exported: &str) -> Vec<(u64, u64, String)> {
    WebVtt::parse(exported)
        .unwrap_or_else(|e| panic!("{e}\n---\n{exported}"))
        .blocks
        .into_iter()
        .filter_map(|block| match block {
            VttBlock::Que(cue) => Some((
                vtt_ms(cue.timings.start),
                vtt_ms(cue.timings.end),
                decode_vtt_text(&cue.payload.join("\n")),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn srt_parses_back_to_the_same_segments() {
    let segments = tricky_transcript();
    let exported = export(&segments, ExportFormat::Srt, Some("ignored by SRT"));
    let parsed = SubRip::parse(&exported).unwrap_or_else(|e| panic!("{e}\n---\n{exported}"));

    assert_eq!(parsed.subtitles.len(), segments.len(), "{exported}");
    for (index, (cue, row)) in parsed.subtitles.iter().zip(&segments).enumerate() {
        assert_eq!(cue.sequence as usize, index + 1, "1-based numbering");
        assert_eq!(srt_ms(cue.start), row.segment.start_ms, "{exported}");
        assert_eq!(srt_ms(cue.end), row.segment.end_ms, "{exported}");
        // SRT has no escapes: "-->" keeps a zero-width space so it is not a timing arrow.
        let expected = subtitle_text(&row.segment.text).replace("-->", "--\u{200B}>");
        assert_eq!(cue.text.join("\n"), expected);
    }
    assert!(!exported.contains("ignored by SRT"));
    assert!(
        exported.starts_with("1\n00:00:00,000 --> 00:00:01,250\nGood morning, everyone.\n\n2\n")
    );
    assert!(
        exported.contains("\n01:02:03,456 --> 01:02:05,001\n"),
        "{exported}"
    );
}

#[test]
fn webvtt_parses_back_to_the_same_segments() {
    let segments = tricky_transcript();
    let exported = export(&segments, ExportFormat::WebVtt, Some("Cells --> tissues"));
    assert!(
        exported.starts_with("WEBVTT - Cells --\u{200B}> tissues\n\n"),
        "{exported}"
    );

    let cues = parse_vtt(&exported);
    let expected: Vec<(u64, u64, String)> = segments
        .iter()
        .map(|row| {
            (
                row.segment.start_ms,
                row.segment.end_ms,
                subtitle_text(&row.segment.text),
            )
        })
        .collect();
    assert_eq!(cues, expected, "{exported}");
    // Markup-looking text is escaped, not passed to the player as tags.
    assert!(
        exported.contains("&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;i&gt;"),
        "{exported}"
    );
    assert!(exported.contains("x --&gt; y"), "{exported}");
    assert!(
        exported.contains("\n10:00:00.000 --> 10:00:00.999\n"),
        "{exported}"
    );
}

#[test]
fn zero_length_segments_become_one_millisecond_cues() {
    let segments = vec![row(5_000, 5_000, "blink"), row(5_000, 6_000, "and gone")];

    let srt = SubRip::parse(&export(&segments, ExportFormat::Srt, None)).unwrap();
    let srt_times: Vec<(u64, u64)> = srt
        .subtitles
        .iter()
        .map(|cue| (srt_ms(cue.start), srt_ms(cue.end)))
        .collect();
    assert_eq!(srt_times, [(5_000, 5_001), (5_000, 6_000)]);

    let vtt = parse_vtt(&export(&segments, ExportFormat::WebVtt, None));
    assert_eq!(
        vtt,
        [
            (5_000, 5_001, "blink".to_string()),
            (5_000, 6_000, "and gone".to_string())
        ]
    );
}

#[test]
fn hours_past_ninety_nine_are_written_in_full() {
    let hundred_hours = 100 * 3_600_000;
    let segments = vec![row(hundred_hours + 1, hundred_hours + 61_002, "marathon")];
    assert_eq!(
        export(&segments, ExportFormat::Srt, None),
        "1\n100:00:00,001 --> 100:01:01,002\nmarathon\n"
    );
    assert_eq!(
        export(&segments, ExportFormat::WebVtt, None),
        "WEBVTT\n\n100:00:00.001 --> 100:01:01.002\nmarathon\n"
    );
    assert_eq!(
        export(&segments, ExportFormat::Markdown, None),
        "**[100:00:00]** marathon\n"
    );
}

#[test]
fn segments_without_text_are_left_out_of_text_formats_and_kept_in_json() {
    let segments = vec![
        row(0, 1_000, "one"),
        row(1_000, 2_000, " \n  "),
        row(2_000, 3_000, "two"),
    ];
    assert_eq!(
        export(&segments, ExportFormat::Srt, None),
        "1\n00:00:00,000 --> 00:00:01,000\none\n\n2\n00:00:02,000 --> 00:00:03,000\ntwo\n"
    );
    assert_eq!(export(&segments, ExportFormat::Txt, None), "one\n\ntwo\n");
    let json: TranscriptJson =
        serde_json::from_str(&export(&segments, ExportFormat::Json, None)).unwrap();
    assert_eq!(json.segments.len(), 3);
    assert_eq!(json.segments[1].text, " \n  ");
}

#[test]
fn an_empty_transcript_exports_an_empty_but_valid_file() {
    assert_eq!(export(&[], ExportFormat::Txt, None), "");
    assert_eq!(export(&[], ExportFormat::Srt, None), "");
    assert_eq!(export(&[], ExportFormat::WebVtt, None), "WEBVTT\n\n");
    assert!(parse_vtt(&export(&[], ExportFormat::WebVtt, None)).is_empty());
    let json: TranscriptJson =
        serde_json::from_str(&export(&[], ExportFormat::Json, None)).unwrap();
    assert!(json.segments.is_empty());
}

#[test]
fn json_round_trips_every_field() {
    let words = vec![
        TimedWord {
            start_ms: 9_000,
            end_ms: 9_400,
            text: "first".into(),
        },
        TimedWord {
            start_ms: 9_400,
            end_ms: 12_000,
            text: "line".into(),
        },
    ];
    let mut segments = tricky_transcript();
    segments[4].segment.words = words;
    segments[1] = spoken_by("Prof. Müller", segments[1].clone());

    let exported = export(&segments, ExportFormat::Json, Some("Zellen & <Gewebe>"));
    let parsed: TranscriptJson = serde_json::from_str(&exported).unwrap();

    assert_eq!(parsed.version, 1);
    assert_eq!(parsed.title.as_deref(), Some("Zellen & <Gewebe>"));
    let expected: Vec<SegmentJson> = segments.iter().map(SegmentJson::from).collect();
    assert_eq!(parsed.segments, expected);

    // The documented shape: unknown extras are explicit nulls, not missing keys.
    let raw: serde_json::Value = serde_json::from_str(&exported).unwrap();
    let first = &raw["segments"][0];
    assert_eq!(first["speaker"], serde_json::Value::Null);
    assert_eq!(first["words"], serde_json::Value::Null);
    assert_eq!(first["start_ms"], 0);
    assert_eq!(first["end_ms"], 1_250);
    assert_eq!(first["text"], "Good morning, everyone.");
    assert_eq!(raw["segments"][1]["speaker"], "Prof. Müller");
    assert_eq!(raw["segments"][4]["text"], segments[4].segment.text);
    assert_eq!(raw["segments"][4]["words"][1]["text"], "line");
}

/// Parses Markdown and returns the text of each paragraph (soft breaks as newlines), failing on
/// any markup other than the exporter's own bold timestamp and speaker and the title heading.
fn markdown_paragraphs(markdown: &str) -> (Option<String>, Vec<String>) {
    let mut title = None;
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    let mut in_heading = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => in_heading = true,
            Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
                in_heading = false;
                title = Some(std::mem::take(&mut current));
            }
            Event::Start(Tag::Paragraph | Tag::Strong) | Event::End(TagEnd::Strong) => {}
            Event::End(TagEnd::Paragraph) => paragraphs.push(std::mem::take(&mut current)),
            Event::Text(text) => current.push_str(&text),
            Event::SoftBreak => current.push('\n'),
            other => panic!("unexpected Markdown {other:?} (heading: {in_heading})\n{markdown}"),
        }
    }
    (title, paragraphs)
}

#[test]
fn markdown_has_a_title_timestamps_speakers_and_escaped_text() {
    let segments = vec![
        spoken_by("Teacher", row(0, 2_000, "Welcome to *Biology* 101_a")),
        row(
            65_000,
            70_000,
            "# not a heading\n- not a list\n1. not ordered\n=== [link](x) `code` <b>",
        ),
        spoken_by(
            "Student_1",
            row(600_000, 601_000, "C:\\path & ~~struck~~ > quote"),
        ),
    ];
    let exported = export(&segments, ExportFormat::Markdown, Some("Cells & *tissues*"));
    assert!(
        exported.starts_with("# Cells \\& \\*tissues\\*\n\n**[00:00]** **Teacher:** "),
        "{exported}"
    );

    let (title, paragraphs) = markdown_paragraphs(&exported);
    assert_eq!(title.as_deref(), Some("Cells & *tissues*"));
    assert_eq!(
        paragraphs,
        [
            "[00:00] Teacher: Welcome to *Biology* 101_a",
            "[01:05] # not a heading\n- not a list\n1. not ordered\n=== [link](x) `code` <b>",
            "[10:00] Student_1: C:\\path & ~~struck~~ > quote",
        ]
    );
}

#[test]
fn markdown_switches_to_hours_for_long_lectures() {
    let segments = vec![
        row(5_000, 6_000, "start"),
        row(3_723_456, 3_724_000, "later"),
    ];
    assert_eq!(
        export(&segments, ExportFormat::Markdown, None),
        "**[00:00:05]** start\n\n**[01:02:03]** later\n"
    );
}

#[test]
fn txt_is_plain_paragraphs_with_speakers() {
    let segments = vec![
        spoken_by("Teacher", row(0, 1_000, "Cells divide.")),
        row(1_000, 2_000, "  Mitosis has phases.\n\n\nFour of them. "),
    ];
    assert_eq!(
        export(&segments, ExportFormat::Txt, Some("  Cells\nand tissues ")),
        "Cells and tissues\n\nTeacher: Cells divide.\n\nMitosis has phases.\nFour of them.\n"
    );
}

#[test]
fn formats_are_named_by_their_extension() {
    for format in ExportFormat::ALL {
        assert_eq!(format.extension().parse::<ExportFormat>(), Ok(format));
        assert_eq!(format.to_string(), format.extension());
    }
    assert_eq!(".SRT".parse::<ExportFormat>(), Ok(ExportFormat::Srt));
    assert_eq!(" Md ".parse::<ExportFormat>(), Ok(ExportFormat::Markdown));
    let err = "docx".parse::<ExportFormat>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown transcript export format \"docx\": choose one of txt, md, srt, vtt, json"
    );
}
