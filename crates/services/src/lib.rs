//! Little Monster's engines wired to one profile's library.
//!
//! Both front ends need the same wiring: the `littlemonster` CLI (`crates/cli`) and the Tauri
//! desktop shell (`src-tauri`). [`Services`] is that wiring, once: it owns the profile's
//! [`Library`] and the [`EngineSettings`] (which models, which voice, how many threads), and
//! hands out
//!
//! - [`Services::job_runner`]: a [`JobRunner`] with a handler for every job kind the core queues
//!   (transcription with Silero voice-activity detection and speaker labels, indexing, notes,
//!   quizzes, flashcards);
//! - [`Services::search_index`], [`Services::embedder`] and [`Services::with_retriever`]: hybrid
//!   search and the retriever grounded chat answers from;
//! - [`Services::llm`]: the one language-model worker every caller shares;
//! - [`Services::voice`]: the Piper voice for reading aloud.
//!
//! Nothing is loaded when a [`Services`] is made: model files are looked up, workers started
//! and ONNX models loaded by the first call that needs them, so a command that only lists
//! things never pays for an engine, and a missing model fails only the work that needs it.
//!
//! A [`Services`] holds the library's SQLite connection, so it is `Send` but not `Sync`: a
//! multi-threaded host keeps it behind a mutex, and the engines it hands out (`Arc`s) are
//! shared freely.

mod lazy;
pub mod speakers;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lm_core::engines::{Embedder, EngineError, VoiceActivityDetector};
use lm_core::ingest::{TranscribeHandler, VadFactory};
use lm_core::jobs::{JobRunner, JobRunnerError};
use lm_core::library::Library;
use lm_core::models::{ModelError, ModelStore};
use lm_core::study::flashcards::CardsJob;
use lm_core::study::notes::NotesJob;
use lm_core::study::quiz::QuizJob;
use lm_core::workers::WorkerSpec;
use lm_core::workers::llm::{DEFAULT_CONTEXT_SIZE, DEFAULT_LLM_THREADS, WorkerLlm};
use lm_core::workers::stt::{DEFAULT_STT_THREADS, WorkerTranscriber};
use lm_embed::{DIMENSIONS, FastEmbedder, FastEmbedderOptions, MODEL_ID};
use lm_knowledge::{HybridRetriever, IndexHandler, LazyEmbedder, SharedIndex};
use lm_search::SearchError;
use lm_tts::{PiperSynthesizer, PiperSynthesizerOptions};
use lm_vad::{SileroVad, SileroVadOptions};

use crate::lazy::Lazy;

/// Catalog id of the speech-to-text model used unless the settings name another.
pub const DEFAULT_WHISPER_MODEL: &str = "whisper-tiny.en";

/// Catalog id of the language model used unless the settings name another: the small model the
/// tests run; larger instruct GGUFs load the same way.
pub const DEFAULT_LLM_MODEL: &str = "smollm2-135m";

/// Catalog id of the voice used unless the settings name another.
pub const DEFAULT_VOICE: &str = lm_tts::VOICE_ID;

/// Which engines [`Services`] loads, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSettings {
    /// The Whisper model: a catalog id, or the path of a ggml file.
    pub whisper_model: String,
    /// The language model: a catalog id, or the path of a GGUF file.
    pub llm_model: String,
    /// The voice: a catalog id, or the path of a Piper `.onnx` voice (its `.onnx.json` beside it).
    pub voice: String,
    /// CPU threads for every engine; `None` keeps each engine's default (one: see the README).
    pub threads: Option<u32>,
    /// The folder holding the worker binaries (`lm-stt-worker`, `lm-llm-worker`); `None` uses
    /// [`lm_core::paths::worker_dir`]. The desktop app points it at its bundled sidecars.
    pub worker_dir: Option<PathBuf>,
}

impl EngineSettings {
    /// The language model these settings name, in its worker (not started yet: the first
    /// request starts it). Fails when the model is not installed.
    pub fn worker_llm(&self) -> Result<WorkerLlm, ServicesError> {
        let file = resolve_model_file(&self.llm_model)?;
        let threads = self.threads.unwrap_or(DEFAULT_LLM_THREADS);
        let spec = WorkerLlm::default_spec(file, DEFAULT_CONTEXT_SIZE, threads);
        Ok(WorkerLlm::with_spec(self.in_worker_dir(spec)))
    }

