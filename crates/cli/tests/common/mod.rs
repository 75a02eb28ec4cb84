//! What the CLI's integration tests share: running the built `littlemonster` on a library.
#![allow(clippy::unwrap_used)] // Tests may unwrap.
#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::path::Path;
use std::process::{Command, Output};

/// `littlemonster` working on the library in `data`, with the installed models (it needs Whisper
/// tiny.en and the Silero VAD) and the freshly built workers.
pub fn littlemonster(data: &Path) -> Command {
    lm_testkit::require_model("whisper-tiny.en", "ggml-tiny.en.bin");
    lm_testkit::require_model("silero-vad", "silero_vad_16k_sequence.onnx");
    let worker = lm_testkit::built_binary("lm-stt-worker");
    let mut command = Command::new(env!("CARGO_BIN_EXE_littlemonster"));
    command
        .env("LITTLEMONSTER_DATA_DIR", data)
        .env("LITTLEMONSTER_MODELS_DIR", lm_core::paths::models_dir())
        .env("LITTLEMONSTER_WORKER_DIR", worker.parent().unwrap());
    command
}

/// Runs `command` to the end; its stdout, also echoed with its stderr for a failing test's log.
pub fn run(command: &mut Command) -> (Output, String) {
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    (output, stdout)
}
