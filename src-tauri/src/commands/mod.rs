//! The commands the UI may invoke, one module per area. Each is a thin call into `lm-core`.
//!
//! A new command must also be listed in `build.rs` and granted in `capabilities/main.json`.

pub mod app;
pub mod models;

use serde::{Serialize, Serializer};

/// A command failure; the UI receives its message as the rejected value of `invoke`.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Reading the model catalog or the models folder failed.
    #[error(transparent)]
    Model(#[from] lm_core::models::ModelError),
}

impl Serialize for CommandError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
