//! `littlemonster search`: find passages in a class's (or every class's) lectures and documents.

use anyhow::{Context, bail};
use lm_knowledge::{SearchMode, location_label, search};
use lm_search::{Scope, SearchFilter, SourceKind};
use lm_services::EngineSettings;

use crate::library::{find_class, open_services};
use crate::stats::Stats;

/// Arguments of `littlemonster search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// What to look for.
    query: String,
    /// Search only this class (by name); every class when omitted.
    #[arg(long)]
    class: Option<String>,
    /// How to rank: hybrid (both), text (exact words) or semantic (meaning).
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    mode: Mode,
    /// Only lectures or only documents.
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// How many hits to show.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Print the hits as one JSON array instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Mode {
    Hybrid,
    Text,
    Semantic,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    Lecture,
    Document,
}

/// Prints the hits, best first: rank, location (`Title @ 12:34` / `Title p. 7`) and snippet.
pub fn run(args: SearchArgs, stats: Stats) -> anyhow::Result<()> {
    if args.query.trim().is_empty() {
        bail!("the search query is empty");
    }
    let services = open_services(EngineSettings::default())?;
    let library = services.library();
    let store = library.store();
    let scope = match &args.class {
        Some(name) => Scope::Class(find_class(library, name)?),
        None => Scope::Everything,
    };
    let filter = SearchFilter {
        scope,
        kind: args.kind.map(|kind| match kind {
            Kind::Lecture => SourceKind::Lecture,
            Kind::Document => SourceKind::Document,
        }),
        ..SearchFilter::default()
    };
    let mode = match args.mode {
        Mode::Hybrid => SearchMode::Hybrid,
        Mode::Text => SearchMode::Text,
        Mode::Semantic => SearchMode::Semantic,
    };
    let (index, embedder) = (services.search_index(), services.embedder());
    let started = std::time::Instant::now();
    let hits = index
        .read(store, |index| {
            Ok(search(
                index,
                embedder.as_ref(),
                &args.query,
                mode,
                &filter,
                args.limit,
            ))
        })
        .context("opening the search index")??;
    let search_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut rows = Vec::with_capacity(hits.len());
    for hit in &hits {
        rows.push((location_label(store, &hit.locator)?, hit));
    }
    if args.json {
        let json: Vec<_> = rows
            .iter()
            .map(|(label, hit)| {
                let mut value = serde_json::to_value(hit)?;
                value["label"] = serde_json::json!(label);
                Ok(value)
            })
            .collect::<Result<_, serde_json::Error>>()?;
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else if rows.is_empty() {
        println!("no matches for \"{}\"", args.query);
    } else {
        for (rank, (label, hit)) in rows.iter().enumerate() {
            println!("{}. [{label}]", rank + 1);
            println!("   {}", hit.snippet.text.replace('\n', " "));
        }
    }
    stats.report(
        "search",
        serde_json::json!({ "hits": hits.len(), "search_ms": search_ms }),
    );
    Ok(())
}
