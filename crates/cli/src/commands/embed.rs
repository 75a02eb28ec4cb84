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
    /// ONNX Runtime intra-op threads (the embedder's default when omitted).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Texts per inference call (the embedder's default when omitted).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    batch_size: Option<u16>,
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
        options.threads = usize::from(threads);
    }
    if let Some(batch_size) = args.batch_size {
        options.batch_size = usize::from(batch_size);
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
            "batch_size": options.batch_size,
            "threads": options.threads,
        }),
    );
    Ok(())
}
