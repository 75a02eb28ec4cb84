//! The language model itself: llama.cpp through `llama-cpp-2`.
//!
//! [`Engine::load`] checks the file before llama.cpp sees it (an abort inside llama.cpp cannot be
//! caught), loads the model once, and picks its chat template. Each [`Engine::chat`] gets a fresh
//! context, so no state leaks between requests and a per-request thread count is free; for the
//! small models this worker runs, creating a context costs milliseconds.

use std::fs::File;
use std::io::Read;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use lm_worker_protocol::WorkerError;
use lm_worker_protocol::llm::{ChatOptions, Finish, LlamaModelInfo, LlmResult, Message};

use crate::logs;
use crate::utf8::Utf8Stream;

/// Context size used when `--ctx` is not given (capped by the model's trained context).
pub const DEFAULT_CTX: u32 = 2048;

/// Tokens decoded per `llama_decode` call while reading the prompt.
const PROMPT_BATCH: u32 = 512;

/// How to load the model.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The GGUF file.
    pub model: PathBuf,
    /// Requested context size; the model's trained context caps it.
    pub ctx: u32,
    /// Default CPU threads for requests that do not name their own.
    pub threads: u32,
    /// A llama.cpp template family ("chatml", "gemma", ...) that overrides the model's own.
    pub chat_template: Option<String>,
}

/// A loaded model, ready to answer requests one at a time.
pub struct Engine {
    // Declared before the backend so the model is freed first.
    model: LlamaModel,
    backend: LlamaBackend,
    template: LlamaChatTemplate,
    info: LlamaModelInfo,
}

impl Engine {
    /// Loads the GGUF model named by `config`, or explains why it cannot be used.
    pub fn load(config: &EngineConfig) -> Result<Self, WorkerError> {
        let path = &config.model;
        check_gguf(path)?;
        let backend =
            LlamaBackend::init().map_err(|e| internal(format!("cannot start llama.cpp: {e}")))?;
        logs::install();
        let model = LlamaModel::load_from_file(&backend, path, &LlamaModelParams::default())
            .map_err(|e| {
                let reason = logs::take_errors().unwrap_or_else(|| e.to_string());
                bad_model(path, format!("llama.cpp cannot load it ({reason})"))
            })?;

        let (template, template_name) = pick_template(&model, config.chat_template.as_deref())
            .map_err(|problem| bad_model(path, problem))?;
        // Prove the template renders now rather than on the first request.
        let probe = [LlamaChatMessage::new("user".into(), "Hello".into())
            .map_err(|e| internal(e.to_string()))?];
        model
            .apply_chat_template(&template, &probe, true)
            .map_err(|e| {
                bad_model(
                    path,
                    format!("chat template {template_name:?} does not render: {e}"),
                )
            })?;

        let n_ctx_train = model.n_ctx_train();
        let n_ctx = match n_ctx_train {
            0 => config.ctx,
            trained => config.ctx.min(trained),
        };
        let info = LlamaModelInfo {
            path: path.clone(),
            n_ctx,
            n_ctx_train,
            n_vocab: u32::try_from(model.n_vocab()).unwrap_or(0),
            chat_template: template_name,
            threads: config.threads.max(1),
            description: describe(&model),
        };
        let engine = Self {
            model,
            backend,
            template,
            info,
        };
        // Allocating the context once up front turns "not enough memory" into a load failure.
        engine.new_context(engine.info.threads)?;
        Ok(engine)
    }

    /// Facts about the loaded model, for the ready line.
    pub fn info(&self) -> &LlamaModelInfo {
        &self.info
    }

    /// Tokens in `text`, without the special tokens a prompt would get.
    pub fn count_tokens(&self, text: &str) -> usize {
        self.model
            .vocab()
            .tokenize(text.as_bytes(), false, false)
            .len()
    }

