//! Documents built at test time, with known text on known pages, for this crate's tests and
//! `lm-core`'s import tests (enable the `fixtures` feature as a dev-dependency). Nothing here is
//! used by the app.

use std::io::Write;
use std::path::Path;

use lopdf::content::{Content, Operation};
use lopdf::{
    Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream, dictionary,
};

/// A page to draw: paragraphs of lines in Helvetica 12 pt, or a picture.
#[derive(Debug, Clone)]
pub enum PdfPage {
    /// Paragraphs (each a list of lines) with a text layer.
    Text(Vec<Vec<String>>),
    /// A page that is only a picture: 8-bit gray pixels, `width` × `height`, no text layer (a
    /// scanned page).
    Picture {
        /// Pixel columns.
        width: u32,
        /// Pixel rows.
        height: u32,
        /// `width * height` gray values, 0 black, 255 white.
        gray: Vec<u8>,
    },
}

impl PdfPage {
    /// A text page with one paragraph per string (each drawn on one line).
    pub fn paragraphs(paragraphs: &[&str]) -> Self {
        Self::Text(
            paragraphs
                .iter()
                .map(|paragraph| vec![(*paragraph).to_owned()])
                .collect(),
        )
    }
}

/// Builds a PDF with these pages and, when given, a document title in its metadata.
pub fn pdf(pages: &[PdfPage], title: Option<&str>) -> Document {
    let mut document = Document::with_version("1.5");
    let pages_id = document.new_object_id();
    let font_id = document.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let mut kids = Vec::new();
    for page in pages {
        let (operations, resources) = match page {
            PdfPage::Text(paragraphs) => (
                text_operations(paragraphs),
                dictionary! {
                    "Font" => dictionary! { "F1" => font_id },
                },
            ),
            PdfPage::Picture {
                width,
                height,
                gray,
            } => {
                let image = Stream::new(
                    dictionary! {
                        "Type" => "XObject",
                        "Subtype" => "Image",
                        "Width" => i64::from(*width),
                        "Height" => i64::from(*height),
                        "ColorSpace" => "DeviceGray",
                        "BitsPerComponent" => 8,
                    },
                    gray.clone(),
                );
                let image_id = document.add_object(image);
                let operations = vec![
                    Operation::new("q", vec![]),
                    Operation::new(
                        "cm",
                        vec![
                            500.into(),
                            0.into(),
                            0.into(),
                            (500 * i64::from(*height) / i64::from(*width).max(1)).into(),
                            40.into(),
                            300.into(),
                        ],
                    ),
                    Operation::new("Do", vec!["Im1".into()]),
                    Operation::new("Q", vec![]),
                ];
                (
                    operations,
                    dictionary! {
                        "XObject" => dictionary! { "Im1" => image_id },
                    },
                )
            }
        };
        let content = Content { operations };
        let content_id = document.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("content encodes"),
        ));
        let page_id = document.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(page_id.into());
    }
    let count = i64::try_from(kids.len()).expect("page count");
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog_id = document.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    document.trailer.set("Root", catalog_id);
    if let Some(title) = title {
        let info_id = document.add_object(dictionary! { "Title" => lopdf::text_string(title) });
        document.trailer.set("Info", info_id);
    }
    // Encryption keys depend on the file identifier.
    document.trailer.set(
        "ID",
        vec![
            Object::string_literal("0123456789abcdef"),
            Object::string_literal("0123456789abcdef"),
        ],
    );
    document.compress();
    document
}

/// Lines 14 pt apart, paragraphs 30 pt apart (pdf-extract reads a gap of over 1.5 lines as a
/// paragraph break).
fn text_operations(paragraphs: &[Vec<String>]) -> Vec<Operation> {
    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 12.into()]),
        Operation::new("Td", vec![50.into(), 780.into()]),
    ];
    for (index, paragraph) in paragraphs.iter().enumerate() {
        if index > 0 {
            operations.push(Operation::new("Td", vec![0.into(), (-30).into()]));
        }
        for (line_index, line) in paragraph.iter().enumerate() {
            if line_index > 0 {
                operations.push(Operation::new("Td", vec![0.into(), (-14).into()]));
            }
            operations.push(Operation::new(
                "Tj",
                vec![Object::string_literal(line.as_str())],
            ));
        }
    }
    operations.push(Operation::new("ET", vec![]));
    operations
}

