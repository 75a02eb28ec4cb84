//! Speech synthesis with Piper voices through piper-rs, implementing
//! [`lm_core::engines::Synthesizer`].
//!
//! Three things piper-rs 0.2 does not do for us, each measured on the target machine:
//! - ONNX Runtime is loaded at run time by `lm-onnx-runtime` (`ort`'s `load-dynamic`), and the
//!   voice's ONNX session is built here so spin-waiting can be turned off and threads set.
//! - espeak-ng's phoneme data is found explicitly (see [`espeak_data`]); piper-rs's default points
//!   inside the build folder.
//! - piper-rs drops punctuation between clauses, so clauses run together without pauses. Text is
//!   therefore phonemised clause by clause here and the punctuation put back (see [`phonemes`]),
//!   then synthesised from phonemes.
//!
//! piper-rs does not stream, so [`PiperSynthesizer`] synthesises one sentence at a time and hands
//! each sentence to the caller as soon as it is ready.

pub mod espeak_data;
mod phonemes;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use lm_core::engines::{EngineError, SpeechAudio, Synthesizer};
use piper_rs::{ModelConfig, Piper};

pub use phonemes::split_sentences;

/// Catalog id of the default voice in the models folder.
pub const VOICE_ID: &str = "piper-joe-medium";

/// File name of the default voice's ONNX model inside its model folder.
pub const VOICE_MODEL_FILE: &str = "en_US-joe-medium.onnx";

/// File name of the default voice's configuration inside its model folder.
pub const VOICE_CONFIG_FILE: &str = "en_US-joe-medium.onnx.json";

/// Pause appended after every sentence but the last, as Piper's own command line does.
const SENTENCE_PAUSE_SECONDS: f32 = 0.2;

/// How to load a [`PiperSynthesizer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiperSynthesizerOptions {
    /// The voice's ONNX model.
    pub model: PathBuf,
    /// The voice's `.onnx.json` configuration (sample rate, espeak voice, phoneme table).
    pub config: PathBuf,
    /// The ONNX Runtime shared library to load if this process has not loaded one yet.
    pub onnx_runtime: PathBuf,
    /// A folder containing `espeak-ng-data`; `None` finds one as [`espeak_data::locate`] describes.
    pub espeak_data_parent: Option<PathBuf>,
    /// ONNX Runtime intra-op threads (spin-waiting is off, so two threads do not collapse when
    /// the other core is busy).
    pub threads: usize,
}

impl Default for PiperSynthesizerOptions {
    /// The catalog voice and ONNX Runtime from [`lm_core::paths::models_dir`], espeak data found
    /// automatically, one thread.
    fn default() -> Self {
        let voice_dir = lm_core::paths::models_dir().join(VOICE_ID);
        Self {
            model: voice_dir.join(VOICE_MODEL_FILE),
            config: voice_dir.join(VOICE_CONFIG_FILE),
            onnx_runtime: lm_onnx_runtime::default_library_path(),
            espeak_data_parent: None,
            threads: 1,
        }
    }
}

/// A Piper voice, synthesising one sentence at a time.
pub struct PiperSynthesizer {
    // `Piper::create` takes `&mut self`; the trait is `&self` and shared across threads.
    piper: Mutex<Piper>,
    espeak_voice: String,
    sample_rate: u32,
}

impl PiperSynthesizer {
    /// Loads the voice described by `options`, loading ONNX Runtime and espeak-ng data first, and
    /// synthesises one word so that the first real sentence does not pay the warm-up cost.
    ///
    /// Fails with [`EngineError::BadModel`] naming the file at fault when a file is missing or
    /// malformed, or when no espeak-ng data is found.
    pub fn new(options: &PiperSynthesizerOptions) -> Result<Self, EngineError> {
        for file in [&options.model, &options.config] {
            if !file.is_file() {
                return Err(bad_model(file, "file is missing: run scripts/fetch-models"));
            }
        }
        let config_text = std::fs::read_to_string(&options.config)
            .map_err(|e| bad_model(&options.config, &format!("cannot read: {e}")))?;
        let config: ModelConfig = serde_json::from_str(&config_text)
            .map_err(|e| bad_model(&options.config, &format!("not a Piper voice config: {e}")))?;
        espeak_data::use_parent(options.espeak_data_parent.as_deref())?;
        lm_onnx_runtime::init(&options.onnx_runtime)?;
        let session = build_session(&options.model, options.threads)?;

        let espeak_voice = config.espeak.voice.clone();
        let sample_rate = config.audio.sample_rate;
        let synthesizer = Self {
            piper: Mutex::new(Piper::from_session(session, config)),
            espeak_voice,
            sample_rate,
        };
        synthesizer.synthesize_sentence("Ready.")?;
        Ok(synthesizer)
    }

    /// Samples per second of this voice's audio.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn synthesize_sentence(&self, sentence: &str) -> Result<Vec<f32>, EngineError> {
        let phonemes = phonemes::phonemize_sentence(sentence, &self.espeak_voice)?;
        if phonemes.is_empty() {
            return Ok(Vec::new());
        }
        let mut piper = self.piper.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut samples, _) = piper
            .create(&phonemes, true, None, None, None, None)
            .map_err(|e| EngineError::Other(format!("speech synthesis failed: {e}")))?;
        // The voice's output is not bounded; SpeechAudio promises -1.0..=1.0.
        for sample in &mut samples {
            *sample = sample.clamp(-1.0, 1.0);
        }
        Ok(samples)
    }
}

impl Synthesizer for PiperSynthesizer {
    fn synthesize(
        &self,
        text: &str,
        on_sentence: &mut dyn FnMut(&SpeechAudio),
    ) -> Result<SpeechAudio, EngineError> {
        let sentences = split_sentences(text);
        let pause = vec![0.0; (SENTENCE_PAUSE_SECONDS * self.sample_rate as f32) as usize];
        let mut whole = SpeechAudio {
            samples: Vec::new(),
            sample_rate: self.sample_rate,
        };
        for (index, sentence) in sentences.iter().enumerate() {
            let mut samples = self.synthesize_sentence(sentence)?;
            if samples.is_empty() {
                continue;
            }
            if index + 1 < sentences.len() {
                samples.extend_from_slice(&pause);
            }
            let audio = SpeechAudio {
                samples,
                sample_rate: self.sample_rate,
            };
            on_sentence(&audio);
            whole.samples.extend_from_slice(&audio.samples);
        }
        Ok(whole)
    }
}

/// Writes `audio` to `path` as a mono 16-bit PCM WAV file at the audio's own sample rate.
pub fn write_wav(audio: &SpeechAudio, path: &Path) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: audio.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)?;
    for sample in &audio.samples {
        writer.write_sample((sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16)?;
    }
    writer.finalize()
}

fn build_session(model: &Path, threads: usize) -> Result<ort::session::Session, EngineError> {
    let builder_error = |e: ort::Error<ort::session::builder::SessionBuilder>| {
        EngineError::Other(format!("cannot configure ONNX Runtime: {e}"))
    };
    ort::session::Session::builder()
        .map_err(|e| EngineError::Other(format!("cannot configure ONNX Runtime: {e}")))?
        .with_intra_threads(threads.max(1))
        .map_err(builder_error)?
        .with_config_entry("session.intra_op.allow_spinning", "0")
        .map_err(builder_error)?
        .commit_from_file(model)
        .map_err(|e| bad_model(model, &format!("not a loadable ONNX model: {e}")))
}

fn bad_model(path: &Path, problem: &str) -> EngineError {
    EngineError::BadModel {
        path: path.to_path_buf(),
        problem: problem.to_owned(),
    }
}
