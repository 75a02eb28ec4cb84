//! Importing real documents (built at test time) into a real profile library: pages, chunks and
//! their locators in SQLite, re-import detection, and bad files that each fail alone, leaving
//! the database and the media folder exactly as they were.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use lm_core::chunking::{MAX_WORDS, OVERLAP_WORDS, word_count};
use lm_core::document_import::{DocumentImportError, import_document};
use lm_core::library::{Library, LibraryRoot};
use lm_core::store::{
    ChunkSource, Class, DocumentKind, DocumentPage, NewDocument, SourceLocator, StoreError,
};
use lm_documents::fixtures::{self, DocxParagraph, PdfPage};
use lm_documents::{DocumentError, OCR_AVAILABLE};

struct Fixture {
    dir: tempfile::TempDir,
    library: Library,
    class: Class,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let library = LibraryRoot::new(&dir.path().join("data"))
        .open_or_create_default("Student")
        .unwrap();
    let class = library.class_named("Biology").unwrap();
    fs::create_dir(dir.path().join("in")).unwrap();
    Fixture {
        dir,
        library,
        class,
    }
}

impl Fixture {
    fn input(&self, name: impl AsRef<OsStr>) -> PathBuf {
        self.dir.path().join("in").join(name.as_ref())
    }

    /// Everything a failed import must not change: the class's documents, the change counter
    /// (every synced insert or update moves it), and the files under media/.
    fn snapshot(&self) -> (usize, i64, Vec<PathBuf>) {
        let store = self.library.store();
        let documents = store
            .documents()
            .list_by_class(&self.class.id)
            .unwrap()
            .len();
        (
            documents,
            store.change_seq().unwrap(),
            files_under(&self.library.media_dir()),
        )
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `count` sentences of 9 words, numbered from `first`.
fn sentences(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("Fact {n} says the membrane controls what enters cells."))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A PDF: page 1 short, page 2 long (several chunks, one line per sentence group), page 3 short.
fn lecture_pdf(path: &Path) {
    let long_page: Vec<Vec<String>> = (0..6)
        .map(|paragraph| {
            (0..4)
                .map(|line| sentences(paragraph * 40 + line * 10, 10))
                .collect()
        })
        .collect();
    let document = fixtures::pdf(
        &[
            PdfPage::paragraphs(&["Cell biology: an introduction."]),
            PdfPage::Text(long_page),
            PdfPage::paragraphs(&["Summary: membranes matter."]),
        ],
        Some("Cell Biology"),
    );
    fixtures::save_pdf(document, path);
}

#[test]
fn a_pdf_is_stored_with_its_pages_and_page_located_chunks() {
    let f = fixture();
    let path = f.input("cells.pdf");
    lecture_pdf(&path);
    let import = import_document(&f.library, &f.class.id, &path).unwrap();
    assert!(!import.already_present);
    assert_eq!(import.pages, 3);
    assert!(import.notices.is_empty(), "{:?}", import.notices);
    let document = &import.document;
    assert_eq!(document.title, "Cell Biology");
    assert_eq!(document.kind, DocumentKind::Pdf);
    assert_eq!(document.mime, "application/pdf");
    assert_eq!(document.page_count, Some(3));
    // The copy in the content store is byte for byte the file.
    let stored = f.library.resolve(&document.file_path);
    assert_eq!(fs::read(&stored).unwrap(), fs::read(&path).unwrap());

    let store = f.library.store();
    assert_eq!(store.documents().get(&document.id).unwrap(), *document);
    let pages = store.documents().pages(&document.id).unwrap();
    let numbers: Vec<u32> = pages.iter().map(|page| page.number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(pages[0].text, "Cell biology: an introduction.");
    assert!(pages[1].text.starts_with("Fact 0 says"));

    let chunks = store
        .chunks()
        .list_by_source(&ChunkSource::Document(document.id.clone()))
        .unwrap();
    assert_eq!(chunks.len() as u64, import.chunks);
    let on_page = |number: u32| -> Vec<String> {
        chunks
            .iter()
            .filter(|chunk| {
                chunk.locator
                    == SourceLocator::DocumentPage {
                        document_id: document.id.clone(),
                        page: number,
                    }
            })
            .map(|chunk| chunk.text.clone())
            .collect()
    };
    assert_eq!(on_page(1), ["Cell Biology\nCell biology: an introduction."]);
    assert_eq!(on_page(3), ["Cell Biology\nSummary: membranes matter."]);
    let long = on_page(2);
    assert!(long.len() >= 3, "{} chunks on page 2", long.len());
    assert_eq!(
        long.len() + 2,
        chunks.len(),
        "every chunk is on one of the 3 pages"
    );
    let mut bodies = Vec::new();
    for text in &long {
        let body = text.strip_prefix("Cell Biology\n").unwrap();
        assert!(word_count(body) <= MAX_WORDS);
        // Nothing from another page: each paragraph of the chunk is text of page 2.
        for part in body.split("\n\n") {
            assert!(pages[1].text.contains(part), "{part:?} is not on page 2");
        }
        bodies.push(body.to_owned());
    }
    for pair in bodies.windows(2) {
        // Overlap: the next chunk opens with the end of this one.
        let first_sentence = pair[1].split(". ").next().unwrap();
        assert!(pair[0].contains(first_sentence), "no overlap: {pair:?}");
        assert!(word_count(first_sentence) <= OVERLAP_WORDS);
    }
}

#[test]
fn importing_the_same_content_again_changes_nothing() {
    let f = fixture();
    let path = f.input("cells.pdf");
    lecture_pdf(&path);
    let first = import_document(&f.library, &f.class.id, &path).unwrap();
    let before = f.snapshot();
    // Same bytes under another name.
    let copy = f.input("cells (1).pdf");
    fs::copy(&path, &copy).unwrap();
    let again = import_document(&f.library, &f.class.id, &copy).unwrap();
    assert!(again.already_present);
    assert_eq!(again.document, first.document);
    assert_eq!((again.pages, again.chunks), (first.pages, first.chunks));
    assert_eq!(f.snapshot(), before);

    // Another class gets its own document, sharing the stored file.
    let other = f.library.class_named("Chemistry").unwrap();
    let elsewhere = import_document(&f.library, &other.id, &path).unwrap();
    assert!(!elsewhere.already_present);
    assert_ne!(elsewhere.document.id, first.document.id);
    assert_eq!(elsewhere.document.file_path, first.document.file_path);
    assert_eq!(files_under(&f.library.media_dir()).len(), 1);
}

#[test]
fn docx_markdown_and_text_keep_their_structure() {
    let f = fixture();
    let docx = f.input("genetics.docx");
    fixtures::save_docx(
        &[
            DocxParagraph::Heading(1, "Genetics".into()),
            DocxParagraph::Text("Genes are made of DNA.".into()),
            DocxParagraph::PageBreak,
            DocxParagraph::Heading(2, "Mendel".into()),
            DocxParagraph::Text("Mendel bred peas.".into()),
        ],
        Some("Week 3"),
        &docx,
    );
    let import = import_document(&f.library, &f.class.id, &docx).unwrap();
    assert_eq!(import.document.kind, DocumentKind::Docx);
    assert_eq!(import.pages, 2);
    let chunks = f
        .library
        .store()
        .chunks()
        .list_by_source(&ChunkSource::Document(import.document.id.clone()))
        .unwrap();
    let texts: Vec<(u32, &str)> = chunks
        .iter()
        .map(|chunk| match &chunk.locator {
            SourceLocator::DocumentPage { page, .. } => (*page, chunk.text.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        texts,
        [
            (1, "Week 3 › Genetics\nGenes are made of DNA."),
            (2, "Week 3 › Genetics › Mendel\nMendel bred peas."),
        ]
    );

    let markdown = f.input("notes.md");
    fs::write(&markdown, "# Osmosis\n\nWater moves across membranes.\n").unwrap();
    let import = import_document(&f.library, &f.class.id, &markdown).unwrap();
    assert_eq!(
        (
            import.document.kind,
            import.document.title.as_str(),
            import.document.mime.as_str()
        ),
        (DocumentKind::Markdown, "Osmosis", "text/markdown")
    );

    let latin = f.input("résumé.txt");
    // Windows-1252: "Le café est brûlé à la façade."
    fs::write(&latin, b"Le caf\xe9 est br\xfbl\xe9 \xe0 la fa\xe7ade.").unwrap();
    let import = import_document(&f.library, &f.class.id, &latin).unwrap();
    let pages = f
        .library
        .store()
        .documents()
        .pages(&import.document.id)
        .unwrap();
    assert_eq!(pages[0].text, "Le café est brûlé à la façade.");
    assert_eq!(import.document.title, "résumé");
}

/// Imports `path` expecting an error, and checks that nothing changed.
fn refused(f: &Fixture, path: &Path) -> DocumentImportError {
    let before = f.snapshot();
    let error = import_document(&f.library, &f.class.id, path).unwrap_err();
    assert_eq!(f.snapshot(), before, "{error} changed the library");
    error
}

#[test]
fn bad_files_each_fail_clearly_and_change_nothing() {
    let f = fixture();
    // Something already in the library, which must survive every failure.
    let good = f.input("cells.pdf");
    lecture_pdf(&good);
    import_document(&f.library, &f.class.id, &good).unwrap();

    let encrypted = f.input("answers.pdf");
    fixtures::save_encrypted_pdf(
        fixtures::pdf(&[PdfPage::paragraphs(&["secret"])], None),
        &encrypted,
        "password",
    );
    let error = refused(&f, &encrypted);
    assert!(
        matches!(
            error,
            DocumentImportError::Document(DocumentError::PasswordProtected { .. })
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("answers.pdf is password-protected")
    );

    // Only pictures, and no text in them: no text layer, even with OCR.
    let scanned = f.input("scan.pdf");
    fixtures::save_pdf(
        fixtures::pdf(
            &[PdfPage::Picture {
                width: 100,
                height: 100,
                gray: vec![255; 100 * 100],
            }],
            None,
        ),
        &scanned,
    );
    let error = refused(&f, &scanned);
    assert!(
        error
            .to_string()
            .starts_with("scan.pdf has no text layer (scanned?)"),
        "{error}"
    );

    let whole = f.input("whole.docx");
    fixtures::save_docx(&[DocxParagraph::Text("text".into())], None, &whole);
    let bytes = fs::read(&whole).unwrap();
    let corrupt = f.input("essay.docx");
    fs::write(&corrupt, &bytes[..bytes.len() - 30]).unwrap();
    let error = refused(&f, &corrupt);
    assert!(
        error
            .to_string()
            .starts_with("essay.docx cannot be read as a Word document: the file is damaged"),
        "{error}"
    );

    let empty = f.input("empty.pdf");
    fs::write(&empty, b"").unwrap();
    assert_eq!(
        refused(&f, &empty).to_string(),
        "empty.pdf is empty (0 bytes)"
    );

    // Copied into the store before its (lack of) text shows: the copy is removed again.
    let blank = f.input("blank.txt");
    fs::write(&blank, "\n \n\t\n").unwrap();
    assert_eq!(
        refused(&f, &blank).to_string(),
        "blank.txt contains no text"
    );

    let missing = f.input("gone.pdf");
    assert_eq!(refused(&f, &missing).to_string(), "gone.pdf does not exist");
    let folder = f.input("a folder.pdf");
    fs::create_dir(&folder).unwrap();
    assert_eq!(
        refused(&f, &folder).to_string(),
        "a folder.pdf is not a file"
    );

    let picture = f.input("board.png");
    fixtures::render_text_png("Cells divide", &picture);
    if OCR_AVAILABLE {
        let import = import_document(&f.library, &f.class.id, &picture).unwrap();
        assert_eq!(import.document.mime, "image/png");
    } else {
        assert!(
            refused(&f, &picture)
                .to_string()
                .contains("reading images needs OCR, which is not available in this build")
        );
    }

    // The library still works.
    let after = f.input("after.md");
    fs::write(&after, "Still fine.").unwrap();
    assert!(
        !import_document(&f.library, &f.class.id, &after)
            .unwrap()
            .already_present
    );
}

#[test]
fn a_hostile_file_name_is_stored_safely_with_a_clean_title() {
    let f = fixture();
    let mut name = b"week 1\nnotes; rm -rf ~ $(reboot) `id` 'x' \"y\" \xff ".to_vec();
    name.extend(std::iter::repeat_n(b'z', 200));
    name.extend_from_slice(b".txt");
    let path = f.input(OsStr::from_bytes(&name));
    fs::write(&path, "Cells are small.").unwrap();
    let import = import_document(&f.library, &f.class.id, &path).unwrap();
    let title = &import.document.title;
    assert!(title.starts_with("week 1 notes; rm -rf ~ $(reboot) `id` 'x' \"y\" \u{fffd} zzz"));
    assert!(!title.chars().any(char::is_control), "{title:?}");
    assert!(
        title.chars().count() <= 121,
        "{} characters",
        title.chars().count()
    );
    // The stored copy is named by its hash, with the (safe) extension.
    let stored = import.document.file_path.to_str().unwrap();
    assert!(
        stored.ends_with(".txt") && !stored.contains("rm"),
        "{stored}"
    );
    assert!(
        stored
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '.'),
        "{stored}"
    );
}

#[test]
fn a_document_write_that_fails_midway_leaves_nothing() {
    let f = fixture();
    let store = f.library.store();
    let mut writer = store
        .documents()
        .begin_create(&NewDocument {
            class_id: f.class.id.clone(),
            title: "Half".into(),
            file_path: "ab/abcd.pdf".into(),
            content_hash: "abcd".into(),
            kind: DocumentKind::Pdf,
            mime: "application/pdf".into(),
        })
        .unwrap();
    let page = |number| DocumentPage {
        number,
        text: "text".into(),
    };
    writer.add_page(&page(1), vec!["chunk".into()]).unwrap();
    let error = writer.add_page(&page(1), vec![]).unwrap_err();
    assert!(matches!(error, StoreError::Db { .. }), "{error:?}");
    let id = writer.document().id.clone();
    drop(writer);
    assert!(
        store
            .documents()
            .list_by_class(&f.class.id)
            .unwrap()
            .is_empty()
    );
    assert!(store.documents().pages(&id).unwrap().is_empty());
    assert_eq!(
        store
            .chunks()
            .count_by_source(&ChunkSource::Document(id))
            .unwrap(),
        0
    );
}
