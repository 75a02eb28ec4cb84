//! `littlemonster ask`: one question to the local language model, answer streamed to stdout.

use std::io::Write;

use anyhow::{Context, bail};
use lm_core::engines::{ChatMessage, ChatRole, GenerateOptions, Llm};
use lm_core::workers::llm::WorkerLlm;

use crate::ModelArgs;
use crate::stats::Stats;

/// Arguments of `littlemonster ask`.
#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The question.
    question: String,
    #[command(flatten)]
    model: ModelArgs,
    /// Upper bound on the answer's length, in tokens.
    #[arg(long, default_value_t = 512)]
    max_tokens: u32,
    /// Sampling temperature; 0 always picks the most likely token.
    #[arg(long, default_value_t = 0.7)]
    temperature: f32,
    /// Sampling seed, for a reproducible answer.
    #[arg(long, default_value_t = 42)]
    seed: u32,
    /// A system prompt to put before the question.
    #[arg(long)]
    system: Option<String>,
    /// Constrain the answer to JSON matching the JSON Schema in this file.
    #[arg(long)]
    json_schema: Option<std::path::PathBuf>,
}

/// Streams the answer token by token, then a newline.
pub fn run(args: AskArgs, stats: Stats) -> anyhow::Result<()> {
    if args.question.trim().is_empty() {
        bail!("the question is empty");
    }
    let json_schema = match &args.json_schema {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read JSON Schema {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not valid JSON", path.display()))?,
            )
        }
        None => None,
    };
    let llm = WorkerLlm::new(args.model.resolve("smollm2-135m")?);
    let mut messages = Vec::new();
    if let Some(system) = args.system {
        messages.push(ChatMessage {
            role: ChatRole::System,
            content: system,
        });
    }
    messages.push(ChatMessage {
        role: ChatRole::User,
        content: args.question,
    });
    let options = GenerateOptions {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        seed: args.seed,
        json_schema,
        threads: args.model.threads,
    };
    let mut stdout = std::io::stdout().lock();
    let generation = llm.chat(&messages, &options, &mut |piece| {
        // A closed pipe (`| head`) must not abort generation midway with a panic.
        let _ = stdout
            .write_all(piece.as_bytes())
            .and_then(|()| stdout.flush());
    })?;
    writeln!(stdout)?;
    stats.report(
        "ask",
        serde_json::json!({
            "prompt_tokens": generation.prompt_tokens,
            "completion_tokens": generation.completion_tokens,
            "tokens_per_second": generation.tokens_per_second,
            "finish_reason": generation.finish_reason,
            "threads": args.model.threads,
        }),
    );
    Ok(())
}
