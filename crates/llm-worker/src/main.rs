//! `lm-llm-worker`: runs a GGUF language model with llama.cpp for Little Monster.
//!
//! Started by the app's supervisor as `lm-llm-worker --model PATH [--ctx N] [--threads N]
//! [--chat-template NAME]`, it loads the model, writes one ready line on stdout, then answers
//! `chat` and `count_tokens` requests from stdin one at a time (see
//! `lm_worker_protocol::llm`) and exits when stdin closes. If the model cannot be loaded it writes
//! a `fatal` line naming the file and exits with status 2.

mod engine;
mod logs;
mod utf8;

use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lm_worker_protocol::codec::{CodecError, DEFAULT_MAX_LINE, LineReader, LineWriter};
use lm_worker_protocol::llm::{Llm, LlmRequest, LlmResult, LlmStream};
use lm_worker_protocol::{Ready, RequestEnvelope, WorkerError, WorkerMessage};

use crate::engine::{DEFAULT_CTX, Engine, EngineConfig};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(version, about = "Little Monster's language-model worker (llama.cpp)")]
struct Args {
    /// The GGUF model file.
    #[arg(long)]
    model: PathBuf,
    /// Context window in tokens (capped by the model's trained context).
    #[arg(long, default_value_t = DEFAULT_CTX)]
    ctx: u32,
    /// Default CPU threads per request. One is the safe default: llama.cpp's threads spin while
    /// they wait, and on a busy two-core machine two threads can be several times slower.
    #[arg(long, default_value_t = 1)]
    threads: u32,
    /// A llama.cpp chat template family ("chatml", "gemma", ...) instead of the model's own.
    #[arg(long)]
    chat_template: Option<String>,
}

type Message = WorkerMessage<Llm>;

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = LineWriter::new(io::stdout().lock());
    let config = EngineConfig {
        model: args.model,
        ctx: args.ctx,
        threads: args.threads,
        chat_template: args.chat_template,
    };
    let engine = match Engine::load(&config) {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("lm-llm-worker: {error}");
            let _ = out.send(&Message::Fatal { error });
            return ExitCode::from(2);
        }
    };
    if out.send(&Message::Ready(Ready::new(env!("CARGO_PKG_VERSION"), engine.info().clone()))).is_err() {
        return ExitCode::FAILURE;
    }

    let mut input = LineReader::new(BufReader::new(io::stdin().lock()), DEFAULT_MAX_LINE);
    loop {
        let envelope = match input.read::<RequestEnvelope<Llm>>() {
            Ok(Some(envelope)) => envelope,
            Ok(None) => return ExitCode::SUCCESS,
            Err(CodecError::Io(e)) => {
                eprintln!("lm-llm-worker: reading requests failed: {e}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                // No id can be trusted from an unreadable line; id 0 is never a real request.
                let error = WorkerError::BadRequest { message: e.to_string() };
                if out.send(&Message::Error { id: 0, error }).is_err() {
                    return ExitCode::FAILURE;
                }
                continue;
            }
        };
        if let Err(e) = answer(&engine, envelope, &mut out) {
            // The host stopped reading: nobody is left to answer.
            eprintln!("lm-llm-worker: writing to the host failed: {e}");
            return ExitCode::FAILURE;
        }
    }
}

/// Runs one request and writes its events; fails only when stdout fails.
fn answer(engine: &Engine, envelope: RequestEnvelope<Llm>, out: &mut LineWriter<impl io::Write>) -> io::Result<()> {
    let id = envelope.id;
    let outcome = match envelope.request {
        LlmRequest::CountTokens { text } => Ok(LlmResult::TokenCount { count: engine.count_tokens(&text) }),
        LlmRequest::Chat { messages, options } => {
            let mut write_failure = None;
            let outcome = engine.chat(&messages, &options, &mut |text| {
                let token = Message::Stream { id, data: LlmStream::Token { text: text.to_owned() } };
                write_failure = out.send(&token).err();
                write_failure.is_none()
            });
            if let Some(e) = write_failure {
                return Err(e);
            }
            outcome
        }
    };
    match outcome {
        Ok(data) => out.send(&Message::Result { id, data }),
        Err(error) => out.send(&Message::Error { id, error }),
    }
}
