//! `littlemonster`: Little Monster's core from the shell, for power users, scripts and tests.
//!
//! Each subcommand is a thin layer over `lm-core` and the engine crates; the domain logic lives
//! there. With `--stats`, a command also prints one `stats: {json}` line to stderr with its
//! timings, which `scripts/bench` reads.

mod commands;
mod library;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lm_services::{DEFAULT_LLM_MODEL, DEFAULT_WHISPER_MODEL, EngineSettings};

/// Little Monster, the offline study companion, on the command line.
#[derive(Debug, Parser)]
#[command(name = "littlemonster", version, about)]
struct Cli {
    /// Print one `stats: {json}` line with timings to stderr when the command finishes.
    #[arg(long, global = true)]
    stats: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List or verify the installed models.
    Models {
        #[command(subcommand)]
        action: commands::models::ModelsAction,
    },
    /// Transcribe a 16 kHz mono WAV file with Whisper.
    Transcribe(commands::transcribe::TranscribeArgs),
    /// Ask the local language model a question; with --class (or --grounded), ask about your
    /// class material and get an answer with citations.
    Ask(commands::ask::AskArgs),
    /// Embed texts into vectors (one JSON array per line on stdout).
    Embed(commands::embed::EmbedArgs),
    /// Speak text into a WAV file with the Piper voice.
    Say(commands::say::SayArgs),
    /// Import lectures and documents (files or folders) into a class; transcribe and index them.
    Import(commands::import::ImportArgs),
    /// List, run, cancel or retry background jobs (transcriptions, ...).
    Jobs {
        #[command(subcommand)]
        action: commands::jobs::JobsAction,
    },
    /// Print a lecture's stored transcript.
    Transcript(commands::transcript::TranscriptArgs),
    /// List the microphones a recording can use.
    Devices(commands::devices::DevicesArgs),
    /// Record a lecture into a class, with a live transcript.
    Record(commands::record::RecordArgs),
    /// Search lectures and documents (full-text, semantic or hybrid).
    Search(commands::search::SearchArgs),
    /// List, show, rename or delete assistant conversations.
    Conversations {
        #[command(subcommand)]
        action: commands::conversations::ConversationsAction,
    },
    /// Write study notes of a lecture, a document or a class (Markdown with citations).
    Notes(commands::notes::NotesArgs),
    /// Generate quizzes from your material, take them, and see your scores.
    Quiz {
        #[command(subcommand)]
        action: commands::quiz::QuizAction,
    },
    /// Flashcards: generate, review on the FSRS schedule, edit, import and export as CSV.
    Cards {
        #[command(subcommand)]
        action: commands::cards::CardsAction,
    },
    /// Read text or a note aloud into a WAV file, sentence by sentence.
    ReadAloud(commands::read_aloud::ReadAloudArgs),
}

/// Shared flags of the commands that load a model.
#[derive(Debug, Default, clap::Args)]
struct ModelArgs {
    /// Catalog id of the model to use (see `littlemonster models list`), or a path to a model file.
    #[arg(long)]
    model: Option<String>,
    /// CPU threads for the engine.
    #[arg(long)]
    threads: Option<u32>,
}

impl ModelArgs {
    /// Engine settings where `--model` names the speech-to-text model (transcription jobs).
    fn whisper_settings(&self) -> EngineSettings {
        EngineSettings {
            whisper_model: self.model.clone().unwrap_or(DEFAULT_WHISPER_MODEL.into()),
            threads: self.threads,
            ..EngineSettings::default()
        }
    }

    /// Engine settings where `--model` names the language model (chat, notes, quizzes, cards).
    fn llm_settings(&self) -> EngineSettings {
        EngineSettings {
            llm_model: self.model.clone().unwrap_or(DEFAULT_LLM_MODEL.into()),
            threads: self.threads,
            ..EngineSettings::default()
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stats = stats::Stats::new(cli.stats);
    let result = match cli.command {
        Command::Models { action } => commands::models::run(action),
        Command::Transcribe(args) => commands::transcribe::run(args, stats),
        Command::Ask(args) => commands::ask::run(args, stats),
        Command::Embed(args) => commands::embed::run(args, stats),
        Command::Say(args) => commands::say::run(args, stats),
        Command::Import(args) => commands::import::run(args, stats),
        Command::Jobs { action } => commands::jobs::run(action, stats),
        Command::Transcript(args) => commands::transcript::run(args),
        Command::Devices(args) => commands::devices::run(args),
        Command::Record(args) => commands::record::run(args),
        Command::Search(args) => commands::search::run(args, stats),
        Command::Conversations { action } => commands::conversations::run(action),
        Command::Notes(args) => commands::notes::run(args, stats),
        Command::Quiz { action } => commands::quiz::run(action, stats),
        Command::Cards { action } => commands::cards::run(action, stats),
        Command::ReadAloud(args) => commands::read_aloud::run(args, stats),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("littlemonster: {error:#}");
            ExitCode::FAILURE
        }
    }
}
