//! `littlemonster embed`: texts to vectors with the local embedding model.

use std::path::PathBuf;

use anyhow::{Context, bail};
use lm_core::engines::Embedder;
use lm_embed::{FastEmbedder, FastEmbedderOptions};

use crate::stats::Stats;

/// Arguments of `littlemonster embed`.
#[derive(Debug, clap::Args)]
pub struct EmbedArgs {
    /// Texts to embed.
    texts: Vec<String>,
    /// Also embed each non-empty line of this UTF-8 file.
    #[arg(long)]
    file: Option<PathBuf>,
    /// ONNX Runtime threads.
    #[arg(long)]
    threads: Option<usize>,
}

/// Prints one JSON array of floats per text, in input order.
pub fn run(args: EmbedArgs, stats: Stats) -> anyhow::Result<()> {
    let mut texts = args.texts;
    if let Some(file) = &args.file {
        let content = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {} as UTF-8 text", file.display()))?;
        texts.extend(
            content
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    if texts.is_empty() {
        bail!("nothing to embed: give texts as arguments or --file FILE");
    }
    let mut options = FastEmbedderOptions::default();
    if let Some(threads) = args.threads {
        options.threads = threads;
    }
    let embedder = FastEmbedder::new(&options)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // Throughput counts inference only, not model loading, so it compares with raw ONNX Runtime.
    let started = std::time::Instant::now();
    let vectors = embedder.embed(&refs)?;
    let embed_seconds = started.elapsed().as_secs_f64().max(1e-6);
    for vector in &vectors {
        println!("{}", serde_json::to_string(vector)?);
    }
    stats.report(
        "embed",
        serde_json::json!({
            "texts": texts.len(),
            "embed_ms": embed_seconds * 1000.0,
            "texts_per_second": texts.len() as f64 / embed_seconds,
        }),
    );
    Ok(())
}
