//! `lm-stt-worker`: speech to text with whisper.cpp for Little Monster.
//!
//! Started by the app's supervisor as `lm-stt-worker --model PATH [--threads N] [--beam-size N]`, it checks the
//! CPU, loads the ggml model, writes one ready line on stdout, then answers `transcribe` requests
//! from stdin one at a time (see `lm_worker_protocol::stt`), streaming each segment as whisper
//! finishes it, and exits when stdin closes. If it cannot start it writes a `fatal` line and exits
//! with status 2. whisper.cpp's own log goes to stderr, which the supervisor keeps for crash reports.

mod audio;
mod cpu;
mod engine;
mod words;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lm_worker_protocol::serve::{report_fatal, serve};
use lm_worker_protocol::stt::Stt;
use lm_worker_protocol::{Ready, WorkerError};

use crate::engine::Engine;

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    version,
    about = "Little Monster's speech-to-text worker (whisper.cpp)"
)]
struct Args {
    /// The whisper.cpp ggml model file.
    #[arg(long)]
    model: PathBuf,
    /// Default CPU threads per request. One is the safe default: ggml's threads wait for each
    /// other by spinning, and on a busy two-core machine two threads can be several times slower.
    #[arg(long, default_value_t = 1)]
    threads: u32,
    /// Beam width for decoding; 1 decodes greedily. The default 5 halved tiny.en's word error
    /// rate on lecture-like speech (12.8 % to 6.4 %) for about 40 % more CPU time.
    #[arg(long, default_value_t = 5)]
    beam_size: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let engine =
        match cpu::check().and_then(|()| Engine::load(&args.model, args.threads, args.beam_size)) {
            Ok(engine) => engine,
            Err(error) => return fail_startup(error),
        };
    let ready = Ready::<Stt>::new(env!("CARGO_PKG_VERSION"), engine.model_info());
    match serve(ready, |request, emitter| engine.handle(request, emitter)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("lm-stt-worker: {error}");
            ExitCode::FAILURE
        }
    }
}

fn fail_startup(error: WorkerError) -> ExitCode {
    eprintln!("lm-stt-worker: {error}");
    if let Err(write_error) = report_fatal::<Stt>(error) {
        eprintln!("lm-stt-worker: cannot report to the host: {write_error}");
    }
    ExitCode::from(2)
}
