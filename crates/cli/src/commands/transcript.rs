//! `littlemonster transcript`: a lecture's stored transcript, printed or exported.

use std::path::PathBuf;

use anyhow::Context;
use lm_core::store::LectureId;
use lm_core::transcript_export::{ExportFormat, export};

use super::transcribe::timestamped_line;
use crate::library::open_library;

/// Arguments of `littlemonster transcript`.
#[derive(Debug, clap::Args)]
pub struct TranscriptArgs {
    /// The lecture id (printed by `littlemonster import`).
    lecture: String,
    /// Export format: txt, md, srt, vtt or json (default: timestamped lines for reading).
    #[arg(long, short)]
    format: Option<ExportFormat>,
    /// Write the export to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Prints or exports the lecture's segments in time order.
pub fn run(args: TranscriptArgs) -> anyhow::Result<()> {
    let library = open_library()?;
    let lecture = library
        .store()
        .lectures()
        .get(&LectureId::from(args.lecture))?;
    let rows = library.store().transcripts().list(&lecture.id)?;
    let text = match args.format {
        Some(format) => export(&rows, format, Some(&lecture.title)),
        None => {
            let mut text = format!("# {} ({})\n", lecture.title, lecture.status);
            for row in &rows {
                let line = timestamped_line(&row.segment);
                // Speaker labels go after the times: "[..] Speaker 2: text".
                match (&row.speaker, line.split_once("] ")) {
                    (Some(speaker), Some((times, said))) => {
                        text.push_str(&format!("{times}] {speaker}: {said}"));
                    }
                    _ => text.push_str(&line),
                }
                text.push('\n');
            }
            text
        }
    };
    match args.output {
        Some(path) => {
            // Written beside the target and renamed, so a failed export never leaves half a file.
            let dir = path
                .parent()
                .filter(|dir| !dir.as_os_str().is_empty())
                .unwrap_or_else(|| std::path::Path::new("."));
            let mut staged = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot write in {}", dir.display()))?;
            std::io::Write::write_all(&mut staged, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            staged
                .persist(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} segments to {}", rows.len(), path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
