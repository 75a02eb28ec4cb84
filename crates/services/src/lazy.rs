//! [`Lazy`]: an engine made on first use, shared by everyone who asks for it afterwards.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};

use lm_core::engines::{
    ChatMessage, EngineError, GenerateOptions, Generation, Llm, TranscribeOptions, Transcriber,
    TranscriptSegment,
};
use lm_core::workers::llm::WorkerLlm;
use lm_core::workers::stt::WorkerTranscriber;

use crate::ServicesError;

/// Makes the engine; called again after a failure (the model may have been installed since).
type Make<E> = Box<dyn Fn() -> Result<E, ServicesError> + Send + Sync>;

/// An engine made by the first call that needs it. For the worker-backed engines making it
/// only looks the model file up; the worker itself starts with the first request.
pub(crate) struct Lazy<E> {
    /// What the settings name (a catalog id or a path), for error messages.
    model: String,
    make: Make<E>,
    made: Mutex<Option<Arc<E>>>,
}

impl<E> Lazy<E> {
    /// An engine for `model` that `make` makes when first needed.
    pub(crate) fn new(
        model: String,
        make: impl Fn() -> Result<E, ServicesError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            model,
            make: Box::new(make),
            made: Mutex::new(None),
        }
    }

    /// The engine, made now if it was not yet.
    pub(crate) fn get(&self) -> Result<Arc<E>, ServicesError> {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(engine) = made.as_ref() {
            return Ok(Arc::clone(engine));
        }
        let engine = Arc::new((self.make)()?);
        *made = Some(Arc::clone(&engine));
        Ok(engine)
    }

    /// [`Lazy::get`] for callers that speak [`EngineError`] (the job handlers).
    fn engine(&self) -> Result<Arc<E>, EngineError> {
        self.get()
            .map_err(|error| error.into_engine_error(&self.model))
    }
}

impl Llm for Lazy<WorkerLlm> {
    fn chat(
        &self,
        messages: &[ChatMessage],
        options: &GenerateOptions,
        cancel: Option<&AtomicBool>,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<Generation, EngineError> {
        self.engine()?.chat(messages, options, cancel, on_token)
    }

    fn count_tokens(&self, text: &str) -> Result<usize, EngineError> {
        self.engine()?.count_tokens(text)
    }

    fn context_size(&self) -> Result<usize, EngineError> {
        self.engine()?.context_size()
    }
}

impl Transcriber for Lazy<WorkerTranscriber> {
    fn transcribe(
        &self,
        wav: &Path,
        options: &TranscribeOptions,
        on_segment: &mut dyn FnMut(&TranscriptSegment),
    ) -> Result<Vec<TranscriptSegment>, EngineError> {
        self.engine()?.transcribe(wav, options, on_segment)
    }

    fn transcribe_cancellable(
        &self,
        wav: &Path,
        options: &TranscribeOptions,
        cancel: Option<&AtomicBool>,
        on_segment: &mut dyn FnMut(&TranscriptSegment),
    ) -> Result<Vec<TranscriptSegment>, EngineError> {
        self.engine()?
            .transcribe_cancellable(wav, options, cancel, on_segment)
    }
}
