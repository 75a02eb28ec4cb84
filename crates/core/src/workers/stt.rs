//! Speech to text through the supervised whisper.cpp worker (`lm-stt-worker`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use lm_worker_protocol::stt::{Segment, Stt, SttRequest, SttStream, Word};

use super::{Supervisor, WorkerEvent, WorkerSpec};
use crate::engines::{EngineError, TimedWord, TranscribeOptions, Transcriber, TranscriptSegment};
use crate::models::ModelFormat;

/// File name of the stt worker executable in [`crate::paths::worker_dir`].
pub const STT_WORKER_BINARY: &str = "lm-stt-worker";

/// Threads used when neither the spec nor the request names a count. One, because ggml's workers
/// wait for each other by spinning and two threads on a busy two-core machine were several times
/// slower than one; the worker is built with OpenMP and started with `OMP_WAIT_POLICY=passive`,
/// which removes most of that collapse, so callers on idle machines may raise it.
pub const DEFAULT_STT_THREADS: u32 = 1;

/// A [`Transcriber`] backed by a supervised `lm-stt-worker` process.
pub struct WorkerTranscriber {
    supervisor: Supervisor<Stt>,
}

impl WorkerTranscriber {
    /// A transcriber for the whisper ggml model at `model`, using the worker from
    /// [`crate::paths::worker_dir`] and [`WorkerTranscriber::default_spec`]. Nothing starts until
    /// the first transcription.
    pub fn new(model: PathBuf) -> Self {
        Self::with_spec(Self::default_spec(model, DEFAULT_STT_THREADS))
    }

    /// The spec [`WorkerTranscriber::new`] uses: `--threads`, passive OpenMP waiting, 60 s to
    /// load, a worker silent for 5 minutes mid-request counts as hung, unload after 10 idle minutes.
    pub fn default_spec(model: PathBuf, threads: u32) -> WorkerSpec {
        let mut spec = WorkerSpec::new(STT_WORKER_BINARY, model, ModelFormat::WhisperGgml);
        spec.args = vec![
            OsString::from("--threads"),
            OsString::from(threads.max(1).to_string()),
        ];
        spec.env = vec![(OsString::from("OMP_WAIT_POLICY"), OsString::from("passive"))];
        spec.stall_timeout = Some(Duration::from_secs(300));
        spec.idle_timeout = Some(Duration::from_secs(600));
        spec
    }

    /// A transcriber with a custom spec (tests use it to add environment variables).
    pub fn with_spec(spec: WorkerSpec) -> Self {
        Self {
            supervisor: Supervisor::new(spec),
        }
    }

    /// The supervisor of the worker process (its pid, an explicit start or stop).
    pub fn supervisor(&self) -> &Supervisor<Stt> {
        &self.supervisor
    }

    /// [`Transcriber::transcribe`] that stops (killing the worker) when `cancel` becomes true.
    pub fn transcribe_cancellable(
        &self,
        wav: &Path,
        options: &TranscribeOptions,
        cancel: Option<&AtomicBool>,
        on_segment: &mut dyn FnMut(&TranscriptSegment),
    ) -> Result<Vec<TranscriptSegment>, EngineError> {
        // The worker may run in another directory one day; give it an absolute path.
        let audio_path = std::path::absolute(wav).unwrap_or_else(|_| wav.to_owned());
        let request = SttRequest::Transcribe {
            audio_path,
            language: options.language.clone(),
            threads: options.threads,
        };
        let mut on_event = |event: WorkerEvent<Stt>| match event {
            WorkerEvent::Stream(SttStream::Segment(segment)) => {
                on_segment(&transcript_segment(segment))
            }
            WorkerEvent::Progress(_) => {}
        };
        let transcription = self
            .supervisor
            .request_cancellable(request, cancel, &mut on_event)?;
        Ok(transcription
            .segments
            .into_iter()
            .map(transcript_segment)
            .collect())
    }
}

impl Transcriber for WorkerTranscriber {
    fn transcribe(
        &self,
        wav: &Path,
        options: &TranscribeOptions,
        on_segment: &mut dyn FnMut(&TranscriptSegment),
    ) -> Result<Vec<TranscriptSegment>, EngineError> {
        WorkerTranscriber::transcribe_cancellable(self, wav, options, None, on_segment)
    }

    fn transcribe_cancellable(
        &self,
        wav: &Path,
        options: &TranscribeOptions,
        cancel: Option<&AtomicBool>,
        on_segment: &mut dyn FnMut(&TranscriptSegment),
    ) -> Result<Vec<TranscriptSegment>, EngineError> {
        WorkerTranscriber::transcribe_cancellable(self, wav, options, cancel, on_segment)
    }
}

fn transcript_segment(segment: Segment) -> TranscriptSegment {
    TranscriptSegment {
        start_ms: segment.start_ms,
        end_ms: segment.end_ms,
        text: segment.text,
        words: segment.words.into_iter().map(timed_word).collect(),
    }
}

fn timed_word(word: Word) -> TimedWord {
    TimedWord {
        start_ms: word.start_ms,
        end_ms: word.end_ms,
        text: word.text,
    }
}
