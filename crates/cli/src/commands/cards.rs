//! `littlemonster cards`: flashcards generated from the material, reviewed on the FSRS
//! schedule, edited, and moved in and out as CSV.

use std::fs::File;
use std::path::PathBuf;

use anyhow::{Context, bail};
use lm_core::store::{Flashcard, FlashcardId, Rating};
use lm_core::study::flashcards::{self, CardRequest, CardSource};
use lm_services::{EngineSettings, Services};

use super::jobs::run_job;
use crate::ModelArgs;
use crate::library::{ScopeArgs, find_class, now_ms, open_services};
use crate::stats::Stats;

/// What `littlemonster cards` does.
#[derive(Debug, clap::Subcommand)]
pub enum CardsAction {
    /// Generate cards from a lecture, a document or a class with the local model.
    Generate {
        #[command(flatten)]
        scope: ScopeArgs,
        /// How many cards (1 to 50).
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Sampling seed, for reproducible cards.
        #[arg(long, default_value_t = 42)]
        seed: u32,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// The cards of a class due for review now.
    Due {
        /// The class, by name or id.
        #[arg(long)]
        class: String,
    },
    /// Record a review: 1 again (forgot), 2 hard, 3 good, 4 easy.
    Review {
        /// The card id.
        id: String,
        /// How well you remembered it, 1 to 4.
        #[arg(value_parser = clap::value_parser!(u32).range(1..=4))]
        rating: u32,
    },
    /// List the cards (of one class, or of every class).
    List {
        /// Only this class, by name or id.
        #[arg(long)]
        class: Option<String>,
    },
    /// Change a card's text.
    Edit {
        /// The card id.
        id: String,
        /// The new front (kept when omitted).
        #[arg(long)]
        front: Option<String>,
        /// The new back (kept when omitted).
        #[arg(long)]
        back: Option<String>,
    },
    /// Set a card aside (never due), or bring it back with --undo.
    Suspend {
        /// The card id.
        id: String,
        /// Unsuspend instead.
        #[arg(long)]
        undo: bool,
    },
    /// Delete a card.
    Delete {
        /// The card id.
        id: String,
    },
    /// Import cards from CSV (`front,back[,source]`, header row optional); one bad row
    /// imports nothing.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// The class the cards go to (created if new).
        #[arg(long)]
        class: String,
    },
    /// Export a class's cards as CSV (`front,back,source`).
    Export {
        /// The class, by name or id.
        #[arg(long)]
        class: String,
        /// The CSV file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// Runs a `cards` subcommand.
pub fn run(action: CardsAction, stats: Stats) -> anyhow::Result<()> {
    let settings = match &action {
        CardsAction::Generate { model, .. } => model.llm_settings(),
        _ => EngineSettings::default(),
    };
    let services = open_services(settings)?;
    let library = services.library();
    let store = library.store();
    let cards = store.flashcards();
    match action {
        CardsAction::Generate {
            scope,
            count,
            seed,
            model,
        } => generate(&services, &scope, count, seed, &model, stats)?,
        CardsAction::Due { class } => {
            let due = cards.due(&find_class(library, &class)?, now_ms())?;
            if due.is_empty() {
                println!("no cards due");
            }
            for card in &due {
                println!("{}  {}", card.id, card.front);
            }
        }
        CardsAction::Review { id, rating } => {
            let rating = Rating::from_number(rating).context("a rating is 1 to 4")?;
            let now = now_ms();
            let outcome = flashcards::review(store, &FlashcardId::from(id), rating, now, None)?;
            println!(
                "next review {} ({})",
                in_words(outcome.card.due - now),
                outcome.card.state
            );
        }
        CardsAction::List { class } => {
            let classes = match class {
                Some(class) => vec![find_class(library, &class)?],
                None => store
                    .classes()
                    .list(library.profile_id())?
                    .into_iter()
                    .map(|class| class.id)
                    .collect(),
            };
            let now = now_ms();
            for class_id in classes {
                for card in cards.list_by_class(&class_id)? {
                    println!("{}", card_line(&card, now));
                }
            }
        }
        CardsAction::Edit { id, front, back } => {
            if front.is_none() && back.is_none() {
                bail!("give --front, --back or both");
            }
            let id = FlashcardId::from(id);
            let card = cards.get(&id)?;
            let front = front.unwrap_or(card.front);
            let back = back.unwrap_or(card.back);
            let card = cards.edit(&id, &front, &back)?;
            println!("{}", card_line(&card, now_ms()));
        }
        CardsAction::Suspend { id, undo } => {
            let id = FlashcardId::from(id);
            cards.set_suspended(&id, !undo)?;
            let verb = if undo { "unsuspended" } else { "suspended" };
            println!("{verb} card {id}");
        }
        CardsAction::Delete { id } => {
            let id = FlashcardId::from(id);
            cards.delete(&id)?;
            println!("deleted card {id}");
        }
        CardsAction::Import { file, class } => {
            let class = library.class_named(&class)?;
            let reader =
                File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
            let imported = flashcards::import_csv(store, &class.id, reader)
                .with_context(|| format!("cannot import {}", file.display()))?;
            println!("imported {} cards into \"{}\"", imported.len(), class.name);
        }
        CardsAction::Export { class, output } => {
            let class_id = find_class(library, &class)?;
            // Written beside the target and renamed, so a failed export leaves no partial file.
            let folder = match output.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let file = tempfile::NamedTempFile::new_in(&folder)
                .with_context(|| format!("cannot write in {}", folder.display()))?;
            let count = flashcards::export_csv(store, &class_id, file.as_file())?;
            file.persist(&output)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("exported {count} cards to {}", output.display());
        }
    }
    Ok(())
}

/// `cards generate`: queues the flashcards job, runs it with progress, prints the new cards.
fn generate(
    services: &Services,
    scope: &ScopeArgs,
    count: usize,
    seed: u32,
    model: &ModelArgs,
    stats: Stats,
) -> anyhow::Result<()> {
    let store = services.library().store();
    let request = CardRequest {
        source: CardSource::Scope {
            scope: scope.resolve(services.library())?,
        },
        cards: count,
        seed,
        threads: model.threads,
    };
    let job_id = flashcards::enqueue(store, &request)?;
    eprintln!("flashcards job {job_id} queued");
    let job = run_job(services, &job_id)?;
    let ids = flashcards::cards_of_job(&job);
    let now = now_ms();
    for id in &ids {
        println!("{}", card_line(&store.flashcards().get(id)?, now));
    }
    stats.report(
        "cards generate",
        serde_json::json!({ "cards": ids.len(), "threads": model.threads }),
    );
    Ok(())
}

/// `ID  state  due  front | back`.
fn card_line(card: &Flashcard, now: i64) -> String {
    let due = if card.suspended {
        "suspended".to_owned()
    } else if card.due <= now {
        "due now".to_owned()
    } else {
        format!("due {}", in_words(card.due - now))
    };
    format!(
        "{}  {:<10} {:<16} {} | {}",
        card.id, card.state, due, card.front, card.back
    )
}

/// A span of time from now, in the largest whole unit ("in 10 min", "in 3 days").
fn in_words(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        0 => "now".to_owned(),
        1..=59 => format!("in {minutes} min"),
        60..=1439 => format!("in {} h", minutes / 60),
        _ => format!("in {} days", minutes / 1440),
    }
}
