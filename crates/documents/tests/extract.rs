//! Extraction of real files built at test time: page numbers, structure, encodings, and every
//! kind of bad input giving its own clear error.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use lm_documents::fixtures::{self, DocxParagraph, PdfPage};
use lm_documents::{Block, DocumentError, DocumentKind, OCR_AVAILABLE, extract, open, open_as};

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn three_page_pdf(dir: &Path, title: Option<&str>) -> PathBuf {
    let path = dir.join("biology.pdf");
    let document = fixtures::pdf(
        &[
            PdfPage::paragraphs(&["Cells are the unit of life.", "Every cell has a membrane."]),
            PdfPage::paragraphs(&["Mitochondria make energy for the cell."]),
            PdfPage::Text(vec![vec![
                "Photosynthesis happens".into(),
                "in the chloroplasts.".into(),
            ]]),
        ],
        title,
    );
    fixtures::save_pdf(document, &path);
    path
}

fn error_text(result: Result<impl std::fmt::Debug, DocumentError>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn pdf_text_keeps_its_page_numbers_and_paragraphs() {
    let dir = temp();
    let document = extract(&three_page_pdf(dir.path(), Some("Biology 101 — Cells"))).unwrap();
    assert_eq!(document.kind, DocumentKind::Pdf);
    assert_eq!(document.title, "Biology 101 — Cells");
    let numbers: Vec<u32> = document.pages.iter().map(|page| page.number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(
        document.pages[0].blocks,
        [
            Block::Paragraph("Cells are the unit of life.".into()),
            Block::Paragraph("Every cell has a membrane.".into()),
        ]
    );
    assert_eq!(
        document.pages[1].text(),
        "Mitochondria make energy for the cell."
    );
    // Two lines of one paragraph are joined.
    assert_eq!(
        document.pages[2].text(),
        "Photosynthesis happens in the chloroplasts."
    );
    assert!(document.pages.iter().all(|page| page.notice.is_none()));
}

#[test]
fn a_pdf_without_a_title_is_named_after_its_file() {
    let dir = temp();
    let document = extract(&three_page_pdf(dir.path(), None)).unwrap();
    assert_eq!(document.title, "biology");
}

#[test]
fn a_password_protected_pdf_is_refused_clearly() {
    let dir = temp();
    let path = dir.path().join("exam answers.pdf");
    let document = fixtures::pdf(&[PdfPage::paragraphs(&["Secret answers."])], None);
    fixtures::save_encrypted_pdf(document, &path, "let me in");
    let error = open(&path).err().unwrap();
    assert!(
        matches!(error, DocumentError::PasswordProtected { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "exam answers.pdf is password-protected: open it with its password and save or print an \
         unprotected copy, then import that"
    );
}

#[test]
fn a_pdf_encrypted_without_a_user_password_is_read() {
    let dir = temp();
    let path = dir.path().join("handout.pdf");
    let document = fixtures::pdf(
        &[PdfPage::paragraphs(&["Anyone may read this handout."])],
        None,
    );
    fixtures::save_encrypted_pdf(document, &path, "");
    let document = extract(&path).unwrap();
    assert_eq!(document.pages[0].text(), "Anyone may read this handout.");
}

#[test]
fn a_scanned_page_is_read_by_ocr_or_reported() {
    let dir = temp();
    let path = dir.path().join("scan.pdf");
    let (width, height, gray) = fixtures::render_text_gray("Mitochondria make energy");
    let document = fixtures::pdf(
        &[
            PdfPage::paragraphs(&["Typed first page."]),
            PdfPage::Picture {
                width,
                height,
                gray,
            },
        ],
        None,
    );
    fixtures::save_pdf(document, &path);
    let document = extract(&path).unwrap();
    assert_eq!(document.pages.len(), 2);
    assert_eq!(document.pages[0].text(), "Typed first page.");
    let scanned = &document.pages[1];
    assert_eq!(scanned.number, 2);
    let notice = scanned.notice.as_deref().unwrap();
    if OCR_AVAILABLE {
        let text = scanned.text().to_lowercase();
        assert!(
            text.contains("mitochondria") && text.contains("energy"),
            "{text}"
        );
        assert_eq!(notice, "page 2 has no text layer; its text was read by OCR");
    } else {
        assert!(!scanned.has_text());
        assert!(notice.contains("no text layer (scanned?)"), "{notice}");
    }
}

#[test]
fn a_pdf_of_blank_scans_has_no_text_layer() {
    let dir = temp();
    let path = dir.path().join("blank scan.pdf");
    let document = fixtures::pdf(
        &[PdfPage::Picture {
            width: 200,
            height: 100,
            gray: vec![255; 200 * 100],
        }],
        None,
    );
    fixtures::save_pdf(document, &path);
    let error = extract(&path).unwrap_err();
    assert!(
        matches!(error, DocumentError::NoTextLayer { ocr_available, .. } if ocr_available == OCR_AVAILABLE),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("blank scan.pdf has no text layer (scanned?)"),
        "{error}"
    );
}

#[test]
fn a_picture_of_text_is_read_by_ocr_or_refused() {
    let dir = temp();
    let path = dir.path().join("whiteboard.png");
    fixtures::render_text_png("Osmosis moves water", &path);
    match (extract(&path), OCR_AVAILABLE) {
        (Ok(document), true) => {
            assert_eq!(document.kind, DocumentKind::Image);
            assert_eq!(document.title, "whiteboard");
            let text = document.pages[0].text().to_lowercase();
            assert!(text.contains("osmosis") && text.contains("water"), "{text}");
        }
        (Err(error), false) => assert_eq!(
            error.to_string(),
            "whiteboard.png is an image; reading images needs OCR, which is not available in \
             this build"
        ),
        (result, ocr) => panic!("OCR available: {ocr}, got {result:?}"),
    }
}

fn sample_docx(path: &Path, title: Option<&str>) {
    fixtures::save_docx(
        &[
            DocxParagraph::Heading(1, "Genetics".into()),
            DocxParagraph::Text("DNA carries genes & traits.".into()),
            DocxParagraph::Heading(2, "Mendel".into()),
            DocxParagraph::Table(vec![
                vec!["Trait".into(), "Dominant".into()],
                vec!["Seed".into(), "Round".into()],
            ]),
            DocxParagraph::PageBreak,
            DocxParagraph::Text("Second page text.".into()),
        ],
        title,
        path,
    );
}

#[test]
fn docx_headings_tables_and_page_breaks() {
    let dir = temp();
    let path = dir.path().join("genetics.docx");
    sample_docx(&path, None);
    let document = extract(&path).unwrap();
    assert_eq!(document.kind, DocumentKind::Docx);
    // No metadata title: the first heading.
    assert_eq!(document.title, "Genetics");
    assert_eq!(document.pages.len(), 2);
    assert_eq!(
        document.pages[0].blocks,
        [
            Block::Heading {
                level: 1,
                text: "Genetics".into()
            },
            Block::Paragraph("DNA carries genes & traits.".into()),
            Block::Heading {
                level: 2,
                text: "Mendel".into()
            },
            Block::Paragraph("Trait | Dominant".into()),
            Block::Paragraph("Seed | Round".into()),
        ]
    );
    assert_eq!(document.pages[1].number, 2);
    assert_eq!(document.pages[1].text(), "Second page text.");

    sample_docx(&path, Some("Genetics, week 3"));
    assert_eq!(extract(&path).unwrap().title, "Genetics, week 3");
}

#[test]
fn the_content_decides_the_format_not_the_name() {
    let dir = temp();
    let docx_named_pdf = dir.path().join("really a word file.pdf");
    sample_docx(&docx_named_pdf, None);
    assert_eq!(extract(&docx_named_pdf).unwrap().kind, DocumentKind::Docx);

    let pdf_named_docx = dir.path().join("really a pdf.docx");
    fs::copy(three_page_pdf(dir.path(), None), &pdf_named_docx).unwrap();
    assert_eq!(extract(&pdf_named_docx).unwrap().kind, DocumentKind::Pdf);

    let text_named_pdf = dir.path().join("notes.pdf");
    fs::write(&text_named_pdf, "just some notes").unwrap();
    assert_eq!(
        error_text(open(&text_named_pdf).map(|_| ())),
        "notes.pdf is named .pdf but its content is not a PDF (it looks like plain text)"
    );
}

#[test]
fn a_truncated_docx_is_reported_as_damaged() {
    let dir = temp();
    let whole = dir.path().join("whole.docx");
    sample_docx(&whole, None);
    let bytes = fs::read(&whole).unwrap();
    let truncated = dir.path().join("essay.docx");
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let error = open(&truncated).err().unwrap();
    assert!(matches!(error, DocumentError::Damaged { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("essay.docx cannot be read as a Word document: the file is damaged"),
        "{message}"
    );
}

#[test]
fn a_zip_that_is_not_a_word_file_is_refused() {
    let dir = temp();
    let path = dir.path().join("photos.docx");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    zip.start_file("cat.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, b"meow").unwrap();
    zip.finish().unwrap();
    let error = open(&path).err().unwrap();
    assert!(
        matches!(error, DocumentError::Unsupported { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("not a Word document"), "{error}");
}

#[test]
fn an_empty_file_is_refused() {
    let dir = temp();
    let path = dir.path().join("empty.txt");
    fs::write(&path, b"").unwrap();
    assert_eq!(
        error_text(open(&path).map(|_| ())),
        "empty.txt is empty (0 bytes)"
    );
}

#[test]
fn a_file_of_blank_lines_contains_no_text() {
    let dir = temp();
    let path = dir.path().join("blank.txt");
    fs::write(&path, b"\n\n   \r\n\t\n").unwrap();
    assert_eq!(error_text(extract(&path)), "blank.txt contains no text");
}

#[test]
fn markdown_keeps_headings_and_takes_its_title_from_the_first() {
    let dir = temp();
    let path = dir.path().join("notes.md");
    fs::write(
        &path,
        "Intro line.\n\n# Respiration\n\nCells *burn* glucose.\n\n## Steps\n\n1. Glycolysis\n2. Krebs cycle\n",
    )
    .unwrap();
    let document = extract(&path).unwrap();
    assert_eq!(document.kind, DocumentKind::Markdown);
    assert_eq!(document.title, "Respiration");
    assert_eq!(
        document.pages[0].blocks,
        [
            Block::Paragraph("Intro line.".into()),
            Block::Heading {
                level: 1,
                text: "Respiration".into()
            },
            Block::Paragraph("Cells burn glucose.".into()),
            Block::Heading {
                level: 2,
                text: "Steps".into()
            },
            Block::Paragraph("Glycolysis".into()),
            Block::Paragraph("Krebs cycle".into()),
        ]
    );
}

/// Writes `bytes` to `name` in `dir` and reads it back as text, returning (encoding, text).
fn read_text(dir: &Path, name: &str, bytes: &[u8]) -> (String, String) {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    let mut reader = open(&path).unwrap();
    let encoding = reader.encoding().unwrap().to_owned();
    let pages: Vec<_> = reader.by_ref().map(Result::unwrap).collect();
    assert_eq!(reader.kind(), DocumentKind::Text);
    let text = pages
        .iter()
        .map(|page| page.text())
        .collect::<Vec<_>>()
        .join("\n\n");
    (encoding, text)
}

#[test]
fn text_in_any_common_encoding_is_decoded() {
    let dir = temp();
    let french = "Le café crème est brûlé; déjà vu à la façade de l'hôtel.\r\nÇa coûte très cher.";
    let expected = french.replace("\r\n", "\n");

    let (encoding, text) = read_text(dir.path(), "utf8.txt", french.as_bytes());
    assert_eq!(
        (encoding.as_str(), text.as_str()),
        ("UTF-8", expected.as_str())
    );

    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(french.encode_utf16().flat_map(u16::to_le_bytes));
    let (encoding, text) = read_text(dir.path(), "utf16.txt", &utf16);
    assert_eq!(
        (encoding.as_str(), text.as_str()),
        ("UTF-16LE", expected.as_str())
    );

    let (latin, _, unmappable) = encoding_rs::WINDOWS_1252.encode(french);
    assert!(!unmappable);
    let (encoding, text) = read_text(dir.path(), "latin.txt", &latin);
    assert_eq!(
        (encoding.as_str(), text.as_str()),
        ("windows-1252", expected.as_str())
    );

    let japanese = "日本語の文章です。細胞は生命の基本単位であり、すべての生物は細胞からできています。\
                    ミトコンドリアはエネルギーを作ります。";
    let (shift_jis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(japanese);
    assert!(!unmappable);
    let (encoding, text) = read_text(dir.path(), "japanese.txt", &shift_jis);
    assert_eq!((encoding.as_str(), text.as_str()), ("Shift_JIS", japanese));
}

#[test]
fn long_text_is_cut_into_numbered_pages_at_paragraphs() {
    let dir = temp();
    let paragraph = "The quick brown fox jumps over the lazy dog. ".repeat(10);
    let text: String = (0..100)
        .map(|i| format!("Paragraph {i}. {paragraph}\n\n"))
        .collect();
    let path = dir.path().join("long.txt");
    fs::write(&path, &text).unwrap();
    let document = extract(&path).unwrap();
    assert!(document.pages.len() > 5, "{} pages", document.pages.len());
    for (index, page) in document.pages.iter().enumerate() {
        assert_eq!(page.number as usize, index + 1);
        assert!(page.text().len() <= lm_documents::TEXT_PAGE_BYTES * 3 / 2);
        // Every page starts at a paragraph.
        assert!(page.text().starts_with("Paragraph "), "{}", page.text());
    }
    let all: Vec<String> = document
        .pages
        .iter()
        .flat_map(|p| p.blocks.iter().map(|b| b.text().to_owned()))
        .collect();
    assert_eq!(all.len(), 100, "no paragraph lost or split");
}

#[test]
fn a_hostile_file_name_is_read_and_shown_safely() {
    let dir = temp();
    // Newlines, shell syntax, quotes and bytes that are not UTF-8.
    let mut name = b"lecture\n1; rm -rf ~ $(reboot) `id` 'q' \"dq\" \xff\xfe".to_vec();
    name.extend_from_slice(b".md");
    let name = OsStr::from_bytes(&name);
    let path = dir.path().join(name);
    fs::write(&path, "plain words, no heading").unwrap();
    let document = extract(&path).unwrap();
    assert_eq!(
        document.title,
        "lecture 1; rm -rf ~ $(reboot) `id` 'q' \"dq\" \u{fffd}\u{fffd}"
    );
    // The same name in an error message is one clean line.
    let empty = dir.path().join(OsStr::from_bytes(b"bad\nname\x1b[31m.txt"));
    fs::write(&empty, b"").unwrap();
    assert_eq!(
        error_text(open(&empty).map(|_| ())),
        "bad name [31m.txt is empty (0 bytes)"
    );
    // open_as names a stored copy after the student's file.
    let copy = dir.path().join("0123abcd.md");
    fs::copy(&path, &copy).unwrap();
    let reader = open_as(&copy, name).unwrap();
    assert_eq!(reader.kind(), DocumentKind::Markdown);
    assert!(reader.file_name().starts_with("lecture 1; rm"));
}

#[test]
fn a_truncated_pdf_is_reported_as_damaged() {
    let dir = temp();
    let bytes = fs::read(three_page_pdf(dir.path(), None)).unwrap();
    let truncated = dir.path().join("slides.pdf");
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let error = extract(&truncated).unwrap_err();
    assert!(matches!(error, DocumentError::Damaged { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("slides.pdf cannot be read as a PDF: "),
        "{error}"
    );
}
