//! The language model through the supervised llama.cpp worker (`lm-llm-worker`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use lm_worker_protocol::llm::{self as wire, LlamaModelInfo, LlmRequest, LlmResult, LlmStream};

use super::{Supervisor, WorkerEvent, WorkerSpec};
use crate::engines::{
    ChatMessage, ChatRole, EngineError, FinishReason, GenerateOptions, Generation, Llm,
};
use crate::models::ModelFormat;

/// File name of the llm worker executable in [`crate::paths::worker_dir`].
pub const LLM_WORKER_BINARY: &str = "lm-llm-worker";

/// Context window used unless the caller asks for another; the worker caps it at the model's
/// trained context. 2048 tokens hold a question, a few retrieved passages and a short answer.
pub const DEFAULT_CONTEXT_SIZE: u32 = 2048;

/// Threads used when neither the spec nor the request names a count. One, because ggml's threads
/// wait for each other by spinning: on a busy two-core machine two threads were measured several
/// times slower than one. The worker is started with `OMP_WAIT_POLICY=passive`, which softens
/// that, so callers on idle machines may raise it per request ([`GenerateOptions::threads`]).
pub const DEFAULT_LLM_THREADS: u32 = 1;

/// An [`Llm`] backed by a supervised `lm-llm-worker` process.
pub struct WorkerLlm {
    supervisor: Supervisor<wire::Llm>,
}

impl WorkerLlm {
    /// A language model for the GGUF file at `model` with [`DEFAULT_CONTEXT_SIZE`] and
    /// [`DEFAULT_LLM_THREADS`], using the worker in [`crate::paths::worker_dir`]. Nothing starts
    /// until the first request.
    pub fn new(model: PathBuf) -> Self {
        Self::with_spec(Self::default_spec(
            model,
            DEFAULT_CONTEXT_SIZE,
            DEFAULT_LLM_THREADS,
        ))
    }

    /// The spec [`WorkerLlm::new`] uses: `--ctx` and `--threads`, passive OpenMP waiting, 120 s
    /// to load, a worker silent for 5 minutes mid-request counts as hung, unload after 10 idle
    /// minutes. Add `--chat-template NAME` to `args` for a model whose GGUF lacks a template.
    pub fn default_spec(model: PathBuf, context_size: u32, threads: u32) -> WorkerSpec {
        let mut spec = WorkerSpec::new(LLM_WORKER_BINARY, model, ModelFormat::Gguf);
        spec.args = vec![
            OsString::from("--ctx"),
            OsString::from(context_size.to_string()),
            OsString::from("--threads"),
            OsString::from(threads.max(1).to_string()),
        ];
        spec.env = vec![(OsString::from("OMP_WAIT_POLICY"), OsString::from("passive"))];
        spec.ready_timeout = Duration::from_secs(120);
        spec.stall_timeout = Some(Duration::from_secs(300));
        spec.idle_timeout = Some(Duration::from_secs(600));
        spec
    }

    /// A language model with a custom spec (tests use it to point at a freshly built worker).
    pub fn with_spec(spec: WorkerSpec) -> Self {
        Self {
            supervisor: Supervisor::new(spec),
        }
    }

    /// The supervisor of the worker process (its pid, an explicit start or stop).
    pub fn supervisor(&self) -> &Supervisor<wire::Llm> {
        &self.supervisor
    }

    /// Facts about the loaded model (context size, vocabulary, chat template), starting the
    /// worker if needed.
    pub fn model_info(&self) -> Result<LlamaModelInfo, EngineError> {
        Ok(self.supervisor.ensure_started()?.model)
    }
}

impl Llm for WorkerLlm {
    /// Cancelling kills the worker mid-generation; the next request restarts it.
    fn chat(
        &self,
        messages: &[ChatMessage],
        options: &GenerateOptions,
        cancel: Option<&AtomicBool>,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<Generation, EngineError> {
        let request = LlmRequest::Chat {
            messages: messages.iter().map(wire_message).collect(),
            options: wire::ChatOptions {
                max_tokens: options.max_tokens,
                temperature: options.temperature,
                seed: options.seed,
                json_schema: options.json_schema.clone(),
                threads: options.threads,
            },
        };
        let mut on_event = |event: WorkerEvent<wire::Llm>| match event {
            WorkerEvent::Stream(LlmStream::Token { text }) => on_token(&text),
            WorkerEvent::Progress(_) => {}
        };
        match self
            .supervisor
            .request_cancellable(request, cancel, &mut on_event)?
        {
            LlmResult::Generation {
                text,
                prompt_tokens,
                completion_tokens,
                finish,
                prompt_tokens_per_second,
                tokens_per_second,
            } => {
                tracing::debug!(
                    prompt_tokens,
                    prompt_tokens_per_second,
                    completion_tokens,
                    tokens_per_second,
                    "llm chat"
                );
                Ok(Generation {
                    text,
                    prompt_tokens,
                    completion_tokens,
                    finish_reason: match finish {
                        wire::Finish::Stop => FinishReason::Stop,
                        wire::Finish::Length => FinishReason::Length,
                    },
                    tokens_per_second,
                    prompt_tokens_per_second,
                })
            }
            other => Err(mismatched("chat", &other)),
        }
    }

    fn count_tokens(&self, text: &str) -> Result<usize, EngineError> {
        match self.supervisor.request(
            LlmRequest::CountTokens {
                text: text.to_owned(),
            },
            &mut |_| {},
        )? {
            LlmResult::TokenCount { count } => Ok(count),
            other => Err(mismatched("count_tokens", &other)),
        }
    }

    fn context_size(&self) -> Result<usize, EngineError> {
        Ok(self.model_info()?.n_ctx as usize)
    }
}

fn wire_message(message: &ChatMessage) -> wire::Message {
    let role = match message.role {
        ChatRole::System => wire::Role::System,
        ChatRole::User => wire::Role::User,
        ChatRole::Assistant => wire::Role::Assistant,
    };
    wire::Message {
        role,
        content: message.content.clone(),
    }
}

/// A result of the wrong kind means host and worker disagree about the protocol.
fn mismatched(request: &str, result: &LlmResult) -> EngineError {
    EngineError::Other(format!(
        "llm worker answered a {request} request with {result:?}"
    ))
}
