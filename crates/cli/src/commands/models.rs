//! `littlemonster models`: what is installed, and whether it is intact.

use anyhow::bail;
use lm_core::models::{CheckDepth, ModelStore};

/// What to do with the installed models.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsAction {
    /// List the catalog with install state and sizes (fast: checks sizes, not hashes).
    List,
    /// Check the sha256 of every installed file (or of one model).
    Verify {
        /// Only this model id.
        id: Option<String>,
    },
}

/// Runs a `models` action.
pub fn run(action: ModelsAction) -> anyhow::Result<()> {
    let store = ModelStore::open_default()?;
    println!("models folder: {}", store.root().display());
    match action {
        ModelsAction::List => {
            for (entry, status) in store
                .catalog()
                .entries()
                .iter()
                .zip(store.status_all(CheckDepth::SizeOnly)?)
            {
                let size: u64 = entry.files.iter().map(|f| f.size).sum();
                let state = if status.is_ok() {
                    "installed"
                } else {
                    "missing"
                };
                println!(
                    "{:<18} {:<10} {:>9}  {:<9}  {} ({})",
                    entry.id,
                    entry.role.to_string(),
                    human_size(size),
                    state,
                    entry.name,
                    entry.licence
                );
            }
        }
        ModelsAction::Verify { id } => {
            let statuses = match id {
                Some(id) => vec![store.verify(&id)?],
                None => store.status_all(CheckDepth::Full)?,
            };
            let failed = statuses.iter().filter(|s| !s.is_ok()).count();
            for status in &statuses {
                println!("{:<18} {status}", status.id);
            }
            if failed > 0 {
                bail!(
                    "{failed} model(s) missing or damaged: run scripts/fetch-models, or see models/README.md to install by hand"
                );
            }
        }
    }
    Ok(())
}

fn human_size(bytes: u64) -> String {
    const MB: f64 = 1_000_000.0;
    format!("{:.1} MB", bytes as f64 / MB)
}
