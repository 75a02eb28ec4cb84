//! One module per subcommand.

pub mod ask;
pub mod embed;
pub mod models;
pub mod say;
pub mod transcribe;