    /// The speech-to-text model these settings name, in its worker (not started yet). Fails
    /// when the model is not installed.
    pub fn worker_transcriber(&self) -> Result<WorkerTranscriber, ServicesError> {
        let file = resolve_model_file(&self.whisper_model)?;
        let threads = self.threads.unwrap_or(DEFAULT_STT_THREADS);
        let spec = WorkerTranscriber::default_spec(file, threads);
        Ok(WorkerTranscriber::with_spec(self.in_worker_dir(spec)))
    }

    /// Loads the voice these settings name (a few seconds: ONNX Runtime, the voice model,
    /// espeak-ng data, a warm-up word), with the settings' threads (one by default).
    pub fn piper_voice(&self) -> Result<PiperSynthesizer, ServicesError> {
        let (model, config) = resolve_voice(&self.voice)?;
        let mut options = PiperSynthesizerOptions {
            model,
            config,
            ..PiperSynthesizerOptions::default()
        };
        if let Some(threads) = self.threads {
            options.threads = threads.max(1) as usize;
        }
        Ok(PiperSynthesizer::new(&options)?)
    }

    /// `spec` with its binary taken from [`EngineSettings::worker_dir`], when one is set.
    fn in_worker_dir(&self, mut spec: WorkerSpec) -> WorkerSpec {
        if let (Some(dir), Some(name)) = (&self.worker_dir, spec.binary.file_name()) {
            spec.binary = dir.join(name);
        }
        spec
    }
}

impl Default for EngineSettings {
    /// Whisper tiny.en, SmolLM2-135M, the installed Piper voice, engine-default threads, and
    /// workers from [`lm_core::paths::worker_dir`].
    fn default() -> Self {
        Self {
            whisper_model: DEFAULT_WHISPER_MODEL.to_owned(),
            llm_model: DEFAULT_LLM_MODEL.to_owned(),
            voice: DEFAULT_VOICE.to_owned(),
            threads: None,
            worker_dir: None,
        }
    }
}

