//! A 200 MB text file is read as a stream: the process's peak memory grows by a few megabytes,
//! not by the size of the file. (Its own test binary, so no other test shares the process.)

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

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
fn a_200_mb_text_file_is_streamed_in_bounded_memory() {
    const SIZE: u64 = 200 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge log.txt");
    let paragraph = "Enzymes lower the activation energy of reactions in the cell. ".repeat(8);
    let mut written = 0_u64;
    let mut out = BufWriter::new(File::create(&path).unwrap());
    let mut index = 0_u64;
    while written < SIZE {
        let text = format!("Entry {index}: {paragraph}\n\n");
        out.write_all(text.as_bytes()).unwrap();
        written += text.len() as u64;
        index += 1;
    }
    out.flush().unwrap();
    drop(out);

    let before = peak_rss();
    let started = Instant::now();
    let mut reader = lm_documents::open(&path).unwrap();
    let (mut pages, mut paragraphs, mut last_number) = (0_u64, 0_u64, 0_u32);
    for page in reader.by_ref() {
        let page = page.unwrap();
        assert_eq!(page.number, last_number + 1);
        last_number = page.number;
        pages += 1;
        for block in &page.blocks {
            // Every paragraph arrives whole and in order.
            assert!(
                block
                    .text()
                    .starts_with(&format!("Entry {paragraphs}: Enzymes"))
            );
            assert!(block.text().ends_with("reactions in the cell."));
            paragraphs += 1;
        }
    }
    let growth = peak_rss().saturating_sub(before);
    eprintln!(
        "200 MB text: {pages} pages in {:.1} s, peak memory grew {:.1} MB",
        started.elapsed().as_secs_f64(),
        growth as f64 / 1e6
    );
    assert_eq!(paragraphs, index, "every paragraph read");
    // Pages are at most 1.5 × TEXT_PAGE_BYTES.
    let fewest = SIZE / (lm_documents::TEXT_PAGE_BYTES as u64 * 3 / 2);
    assert!(pages >= fewest, "{pages} pages");
    assert!(
        growth < 50 * 1024 * 1024,
        "peak memory grew by {growth} bytes"
    );
}
