//! `littlemonster ask`: one question to the local language model, answer streamed to stdout.
//!
//! With `--class`, `--grounded` or `--conversation`, the question is about the student's
//! material: passages are retrieved by hybrid search, the answer cites them, and the question
//! and answer are kept as a conversation (`littlemonster conversations`).

use std::io::Write;

use anyhow::{Context, bail};
use lm_core::engines::{ChatMessage, ChatRole, GenerateOptions, Llm};

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
    /// Sampling temperature; 0 always picks the most likely token (default: 0.7, or 0.2 for a
    /// grounded answer, which should stay close to its sources).
    #[arg(long)]
    temperature: Option<f32>,
    /// Sampling seed, for a reproducible answer.
    #[arg(long, default_value_t = 42)]
    seed: u32,
    /// A system prompt to put before the question.
    #[arg(long)]
    system: Option<String>,
    /// Constrain the answer to JSON matching the JSON Schema in this file.
    #[arg(long)]
    json_schema: Option<std::path::PathBuf>,
    /// Answer from this class's lectures and documents, with citations.
    #[arg(long)]
    class: Option<String>,
    /// Answer from the material of every class, with citations.
    #[arg(long)]
    grounded: bool,
    /// Continue this conversation (grounded; its class is used unless --class is given).
    #[arg(long)]
    conversation: Option<String>,
}

/// Default sampling temperature of a plain question.
const PLAIN_TEMPERATURE: f32 = 0.7;

/// Streams the answer token by token, then a newline (and, for a grounded answer, its
/// citations and token counts).
pub fn run(args: AskArgs, stats: Stats) -> anyhow::Result<()> {
    if args.question.trim().is_empty() {
        bail!("the question is empty");
    }
    if args.class.is_some() || args.grounded || args.conversation.is_some() {
        if args.system.is_some() || args.json_schema.is_some() {
            bail!("--system and --json-schema apply to plain questions, not grounded ones");
        }
        return grounded::run(args, stats);
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
    let llm = args.model.llm_settings().worker_llm()?;
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
        temperature: args.temperature.unwrap_or(PLAIN_TEMPERATURE),
        seed: args.seed,
        json_schema,
        threads: args.model.threads,
    };
    let mut stdout = std::io::stdout().lock();
    let generation = llm.chat(&messages, &options, None, &mut |piece| {
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
            "prompt_tokens_per_second": generation.prompt_tokens_per_second,
            "finish_reason": generation.finish_reason,
            "threads": args.model.threads,
        }),
    );
    Ok(())
}

/// `ask --class`: retrieval, a cited answer, and the conversation kept.
mod grounded {
    use std::io::Write;
    use std::time::Instant;

    use lm_core::chat::{ChatService, ChatSettings};
    use lm_core::store::ConversationId;

    use super::AskArgs;
    use crate::library::{find_class, open_services};
    use crate::stats::Stats;

    /// Streams the grounded answer, then its citations (`[1] [Cells @ 12:34]`) and token counts.
    pub fn run(args: AskArgs, stats: Stats) -> anyhow::Result<()> {
        let services = open_services(args.model.llm_settings())?;
        let store = services.library().store();
        let conversation = args.conversation.map(ConversationId::from);
        let class_id = match (&args.class, &conversation) {
            (Some(name), _) => Some(find_class(services.library(), name)?),
            (None, Some(id)) => store.conversations().get(id)?.class_id,
            (None, None) => None,
        };
        let llm = services.llm()?;
        let defaults = ChatSettings::default();
        let settings = ChatSettings {
            answer_tokens: args.max_tokens,
            temperature: args.temperature.unwrap_or(defaults.temperature),
            seed: args.seed,
            threads: args.model.threads,
            ..defaults
        };
        let started = Instant::now();
        let mut first_token_ms = None;
        let mut stdout = std::io::stdout().lock();
        let answer = services.with_retriever(|retriever| {
            let chat = ChatService::new(store, llm.as_ref(), retriever, settings);
            chat.ask(
                conversation.as_ref(),
                class_id.as_ref(),
                &args.question,
                None,
                &mut |piece| {
                    first_token_ms.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
                    // A closed pipe (`| head`) must not abort the answer midway.
                    let _ = stdout
                        .write_all(piece.as_bytes())
                        .and_then(|()| stdout.flush());
                },
            )
        })??;
        writeln!(stdout)?;
        let message = &answer.message;
        if !message.citations.is_empty() {
            writeln!(stdout, "\nSources:")?;
            for citation in &message.citations {
                writeln!(stdout, "  [{}] [{}]", citation.marker, citation.label)?;
            }
        }
        if answer.grounded {
            writeln!(
                stdout,
                "\n{} prompt tokens, {} answer tokens, {:.1} tokens/s{}",
                message.prompt_tokens.unwrap_or(0),
                message.completion_tokens.unwrap_or(0),
                answer.tokens_per_second,
                if answer.cut_short {
                    " (cut short: raise --max-tokens)"
                } else {
                    ""
                }
            )?;
        }
        writeln!(stdout, "conversation {}", answer.conversation_id)?;
        stats.report(
            "ask",
            serde_json::json!({
                "grounded": answer.grounded,
                "citations": message.citations.len(),
                "prompt_tokens": message.prompt_tokens,
                "completion_tokens": message.completion_tokens,
                "tokens_per_second": answer.tokens_per_second,
                "first_token_ms": first_token_ms,
                "total_ms": started.elapsed().as_secs_f64() * 1000.0,
                "sources_left_out": answer.sources_left_out,
                "threads": args.model.threads,
            }),
        );
        Ok(())
    }
}