/// A failure to wire or load an engine.
#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    /// A model is not in the catalog, not installed, or unreadable.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The voice is neither an installed catalog voice nor a voice file.
    #[error(
        "the voice {0:?} is not installed: run scripts/fetch-models, or give the path of a Piper \
         .onnx voice with its .onnx.json beside it"
    )]
    VoiceNotInstalled(String),
    /// An engine failed to load.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The job runner could not be set up.
    #[error(transparent)]
    Runner(#[from] JobRunnerError),
    /// The search index could not be opened.
    #[error("cannot open the search index: {0}")]
    Search(#[from] SearchError),
}

impl ServicesError {
    /// The error as an engine error, for code that reaches it through an engine trait: a model
    /// that cannot be found fails like a model file that cannot be loaded.
    fn into_engine_error(self, model: &str) -> EngineError {
        match self {
            Self::Engine(error) => error,
            other => EngineError::BadModel {
                path: PathBuf::from(model),
                problem: other.to_string(),
            },
        }
    }
}

/// The model file to load for `spec`: the path of an existing file, or the installed primary
/// file of a catalog id (checked to be present, not hashed).
pub fn resolve_model_file(spec: &str) -> Result<PathBuf, ServicesError> {
    let as_path = Path::new(spec);
    if as_path.is_file() {
        return Ok(as_path.to_owned());
    }
    Ok(ModelStore::open_default()?.primary_file(spec)?)
}

/// The voice files (`.onnx`, `.onnx.json`) for `spec`: the path of a voice file, or an
/// installed catalog voice.
pub fn resolve_voice(spec: &str) -> Result<(PathBuf, PathBuf), ServicesError> {
    let as_path = Path::new(spec);
    if as_path.is_file() {
        let mut config = as_path.as_os_str().to_owned();
        config.push(".json");
        return Ok((as_path.to_owned(), PathBuf::from(config)));
    }
    let voices = lm_core::read_aloud::installed_voices(&ModelStore::open_default()?)?;
    voices
        .into_iter()
        .find(|voice| voice.id == spec)
        .and_then(|voice| Some((voice.model, voice.config?)))
        .ok_or_else(|| ServicesError::VoiceNotInstalled(spec.to_owned()))
}

/// The engines wired to one profile's library. See the [crate documentation](crate).
pub struct Services {
    library: Library,
    settings: EngineSettings,
    index: Arc<SharedIndex>,
    embedder: Arc<dyn Embedder>,
    llm: Arc<Lazy<WorkerLlm>>,
    transcriber: Arc<Lazy<WorkerTranscriber>>,
    voice: Lazy<PiperSynthesizer>,
}

impl Services {
    /// The services of `library` with `settings`. Loads nothing (see the crate documentation).
    pub fn new(library: Library, settings: EngineSettings) -> Self {
        let index = Arc::new(SharedIndex::new(library.index_dir(), MODEL_ID, DIMENSIONS));
        let embedder: Arc<dyn Embedder> = Arc::new(LazyEmbedder::new(
            DIMENSIONS,
            Box::new(|| {
                let embedder = FastEmbedder::new(&FastEmbedderOptions::default())?;
                Ok(Arc::new(embedder) as Arc<dyn Embedder>)
            }),
        ));
        let llm = {
            let settings = settings.clone();
            Lazy::new(settings.llm_model.clone(), move || settings.worker_llm())
        };
        let transcriber = {
            let settings = settings.clone();
            Lazy::new(settings.whisper_model.clone(), move || {
                settings.worker_transcriber()
            })
        };
        let voice = {
            let settings = settings.clone();
            Lazy::new(settings.voice.clone(), move || settings.piper_voice())
        };
        Self {
            library,
            settings,
            index,
            embedder,
            llm: Arc::new(llm),
            transcriber: Arc::new(transcriber),
            voice,
        }
    }

    /// The profile's library (its store, folders and classes).
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The engine settings these services were made with.
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// A runner of the library's jobs with a handler for every kind the core queues:
    /// `transcribe` (the whisper worker, Silero voice-activity detection, speaker labels when
    /// the speaker model is installed), `index` (chunk, embed with all-MiniLM-L6-v2, update the
    /// search index), `notes`, `quiz` and `flashcards` (the shared language-model worker).
    /// Nothing is loaded until a job needs it; a missing model fails the jobs that need it, with
    /// the install hint, and no others (a missing speaker model only means no speaker labels).
    pub fn job_runner(&self) -> Result<JobRunner, ServicesError> {
        let new_vad: VadFactory = Box::new(|| {
            let vad = SileroVad::new(&SileroVadOptions::default())?;
            Ok(Box::new(vad) as Box<dyn VoiceActivityDetector>)
        });
        let transcribe = TranscribeHandler::new(&self.library, self.transcriber.clone(), new_vad)
            .with_speakers(speakers::diarizer_factory())
            .with_threads(self.settings.threads);
        let index = IndexHandler::new(Arc::clone(&self.index), Arc::clone(&self.embedder));
        let mut runner = JobRunner::new(self.library.store().path());
        runner.register(Arc::new(transcribe))?;
        runner.register(Arc::new(index))?;
        runner.register(Arc::new(NotesJob::new(self.llm.clone())))?;
        runner.register(Arc::new(QuizJob::new(self.llm.clone())))?;
        runner.register(Arc::new(CardsJob::new(self.llm.clone())))?;
        Ok(runner)
    }

    /// The profile's search index (opened when first used), holding all-MiniLM-L6-v2 vectors;
    /// shared with the index jobs of [`Services::job_runner`].
    pub fn search_index(&self) -> &Arc<SharedIndex> {
        &self.index
    }

    /// The embedding model, loaded when the first text needs embedding.
    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// Runs `use_retriever` with the [`HybridRetriever`] grounded chat answers from, over the
    /// library's store and the search index (opened first if needed).
    pub fn with_retriever<R>(
        &self,
        use_retriever: impl FnOnce(&HybridRetriever<'_>) -> R,
    ) -> Result<R, ServicesError> {
        let store = self.library.store();
        Ok(self.index.read(store, |index| {
            Ok(use_retriever(&HybridRetriever::new(
                store,
                index,
                self.embedder.as_ref(),
            )))
        })?)
    }

    /// The language model every caller shares (chat and the study jobs): one worker process,
    /// started by its first request. Fails when the model is not installed.
    pub fn llm(&self) -> Result<Arc<WorkerLlm>, ServicesError> {
        self.llm.get()
    }

    /// The speech-to-text engine the transcription jobs use (its worker starts with the first
    /// transcription). Fails when the model is not installed.
    pub fn transcriber(&self) -> Result<Arc<WorkerTranscriber>, ServicesError> {
        self.transcriber.get()
    }

    /// The Piper voice, loaded by the first call (a few seconds) and kept: ONNX Runtime, the
    /// voice model and espeak-ng data, with the settings' threads (one by default).
    pub fn voice(&self) -> Result<Arc<PiperSynthesizer>, ServicesError> {
        self.voice.get()
    }
}
