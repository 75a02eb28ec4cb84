//! Voice-activity detection with Silero VAD v6 run by ONNX Runtime, implementing
//! [`lm_core::engines::VoiceActivityDetector`].
//!
//! The model is `silero_vad_16k_sequence.onnx` from the `silero-vad` 6.2.3 wheel (catalog id
//! `silero-vad`). It is Silero's streaming model exported to score a whole block of frames per
//! call: each frame is 512 samples at 16 kHz preceded by the previous frame's last 64 samples, and
//! the LSTM state (`h`, `c`) is carried from one call to the next, so its probabilities are exactly
//! those of the frame-by-frame model (checked against it with Python onnxruntime: identical) at a
//! fraction of the per-call overhead. The probabilities become spans in [`segmenter`].
//!
//! ONNX Runtime is loaded at run time by `lm-onnx-runtime`; sessions use one intra-op thread with
//! spin-waiting off, so detection never fights transcription for the other core.

pub mod segmenter;

use std::path::{Path, PathBuf};

use lm_core::engines::{EngineError, SpeechSpan, VoiceActivityDetector};
use ort::session::Session;
use ort::value::TensorRef;

use segmenter::SpeechSegmenter;
pub use segmenter::{FRAME_MS, VadSettings};

/// Catalog id of the Silero VAD model in the models folder.
pub const MODEL_ID: &str = "silero-vad";

/// File name of the model inside its model folder.
pub const MODEL_FILE: &str = "silero_vad_16k_sequence.onnx";

/// The only sample rate the model takes.
pub const SAMPLE_RATE: u32 = 16_000;

/// Samples the model scores at a time: 32 ms at 16 kHz.
pub const FRAME_SAMPLES: usize = 512;

/// Samples of the previous frame the model sees before each frame.
const CONTEXT_SAMPLES: usize = 64;

/// Size of each of the LSTM's two state tensors, `[1, 1, 128]`.
const STATE_SIZE: usize = 128;

const INPUT: &str = "input";
const HIDDEN_IN: &str = "h";
const CELL_IN: &str = "c";
const PROBABILITIES: &str = "speech_probs";
const HIDDEN_OUT: &str = "hn";
const CELL_OUT: &str = "cn";

/// How to load a [`SileroVad`].
#[derive(Debug, Clone, PartialEq)]
pub struct SileroVadOptions {
    /// The model file, `silero_vad_16k_sequence.onnx`.
    pub model: PathBuf,
    /// The ONNX Runtime shared library to load if this process has not loaded one yet.
    pub onnx_runtime: PathBuf,
    /// How probabilities become spans.
    pub settings: VadSettings,
}

impl Default for SileroVadOptions {
    /// The catalog model and ONNX Runtime from [`lm_core::paths::models_dir`], default settings.
    fn default() -> Self {
        Self {
            model: lm_core::paths::models_dir().join(MODEL_ID).join(MODEL_FILE),
            onnx_runtime: lm_onnx_runtime::default_library_path(),
            settings: VadSettings::default(),
        }
    }
}

/// Silero VAD over a stream of 16 kHz mono samples; see [`VoiceActivityDetector`].
///
/// Memory stays bounded whatever the recording's length: at most one block of
/// `frames_per_call` frames of samples (16.4 s by default) is buffered.
pub struct SileroVad {
    session: Session,
    segmenter: SpeechSegmenter,
    /// LSTM state carried between calls.
    hidden: Vec<f32>,
    cell: Vec<f32>,
    /// The last samples of the previous frame.
    context: [f32; CONTEXT_SAMPLES],
    /// Samples received but not yet scored (less than one block).
    pending: Vec<f32>,
    /// Samples received since the recording started.
    samples_seen: u64,
    /// Reused model input: per frame, context then frame.
    block: Vec<f32>,
}

