//! `lm-llm-worker`: runs a GGUF language model with llama.cpp for Little Monster.
//!
//! Started by the app's supervisor as `lm-llm-worker --model PATH [--ctx N] [--threads N]
//! [--chat-template NAME]`, it loads the model, writes one ready line on stdout, then answers
//! `chat` and `count_tokens` requests from stdin one at a time (see
//! `lm_worker_protocol::llm`) and exits when stdin closes. If the model cannot be loaded it writes
//! a `fatal` line naming the file and exits with status 2.

mod cpu;
mod engine;
mod logs;
mod utf8;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lm_worker_protocol::llm::{Llm, LlmRequest, LlmResult, LlmStream};
use lm_worker_protocol::serve::{Emitter, report_fatal, serve};
use lm_worker_protocol::{Ready, WorkerError};

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

fn main() -> ExitCode {
    let args = Args::parse();
    let missing = cpu::missing_features();
    if !missing.is_empty() {
        let message = format!(
            "this computer's CPU lacks {} instructions, which this build of the language model \
             engine needs",
            missing.join(", ")
        );
        return fail_startup(WorkerError::UnsupportedCpu { missing, message });
    }
    let config = EngineConfig {
        model: args.model,
        ctx: args.ctx,
        threads: args.threads,
        chat_template: args.chat_template,
    };
    let engine = match Engine::load(&config) {
        Ok(engine) => engine,
        Err(error) => return fail_startup(error),
    };
    let ready = Ready::<Llm>::new(env!("CARGO_PKG_VERSION"), engine.info().clone());
    match serve(ready, |request, emitter| answer(&engine, request, emitter)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lm-llm-worker: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one request, streaming generated text as it comes.
fn answer(
    engine: &Engine,
    request: LlmRequest,
    emitter: &Emitter<Llm>,
) -> Result<LlmResult, WorkerError> {
    match request {
        LlmRequest::CountTokens { text } => Ok(LlmResult::TokenCount {
            count: engine.count_tokens(&text),
        }),
        LlmRequest::Chat { messages, options } => engine.chat(&messages, &options, &mut |text| {
            emitter.stream(LlmStream::Token {
                text: text.to_owned(),
            });
            !emitter.host_gone()
        }),
    }
}

fn fail_startup(error: WorkerError) -> ExitCode {
    eprintln!("lm-llm-worker: {error}");
    if let Err(write_error) = report_fatal::<Llm>(error) {
        eprintln!("lm-llm-worker: cannot report to the host: {write_error}");
    }
    ExitCode::from(2)
}