    /// Generates the assistant's reply to `messages`, passing each piece of text to `on_text` as
    /// soon as it forms whole characters. Generation stops early when `on_text` returns `false`
    /// (the host is gone).
    pub fn chat(
        &self,
        messages: &[Message],
        options: &ChatOptions,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<LlmResult, WorkerError> {
        if options.max_tokens == 0 {
            return Err(bad_request("max_tokens must be at least 1"));
        }
        let prompt = self.render(messages)?;
        let vocab = self.model.vocab();
        let prompt_tokens = vocab.tokenize(prompt.as_bytes(), true, true);
        if prompt_tokens.is_empty() {
            return Err(bad_request("the prompt has no tokens"));
        }
        let limit = self.info.n_ctx as usize;
        let needed = prompt_tokens.len() + options.max_tokens as usize;
        if needed > limit {
            return Err(WorkerError::ContextOverflow { needed, limit });
        }
        let mut sampler = self.sampler(options)?;
        let mut ctx = self.new_context(options.threads.unwrap_or(self.info.threads))?;

        let prompt_started = Instant::now();
        let mut batch = LlamaBatch::new(PROMPT_BATCH as usize, 1);
        let last_index = prompt_tokens.len() - 1;
        for (chunk_index, chunk) in prompt_tokens.chunks(PROMPT_BATCH as usize).enumerate() {
            batch.clear();
            for (offset, token) in chunk.iter().enumerate() {
                let index = chunk_index * PROMPT_BATCH as usize + offset;
                batch
                    .add(*token, position(index), &[0], index == last_index)
                    .map_err(|e| internal(e.to_string()))?;
            }
            ctx.decode(&mut batch)
                .map_err(|e| internal(format!("prompt decoding failed: {e}")))?;
        }
        let prompt_seconds = prompt_started.elapsed().as_secs_f64();

        let generation_started = Instant::now();
        let mut text = String::new();
        let mut utf8 = Utf8Stream::default();
        let mut completion_tokens: u32 = 0;
        let mut emit = |piece: String, text: &mut String| {
            text.push_str(&piece);
            piece.is_empty() || on_text(&piece)
        };
        let finish = loop {
            // `sample` also advances the sampler chain (grammar state); accepting the token a
            // second time makes llama.cpp abort.
            let token = sampler.sample(&ctx, batch.n_tokens() - 1);
            if vocab.is_eog(token) {
                break Finish::Stop;
            }
            completion_tokens += 1;
            if !emit(
                utf8.push(&vocab.token_to_piece(token, false, None)),
                &mut text,
            ) {
                return Err(internal(
                    "generation stopped: the host stopped reading".into(),
                ));
            }
            if completion_tokens >= options.max_tokens {
                break Finish::Length;
            }
            batch.clear();
            let pos = prompt_tokens.len() + completion_tokens as usize - 1;
            batch
                .add(token, position(pos), &[0], true)
                .map_err(|e| internal(e.to_string()))?;
            ctx.decode(&mut batch)
                .map_err(|e| internal(format!("decoding failed: {e}")))?;
        };
        if !emit(utf8.finish(), &mut text) {
            return Err(internal(
                "generation stopped: the host stopped reading".into(),
            ));
        }
        let generation_seconds = generation_started.elapsed().as_secs_f64();

        if options.json_schema.is_some() && finish == Finish::Length {
            return Err(WorkerError::OutputCutOff {
                max_tokens: options.max_tokens,
            });
        }
        Ok(LlmResult::Generation {
            text,
            prompt_tokens: u32::try_from(prompt_tokens.len()).unwrap_or(u32::MAX),
            completion_tokens,
            finish,
            prompt_tokens_per_second: per_second(prompt_tokens.len(), prompt_seconds),
            tokens_per_second: per_second(completion_tokens as usize, generation_seconds),
        })
    }

    /// The conversation rendered through the chat template, ending with the assistant's turn.
    fn render(&self, messages: &[Message]) -> Result<String, WorkerError> {
        if messages.is_empty() {
            return Err(bad_request("a chat needs at least one message"));
        }
        let chat = messages
            .iter()
            .map(|m| LlamaChatMessage::new(m.role.as_str().into(), m.content.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad_request(format!("message cannot be sent to the model: {e}")))?;
        self.model
            .apply_chat_template(&self.template, &chat, true)
            .map_err(|e| internal(format!("chat template failed: {e}")))
    }

    /// The sampler chain: the JSON grammar first (so later stages only see allowed tokens),
    /// then greedy or seeded sampling.
    fn sampler(&self, options: &ChatOptions) -> Result<LlamaSampler, WorkerError> {
        let mut chain = Vec::new();
        if let Some(schema) = &options.json_schema {
            let grammar =
                llama_cpp_2::json_schema_to_grammar(&schema.to_string()).map_err(|e| {
                    bad_request(format!("the JSON schema cannot become a grammar: {e}"))
                })?;
            chain.push(
                LlamaSampler::grammar(&self.model, &grammar, "root")
                    .map_err(|e| bad_request(format!("the grammar was rejected: {e}")))?,
            );
        }
        if options.temperature <= 0.0 {
            chain.push(LlamaSampler::greedy());
        } else {
            chain.extend([
                LlamaSampler::top_k(40),
                LlamaSampler::top_p(0.95, 1),
                LlamaSampler::min_p(0.05, 1),
                LlamaSampler::temp(options.temperature),
                LlamaSampler::dist(options.seed),
            ]);
        }
        Ok(LlamaSampler::chain(chain, true))
    }

    fn new_context(&self, threads: u32) -> Result<LlamaContext<'_>, WorkerError> {
        let threads = i32::try_from(threads.max(1)).unwrap_or(1);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(self.info.n_ctx))
            .with_n_batch(PROMPT_BATCH)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        self.model.new_context(&self.backend, params).map_err(|e| {
            let reason = logs::take_errors().unwrap_or_else(|| e.to_string());
            internal(format!(
                "cannot create a {}-token context: {reason}",
                self.info.n_ctx
            ))
        })
    }
}