impl SileroVad {
    /// Loads the model described by `options`, loading ONNX Runtime first if needed.
    ///
    /// Fails with [`EngineError::BadModel`] naming the file when it is missing, is not a loadable
    /// ONNX model, or is an ONNX model without the inputs and outputs of Silero's sequence
    /// model; with [`EngineError::Other`] when the settings are inconsistent.
    pub fn new(options: &SileroVadOptions) -> Result<Self, EngineError> {
        options.settings.validate()?;
        let model = &options.model;
        if !model.is_file() {
            return Err(bad_model(
                model,
                "the voice-activity model is missing: run scripts/fetch-models",
            ));
        }
        lm_onnx_runtime::init(&options.onnx_runtime)?;
        let session = build_session(model)?;
        check_signature(&session, model)?;
        let block_samples = options.settings.frames_per_call * FRAME_SAMPLES;
        Ok(Self {
            session,
            segmenter: SpeechSegmenter::new(options.settings),
            hidden: vec![0.0; STATE_SIZE],
            cell: vec![0.0; STATE_SIZE],
            context: [0.0; CONTEXT_SAMPLES],
            pending: Vec::with_capacity(block_samples),
            samples_seen: 0,
            block: Vec::with_capacity(
                options.settings.frames_per_call * (CONTEXT_SAMPLES + FRAME_SAMPLES),
            ),
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &VadSettings {
        self.segmenter.settings()
    }

    fn block_samples(&self) -> usize {
        self.segmenter.settings().frames_per_call * FRAME_SAMPLES
    }

    /// Scores `samples` (a whole number of frames) and feeds the probabilities to the segmenter.
    fn score(&mut self, samples: &[f32], spans: &mut Vec<SpeechSpan>) -> Result<(), EngineError> {
        let frames = samples.len() / FRAME_SAMPLES;
        if frames == 0 {
            return Ok(());
        }
        self.block.clear();
        for frame in samples.chunks_exact(FRAME_SAMPLES) {
            self.block.extend_from_slice(&self.context);
            self.block.extend_from_slice(frame);
            self.context
                .copy_from_slice(&frame[FRAME_SAMPLES - CONTEXT_SAMPLES..]);
        }
        let run_error = |e: ort::Error| {
            EngineError::Other(format!(
                "voice-activity model failed on a block of audio: {e}"
            ))
        };
        let input = TensorRef::from_array_view((
            [frames, CONTEXT_SAMPLES + FRAME_SAMPLES],
            self.block.as_slice(),
        ))
        .map_err(run_error)?;
        let hidden = TensorRef::from_array_view(([1usize, 1, STATE_SIZE], self.hidden.as_slice()))
            .map_err(run_error)?;
        let cell = TensorRef::from_array_view(([1usize, 1, STATE_SIZE], self.cell.as_slice()))
            .map_err(run_error)?;
        let outputs = self
            .session
            .run(ort::inputs![INPUT => input, HIDDEN_IN => hidden, CELL_IN => cell])
            .map_err(run_error)?;
        let extract = |name: &str, expected: usize| {
            let values = outputs[name]
                .try_extract_tensor::<f32>()
                .map_err(run_error)?
                .1;
            if values.len() == expected {
                Ok(values)
            } else {
                Err(EngineError::Other(format!(
                    "voice-activity model returned {} values for {name}, expected {expected}",
                    values.len()
                )))
            }
        };
        let probabilities = extract(PROBABILITIES, frames)?;
        self.hidden
            .copy_from_slice(extract(HIDDEN_OUT, STATE_SIZE)?);
        self.cell.copy_from_slice(extract(CELL_OUT, STATE_SIZE)?);
        for &p in probabilities {
            self.segmenter.push(p, spans);
        }
        Ok(())
    }

    /// Back to the start of a recording (the settings stay).
    fn reset(&mut self) {
        self.segmenter = SpeechSegmenter::new(*self.segmenter.settings());
        self.hidden.fill(0.0);
        self.cell.fill(0.0);
        self.context.fill(0.0);
        self.pending.clear();
        self.samples_seen = 0;
    }
}

impl VoiceActivityDetector for SileroVad {
    fn push(&mut self, samples_16k: &[f32]) -> Result<Vec<SpeechSpan>, EngineError> {
        let mut spans = Vec::new();
        let block = self.block_samples();
        self.samples_seen += samples_16k.len() as u64;
        let mut input = samples_16k;
        // Complete a partly filled block first, then score whole blocks straight from the
        // input, and keep the rest: the buffer never holds more than one block.
        if !self.pending.is_empty() {
            let take = (block - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() == block {
                let pending = std::mem::take(&mut self.pending);
                let scored = self.score(&pending, &mut spans);
                self.pending = pending;
                self.pending.clear();
                scored?;
            }
        }
        while input.len() >= block {
            self.score(&input[..block], &mut spans)?;
            input = &input[block..];
        }
        self.pending.extend_from_slice(input);
        Ok(spans)
    }

    fn finish(&mut self) -> Result<Vec<SpeechSpan>, EngineError> {
        let mut spans = Vec::new();
        let mut rest = std::mem::take(&mut self.pending);
        // The last partial frame is scored padded with silence, as Silero does.
        rest.resize(rest.len().div_ceil(FRAME_SAMPLES) * FRAME_SAMPLES, 0.0);
        let scored = self.score(&rest, &mut spans);
        let total_ms = self.samples_seen * 1000 / u64::from(SAMPLE_RATE);
        self.segmenter.finish(total_ms, &mut spans);
        rest.clear();
        self.pending = rest;
        self.reset();
        scored.map(|()| spans)
    }
}

fn build_session(model: &Path) -> Result<Session, EngineError> {
    let builder_error = |e: ort::Error<ort::session::builder::SessionBuilder>| {
        EngineError::Other(format!("cannot configure ONNX Runtime: {e}"))
    };
    // One thread with spinning off: the model is small (≈ 0.3 M parameters) and runs beside
    // transcription; a spinning pool would steal the core Whisper needs.
    Session::builder()
        .map_err(|e| EngineError::Other(format!("cannot configure ONNX Runtime: {e}")))?
        .with_intra_threads(1)
        .map_err(builder_error)?
        .with_inter_threads(1)
        .map_err(builder_error)?
        .with_config_entry("session.intra_op.allow_spinning", "0")
        .map_err(builder_error)?
        .commit_from_file(model)
        .map_err(|e| bad_model(model, &format!("not a loadable ONNX model: {e}")))
}

/// Rejects ONNX models that are not Silero's sequence model (for instance the frame-by-frame
/// `silero_vad.onnx` from the same wheel), which would otherwise fail on the first block.
fn check_signature(session: &Session, model: &Path) -> Result<(), EngineError> {
    let names = |outlets: &[ort::value::Outlet]| -> Vec<String> {
        outlets.iter().map(|o| o.name().to_owned()).collect()
    };
    let inputs = names(session.inputs());
    let outputs = names(session.outputs());
    let has_all = |have: &[String], want: &[&str]| want.iter().all(|w| have.iter().any(|h| h == w));
    if has_all(&inputs, &[INPUT, HIDDEN_IN, CELL_IN])
        && has_all(&outputs, &[PROBABILITIES, HIDDEN_OUT, CELL_OUT])
    {
        Ok(())
    } else {
        Err(bad_model(
            model,
            &format!(
                "not Silero's sequence VAD model (inputs {inputs:?}, outputs {outputs:?}; expected \
                 {MODEL_FILE} with inputs input/h/c and outputs speech_probs/hn/cn)"
            ),
        ))
    }
}

fn bad_model(path: &Path, problem: &str) -> EngineError {
    EngineError::BadModel {
        path: path.to_path_buf(),
        problem: problem.to_owned(),
    }
}