/// Saves `document` at `path`.
pub fn save_pdf(mut document: Document, path: &Path) {
    document.save(path).expect("the PDF saves");
}

/// Saves `document` encrypted (RC4 128-bit) with these passwords; an empty `user_password`
/// makes a PDF that opens without asking (only editing is restricted).
pub fn save_encrypted_pdf(mut document: Document, path: &Path, user_password: &str) {
    let version = EncryptionVersion::V2 {
        document: &document,
        owner_password: "owner secret",
        user_password,
        key_length: 128,
        permissions: Permissions::PRINTABLE,
    };
    let state = EncryptionState::try_from(version).expect("encryption state");
    document.encrypt(&state).expect("the PDF encrypts");
    document.save(path).expect("the PDF saves");
}

/// A paragraph of a DOCX fixture.
#[derive(Debug, Clone)]
pub enum DocxParagraph {
    /// A paragraph in style `Heading{level}`.
    Heading(u8, String),
    /// A body paragraph.
    Text(String),
    /// A table of rows of cells.
    Table(Vec<Vec<String>>),
    /// An explicit page break.
    PageBreak,
}

/// Writes a minimal Word document with these paragraphs and, when given, a title in its
/// metadata.
pub fn save_docx(paragraphs: &[DocxParagraph], title: Option<&str>, path: &Path) {
    let mut body = String::new();
    for paragraph in paragraphs {
        match paragraph {
            DocxParagraph::Heading(level, text) => body.push_str(&format!(
                r#"<w:p><w:pPr><w:pStyle w:val="Heading{level}"/></w:pPr><w:r><w:t>{}</w:t></w:r></w:p>"#,
                escape(text)
            )),
            DocxParagraph::Text(text) => body.push_str(&format!(
                r#"<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
                escape(text)
            )),
            DocxParagraph::Table(rows) => {
                body.push_str("<w:tbl>");
                for row in rows {
                    body.push_str("<w:tr>");
                    for cell in row {
                        body.push_str(&format!(
                            "<w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>",
                            escape(cell)
                        ));
                    }
                    body.push_str("</w:tr>");
                }
                body.push_str("</w:tbl>");
            }
            DocxParagraph::PageBreak => {
                body.push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#);
            }
        }
    }
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    let core = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title></cp:coreProperties>"#,
        escape(title.unwrap_or(""))
    );
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_owned(),
        ),
        ("word/document.xml", document),
        ("docProps/core.xml", core),
    ];
    let file = std::fs::File::create(path).expect("the DOCX file is created");
    let mut zip = zip::ZipWriter::new(file);
    for (name, content) in parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("a ZIP entry starts");
        zip.write_all(content.as_bytes())
            .expect("a ZIP entry is written");
    }
    zip.finish().expect("the ZIP is finished");
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders `text` as black-on-white 8-bit gray pixels with ImageMagick (installed by
/// scripts/install-system-deps), for OCR tests: returns (width, height, pixels).
pub fn render_text_gray(text: &str) -> (u32, u32, Vec<u8>) {
    let (width, height) = (1200_u32, 160_u32);
    let output = std::process::Command::new("convert")
        .args([
            "-size",
            &format!("{width}x{height}"),
            "xc:white",
            "-font",
            "DejaVu-Sans",
            "-pointsize",
            "56",
            "-fill",
            "black",
            "-annotate",
            "+30+100",
            text,
            "-depth",
            "8",
            "gray:-",
        ])
        .output()
        .expect("ImageMagick's convert runs (scripts/install-system-deps installs it)");
    assert!(
        output.status.success(),
        "convert failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout.len(), (width * height) as usize);
    (width, height, output.stdout)
}

/// Renders `text` to a PNG file with ImageMagick, for OCR tests.
pub fn render_text_png(text: &str, path: &Path) {
    let status = std::process::Command::new("convert")
        .args([
            "-size",
            "1200x160",
            "xc:white",
            "-font",
            "DejaVu-Sans",
            "-pointsize",
            "56",
            "-fill",
            "black",
            "-annotate",
            "+30+100",
            text,
        ])
        .arg(path)
        .status()
        .expect("ImageMagick's convert runs (scripts/install-system-deps installs it)");
    assert!(status.success(), "convert failed");
}