/// Rejects files llama.cpp would choke on before it sees them: missing, empty, not GGUF, or an
/// unknown GGUF version. Truncation past the header is caught by llama.cpp's own loader.
fn check_gguf(path: &Path) -> Result<(), WorkerError> {
    let metadata =
        std::fs::metadata(path).map_err(|e| bad_model(path, format!("cannot read it: {e}")))?;
    if !metadata.is_file() {
        return Err(bad_model(path, "not a file".into()));
    }
    if metadata.len() == 0 {
        return Err(bad_model(path, "the file is empty".into()));
    }
    let mut header = [0u8; 8];
    let mut file = File::open(path).map_err(|e| bad_model(path, format!("cannot open it: {e}")))?;
    file.read_exact(&mut header).map_err(|_| {
        bad_model(
            path,
            format!("only {} bytes: too short for a GGUF file", metadata.len()),
        )
    })?;
    if &header[..4] != b"GGUF" {
        return Err(bad_model(
            path,
            "not a GGUF model file (no GGUF signature)".into(),
        ));
    }
    let version = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if !(2..=3).contains(&version) {
        return Err(bad_model(
            path,
            format!("unsupported GGUF version {version}"),
        ));
    }
    Ok(())
}

/// The template to use and its name: an explicit choice, else the model's own, else a family
/// guessed from the architecture (Gemma GGUFs often ship without one).
fn pick_template(
    model: &LlamaModel,
    requested: Option<&str>,
) -> Result<(LlamaChatTemplate, String), String> {
    let by_name = |name: &str| {
        LlamaChatTemplate::new(name)
            .map(|t| (t, name.to_owned()))
            .map_err(|e| format!("bad chat template name {name:?}: {e}"))
    };
    if let Some(name) = requested {
        return by_name(name);
    }
    if let Ok(template) = model.chat_template(None) {
        return Ok((template, "embedded".into()));
    }
    let architecture = model
        .meta_val_str("general.architecture")
        .unwrap_or_default();
    by_name(if architecture.starts_with("gemma") {
        "gemma"
    } else {
        "chatml"
    })
}

fn describe(model: &LlamaModel) -> String {
    let name = model.meta_val_str("general.name").unwrap_or_default();
    let architecture = model
        .meta_val_str("general.architecture")
        .unwrap_or_default();
    format!(
        "{name} ({architecture}, {} parameters, {} bytes)",
        model.n_params(),
        model.size()
    )
}

fn position(index: usize) -> i32 {
    // The context check bounds every position far below i32::MAX.
    i32::try_from(index).unwrap_or(i32::MAX)
}

fn per_second(tokens: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        tokens as f64 / seconds
    } else {
        0.0
    }
}

fn bad_model(path: &Path, message: String) -> WorkerError {
    WorkerError::BadModel {
        path: path.to_path_buf(),
        message,
    }
}

fn bad_request(message: impl Into<String>) -> WorkerError {
    WorkerError::BadRequest {
        message: message.into(),
    }
}

fn internal(message: String) -> WorkerError {
    WorkerError::Internal { message }
}
