//! `littlemonster notes`: study notes of a lecture, a document or a class, written by the local
//! model as a durable job (map-reduce over the whole material, with citations).

use std::path::PathBuf;

use anyhow::Context;
use lm_core::study::notes::{self, NotesRequest};

use super::jobs::run_job;
use crate::ModelArgs;
use crate::library::{ScopeArgs, open_services};
use crate::stats::Stats;

/// Arguments of `littlemonster notes`.
#[derive(Debug, clap::Args)]
pub struct NotesArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// Write the Markdown to this file instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The note's title (default: the lecture's, document's or class's name).
    #[arg(long)]
    title: Option<String>,
    /// Sampling seed, for reproducible notes.
    #[arg(long, default_value_t = 42)]
    seed: u32,
    #[command(flatten)]
    model: ModelArgs,
}

/// Queues the notes job, runs it with progress on stderr, and prints (or writes) the note.
pub fn run(args: NotesArgs, stats: Stats) -> anyhow::Result<()> {
    let services = open_services(args.model.llm_settings())?;
    let store = services.library().store();
    let request = NotesRequest {
        scope: args.scope.resolve(services.library())?,
        title: args.title,
        seed: args.seed,
        threads: args.model.threads,
    };
    let job_id = notes::enqueue(store, &request)?;
    eprintln!("notes job {job_id} queued");
    run_job(&services, &job_id)?;
    let note = store
        .notes()
        .find_by_job(&job_id)?
        .context("the notes job finished without storing its note")?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &note.markdown)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("{}", path.display());
        }
        None => println!("{}", note.markdown.trim_end()),
    }
    eprintln!("note {} \"{}\"", note.id, note.title);
    stats.report(
        "notes",
        serde_json::json!({
            "note_id": note.id,
            "citations": note.citations.len(),
            "markdown_chars": note.markdown.chars().count(),
            "threads": args.model.threads,
        }),
    );
    Ok(())
}
