//! A big text file imports in bounded memory: pages are extracted, chunked and spooled one at a
//! time, then written in one transaction. (Its own test binary, so no other test shares the
//! process whose peak memory is measured.)
//!
//! The file is 32 MB so the debug-build suite stays quick; memory must grow by less than half
//! the file, which holding its text (let alone its chunks) would exceed. Measured with 200 MB:
//! 34,152 pages, 136,606 chunks, peak memory +5.5 MB, 178 s in a debug build on 2 busy cores
//! (lm-documents' own test streams 200 MB through extraction).

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use lm_core::document_import::import_document;
use lm_core::library::LibraryRoot;
use lm_core::store::ChunkSource;

/// Peak resident memory of this process so far (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn a_big_text_file_imports_in_bounded_memory() {
    const SIZE: u64 = 32 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let library = LibraryRoot::new(dir.path())
        .open_or_create_default("Student")
        .unwrap();
    let class = library.class_named("Biology").unwrap();
    let path = dir.path().join("lab log.txt");
    let paragraph = "Enzymes lower the activation energy of reactions in the cell. ".repeat(8);
    let mut out = BufWriter::new(File::create(&path).unwrap());
    let (mut written, mut entries) = (0_u64, 0_u64);
    while written < SIZE {
        let text = format!("Entry {entries}: {paragraph}\n\n");
        out.write_all(text.as_bytes()).unwrap();
        written += text.len() as u64;
        entries += 1;
    }
    out.flush().unwrap();
    drop(out);

    let before = peak_rss();
    let started = Instant::now();
    let import = import_document(&library, &class.id, &path).unwrap();
    let growth = peak_rss().saturating_sub(before);
    eprintln!(
        "{} MB text import: {} pages, {} chunks in {:.1} s, peak memory grew {:.1} MB",
        SIZE >> 20,
        import.pages,
        import.chunks,
        started.elapsed().as_secs_f64(),
        growth as f64 / 1e6
    );
    assert!(growth < SIZE / 2, "peak memory grew by {growth} bytes");
    let store = library.store();
    let source = ChunkSource::Document(import.document.id.clone());
    assert_eq!(
        store.chunks().count_by_source(&source).unwrap(),
        import.chunks
    );
    // Each 80-word entry is one chunk of its own page or shares one: at least a chunk per 3.
    assert!(import.chunks >= entries / 3, "{} chunks", import.chunks);
    assert_eq!(import.document.page_count, Some(import.pages));
}
