//! The whisper.cpp model and one transcription.

use std::path::{Path, PathBuf};

use lm_worker_protocol::WorkerError;
use lm_worker_protocol::serve::Emitter;
use lm_worker_protocol::stt::{Segment, Stt, SttRequest, SttStream, Transcription, WhisperModel};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use crate::audio::{SAMPLE_RATE, read_wav};
use crate::words::{TimedToken, segment_words};

/// A loaded whisper model.
pub struct Engine {
    context: WhisperContext,
    model: PathBuf,
    default_threads: u32,
    beam_size: u32,
}

impl Engine {
    /// Loads the ggml model at `model`.
    pub fn load(model: &Path, default_threads: u32, beam_size: u32) -> Result<Self, WorkerError> {
        let bad = |message: String| WorkerError::BadModel {
            path: model.to_owned(),
            message,
        };
        let size = std::fs::metadata(model)
            .map_err(|e| bad(format!("cannot open: {e}")))?
            .len();
        if size == 0 {
            return Err(bad("file is empty".into()));
        }
        let context = WhisperContext::new_with_params(model, WhisperContextParameters::default()).map_err(|e| {
            bad(format!("whisper.cpp cannot load it ({e}): not a whisper ggml model, or damaged; see the log above"))
        })?;
        Ok(Self {
            context,
            model: model.to_owned(),
            default_threads: default_threads.max(1),
            beam_size,
        })
    }

    /// The facts reported in the ready line.
    pub fn model_info(&self) -> WhisperModel {
        WhisperModel {
            path: self.model.clone(),
            model_type: self
                .context
                .model_type_readable_str_lossy()
                .map(|s| s.into_owned())
                .unwrap_or_default(),
            multilingual: self.context.is_multilingual(),
        }
    }

    /// Answers one request.
    pub fn handle(
        &self,
        request: SttRequest,
        emitter: &Emitter<Stt>,
    ) -> Result<Transcription, WorkerError> {
        match request {
            SttRequest::Transcribe {
                audio_path,
                language,
                threads,
            } => self.transcribe(&audio_path, language.as_deref(), threads, emitter),
        }
    }

    fn transcribe(
        &self,
        audio_path: &Path,
        language: Option<&str>,
        threads: Option<u32>,
        emitter: &Emitter<Stt>,
    ) -> Result<Transcription, WorkerError> {
        let multilingual = self.context.is_multilingual();
        let language = match language {
            Some(code) if whisper_rs::get_lang_id(code).is_none() => {
                return Err(WorkerError::BadRequest {
                    message: format!("unknown language code {code:?}"),
                });
            }
            Some(code) if !multilingual && code != "en" => {
                return Err(WorkerError::BadRequest {
                    message: format!(
                        "model {} is English-only; it cannot transcribe {code:?}",
                        self.model.display()
                    ),
                });
            }
            Some(code) => Some(code),
            // An English-only model cannot detect languages.
            None if !multilingual => Some("en"),
            None => None,
        };
        let samples = read_wav(audio_path)?;
        let duration_ms = samples.len() as u64 * 1000 / u64::from(SAMPLE_RATE);
        emitter.progress(0.0);

        let strategy = match i32::try_from(self.beam_size) {
            Ok(beam_size @ 2..=16) => SamplingStrategy::BeamSearch {
                beam_size,
                patience: -1.0,
            },
            _ => SamplingStrategy::Greedy { best_of: 1 },
        };
        let mut params = FullParams::new(strategy);
        let threads = threads.unwrap_or(self.default_threads).clamp(1, 64);
        params.set_n_threads(i32::try_from(threads).unwrap_or(1));
        params.set_language(language);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        // No prompt carried over from an earlier `full` call, no blank or non-speech tokens
        // ("[Music]"). Within one call whisper.cpp still feeds each 30 s window the previous
        // windows' text (whisper-cli's default `-mc`): turning that off too (`-mc 0`) saved about
        // 20 % CPU on a 60 s file but raised the WER of the `stt_worker` test paragraph from
        // 6.4 % to 10.6 %, so it stays on. Lecture imports send chunks under 30 s, one window each.
        params.set_no_context(true);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        // Time every token, for the word timings of the final segments.
        params.set_token_timestamps(true);
        // The streamed segments carry no words: the callback gets no tokens. The result has them.
        let segments = emitter.clone();
        params.set_segment_callback_safe_lossy(move |data: whisper_rs::SegmentCallbackData| {
            if let Some(segment) = segment(
                data.start_timestamp,
                data.end_timestamp,
                &data.text,
                duration_ms,
            ) {
                segments.stream(SttStream::Segment(segment));
            }
        });
        let progress = emitter.clone();
        params.set_progress_callback_safe(move |percent: i32| {
            progress.progress(percent as f32 / 100.0)
        });

        let mut state = self
            .context
            .create_state()
            .map_err(|e| WorkerError::Internal {
                message: format!("cannot create a whisper state: {e}"),
            })?;
        state
            .full(params, &samples)
            .map_err(|e| WorkerError::Internal {
                message: format!("whisper failed: {e}"),
            })?;

        // Tokens from end-of-text up are special (timestamps, [_BEG_], ...), not text.
        let eot = self.context.token_eot();
        let segments = state
            .as_iter()
            .filter_map(|s| {
                let text = s.to_str_lossy().ok()?;
                let mut found =
                    segment(s.start_timestamp(), s.end_timestamp(), &text, duration_ms)?;
                let tokens = (0..s.n_tokens()).filter_map(|i| {
                    let token = s.get_token(i)?;
                    let data = token.token_data();
                    (data.id < eot).then_some(())?;
                    Some(TimedToken {
                        bytes: token.to_bytes().ok()?.to_vec(),
                        t0: data.t0,
                        t1: data.t1,
                    })
                });
                found.words = segment_words(&found, tokens);
                Some(found)
            })
            .collect();
        let language = match language {
            Some(code) => code.to_owned(),
            None => whisper_rs::get_lang_str(state.full_lang_id_from_state())
                .unwrap_or("unknown")
                .to_owned(),
        };
        Ok(Transcription {
            segments,
            duration_ms,
            language,
        })
    }
}

/// A protocol segment from whisper's centisecond timestamps, clamped to the audio, or `None` for
/// an empty text. Used for both the streamed and the final segments, so they agree.
fn segment(t0: i64, t1: i64, text: &str, duration_ms: u64) -> Option<Segment> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let ms = |t: i64| (u64::try_from(t).unwrap_or(0) * 10).min(duration_ms);
    let start_ms = ms(t0);
    Some(Segment {
        start_ms,
        end_ms: ms(t1).max(start_ms),
        text: text.to_owned(),
        words: Vec::new(),
    })
}
