//! One module per subcommand.

pub mod ask;
pub mod cards;
pub mod conversations;
pub mod devices;
pub mod embed;
pub mod import;
pub mod jobs;
pub mod models;
pub mod notes;
pub mod quiz;
pub mod read_aloud;
pub mod record;
pub mod say;
pub mod search;
pub mod transcribe;
pub mod transcript;
