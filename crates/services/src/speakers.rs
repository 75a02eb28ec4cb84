//! The speaker encoder of `lm-speakers` behind the core's [`SpeakerDiarizer`] trait.
//!
//! `lm-speakers` stays free of `lm-core` (it is audio maths only); this adapter is the whole
//! bridge, and [`diarizer_factory`] is what the transcription jobs use: the installed
//! `resemblyzer-ge2e` model, loaded per job (≈ 6 MB, milliseconds), or no labels when it is not
//! installed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lm_core::engines::{EngineError, SpeakerDiarizer, VoiceSample};
use lm_core::ingest::DiarizerFactory;
use lm_core::models::{ModelError, ModelStore};
use lm_speakers::{ClusterSettings, Embedding, SegmentVoice, SpeakerEncoder, SpeakerError};

/// Resemblyzer's GE2E encoder and the default clustering, as a [`SpeakerDiarizer`].
#[derive(Debug)]
pub struct GeSpeakerDiarizer {
    encoder: SpeakerEncoder,
    model: PathBuf,
    settings: ClusterSettings,
}

impl GeSpeakerDiarizer {
    /// Loads the encoder's safetensors file.
    pub fn load(model: &Path) -> Result<Self, EngineError> {
        let encoder = SpeakerEncoder::load(model).map_err(|error| EngineError::BadModel {
            path: model.to_path_buf(),
            problem: error.to_string(),
        })?;
        Ok(Self {
            encoder,
            model: model.to_path_buf(),
            settings: ClusterSettings::default(),
        })
    }
}

impl SpeakerDiarizer for GeSpeakerDiarizer {
    fn embed(&self, samples_16k: &[f32]) -> Result<Option<Vec<f32>>, EngineError> {
        match self.encoder.embed(samples_16k) {
            Ok(embedding) => Ok(Some(embedding.as_slice().to_vec())),
            Err(SpeakerError::NoSpeech) => Ok(None),
            Err(error) => Err(EngineError::BadModel {
                path: self.model.clone(),
                problem: error.to_string(),
            }),
        }
    }

    fn assign_speakers(&self, samples: &[VoiceSample]) -> Vec<usize> {
        let voices: Vec<SegmentVoice> = samples
            .iter()
            .map(|sample| SegmentVoice {
                embedding: sample.embedding.clone().and_then(Embedding::normalized),
                duration_ms: sample.duration_ms,
            })
            .collect();
        lm_speakers::assign_speakers(&voices, &self.settings)
    }
}

/// Diarizers for the transcription jobs: the installed speaker model, `Ok(None)` when it is not
/// installed (the jobs then skip speaker labels quietly).
pub fn diarizer_factory() -> DiarizerFactory {
    Box::new(|| {
        let store = ModelStore::open_default().map_err(model_error)?;
        match store.primary_file(lm_speakers::MODEL_ID) {
            Ok(path) => Ok(Some(
                Arc::new(GeSpeakerDiarizer::load(&path)?) as Arc<dyn SpeakerDiarizer>
            )),
            Err(ModelError::NotInstalled { .. }) => Ok(None),
            Err(other) => Err(model_error(other)),
        }
    })
}

fn model_error(error: ModelError) -> EngineError {
    EngineError::BadModel {
        path: PathBuf::from(lm_speakers::MODEL_ID),
        problem: error.to_string(),
    }
}
