//! The GE2E speaker encoder: mel frames → 3-layer LSTM → Linear → ReLU → L2 norm.
//!
//! Weights are Resemblyzer's `pretrained.pt` converted to safetensors by
//! `scripts/model_tools/torch_to_safetensors.py` (names as in PyTorch: `lstm.weight_ih_l0`, ...,
//! `linear.weight`, `linear.bias`). An utterance is cut into partial utterances of
//! [`PARTIAL_FRAMES`] frames (1.6 s) every [`PARTIAL_STEP`] frames (Resemblyzer's rate of 1.3 per
//! second); each partial is encoded, and the utterance's embedding is the L2-normalised mean of the
//! partials' embeddings.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use crate::SpeakerError;
use crate::mel::{HOP, MelFrame, MelSpectrogram, N_MELS};

/// Length of the speaker embedding.
pub const EMBEDDING_SIZE: usize = 256;
/// LSTM hidden size.
const HIDDEN: usize = 256;
/// LSTM layers.
const LAYERS: usize = 3;
/// Frames of one partial utterance (1.6 s).
pub const PARTIAL_FRAMES: usize = 160;
/// Frames between the starts of two partial utterances: `round(16000 / 1.3 / 160)`.
pub const PARTIAL_STEP: usize = 77;
/// The last partial is kept when the audio covers at least this share of it.
const MIN_COVERAGE: f64 = 0.75;
/// Resemblyzer's `preprocess_wav` raises quiet audio to this loudness (never lowers it).
const TARGET_DBFS: f64 = -30.0;

/// An L2-normalised speaker embedding ([`EMBEDDING_SIZE`] values, all ≥ 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// `values` scaled to unit length; `None` when they are all zero (or not finite).
    pub fn normalized(values: Vec<f32>) -> Option<Self> {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if !(norm.is_finite() && norm > 0.0) {
            return None;
        }
        Some(Self(values.into_iter().map(|v| v / norm).collect()))
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity with `other` (both are unit length: the dot product).
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }
}

/// One LSTM layer in PyTorch's layout: gate rows `[i; f; g; o]`, biases summed.
struct LstmLayer {
    /// `4 * HIDDEN` rows of `input` values.
    w_ih: Vec<f32>,
    /// `4 * HIDDEN` rows of `HIDDEN` values.
    w_hh: Vec<f32>,
    /// `b_ih + b_hh`.
    bias: Vec<f32>,
    input: usize,
}

/// Resemblyzer's GE2E speaker encoder, loaded once and shared (it is `Sync`).
pub struct SpeakerEncoder {
    layers: Vec<LstmLayer>,
    linear_w: Vec<f32>,
    linear_b: Vec<f32>,
    mel: MelSpectrogram,
    max_partials: usize,
}

impl std::fmt::Debug for SpeakerEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeakerEncoder")
            .field("max_partials", &self.max_partials)
            .finish_non_exhaustive()
    }
}

/// Partials encoded per utterance at most, unless [`SpeakerEncoder::with_max_partials`] says
/// otherwise: 12 partials span ≈ 10 s of speech, plenty for a voice; longer utterances are
/// sampled evenly, which bounds the cost of a 30 s segment.
pub const DEFAULT_MAX_PARTIALS: usize = 12;

impl SpeakerEncoder {
    /// Loads the safetensors file at `path`.
    pub fn load(path: &Path) -> Result<Self, SpeakerError> {
        let bytes = std::fs::read(path).map_err(|source| SpeakerError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    /// Reads the weights from the bytes of a safetensors file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SpeakerError> {
        let tensors = SafeTensors::deserialize(bytes)
            .map_err(|error| SpeakerError::Model(format!("not a safetensors file: {error}")))?;
        let mut layers = Vec::with_capacity(LAYERS);
        for layer in 0..LAYERS {
            let input = if layer == 0 { N_MELS } else { HIDDEN };
            let b_ih = tensor(&tensors, &format!("lstm.bias_ih_l{layer}"), &[4 * HIDDEN])?;
            let b_hh = tensor(&tensors, &format!("lstm.bias_hh_l{layer}"), &[4 * HIDDEN])?;
            layers.push(LstmLayer {
                w_ih: tensor(
                    &tensors,
                    &format!("lstm.weight_ih_l{layer}"),
                    &[4 * HIDDEN, input],
                )?,
                w_hh: tensor(
                    &tensors,
                    &format!("lstm.weight_hh_l{layer}"),
                    &[4 * HIDDEN, HIDDEN],
                )?,
                bias: b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect(),
                input,
            });
        }
        Ok(Self {
            layers,
            linear_w: tensor(&tensors, "linear.weight", &[EMBEDDING_SIZE, HIDDEN])?,
            linear_b: tensor(&tensors, "linear.bias", &[EMBEDDING_SIZE])?,
            mel: MelSpectrogram::new(),
            max_partials: DEFAULT_MAX_PARTIALS,
        })
    }

    /// Encode at most `max` partial utterances per utterance (at least 1); `usize::MAX` encodes
    /// them all, exactly as Resemblyzer does.
    pub fn with_max_partials(mut self, max: usize) -> Self {
        self.max_partials = max.max(1);
        self
    }

    /// The embedding of one utterance (16 kHz mono samples, -1.0..=1.0).
    ///
    /// Quiet audio is first raised to -30 dBFS as Resemblyzer's `preprocess_wav` does (its
    /// silence trimming is left out: the caller passes speech, already found by the VAD and
    /// Whisper). Fails with [`SpeakerError::NoSpeech`] for empty or silent audio.
    pub fn embed(&self, samples: &[f32]) -> Result<Embedding, SpeakerError> {
        let Some(gain) = volume_gain(samples) else {
            return Err(SpeakerError::NoSpeech);
        };
        let starts = partial_starts(samples.len());
        let last_end = starts.last().map_or(0, |s| (s + PARTIAL_FRAMES) * HOP);
        let mut wav: Vec<f32> = samples.iter().map(|s| s * gain).collect();
        if last_end >= wav.len() {
            wav.resize(last_end, 0.0);
        }
        let mel = self.mel.compute(&wav);
        let chosen = pick_evenly(&starts, self.max_partials);
        let partials: Vec<&[MelFrame]> = chosen
            .iter()
            .filter_map(|start| mel.get(*start..start + PARTIAL_FRAMES))
            .collect();
        if partials.is_empty() {
            return Err(SpeakerError::NoSpeech);
        }
        let mut mean = vec![0.0f32; EMBEDDING_SIZE];
        for embedding in self.encode_partials(&partials) {
            for (m, v) in mean.iter_mut().zip(embedding.as_slice()) {
                *m += v;
            }
        }
        Embedding::normalized(mean).ok_or(SpeakerError::NoSpeech)
    }

    /// Runs the network on equally long partials at once (the batch shares each weight row).
    /// A partial whose output is all zero after the ReLU contributes nothing.
    fn encode_partials(&self, partials: &[&[MelFrame]]) -> Vec<Embedding> {
        let batch = partials.len();
        let frames = PARTIAL_FRAMES;
        // Layer input, [frame][batch][features].
        let mut input: Vec<f32> = Vec::with_capacity(frames * batch * N_MELS);
        for t in 0..frames {
            for partial in partials {
                input.extend_from_slice(&partial[t]);
            }
        }
        let mut width = N_MELS;
        let gates = 4 * HIDDEN;
        let mut z = vec![0.0f32; batch * gates];
        let mut h = vec![0.0f32; batch * HIDDEN];
        let mut c = vec![0.0f32; batch * HIDDEN];
        for layer in &self.layers {
            debug_assert_eq!(layer.input, width);
            let mut output = vec![0.0f32; frames * batch * HIDDEN];
            h.fill(0.0);
            c.fill(0.0);
            for t in 0..frames {
                let x_t = &input[t * batch * width..(t + 1) * batch * width];
                for (row, bias) in layer.bias.iter().enumerate() {
                    let w_x = &layer.w_ih[row * width..(row + 1) * width];
                    let w_h = &layer.w_hh[row * HIDDEN..(row + 1) * HIDDEN];
                    for b in 0..batch {
                        z[b * gates + row] = bias
                            + dot(w_x, &x_t[b * width..(b + 1) * width])
                            + dot(w_h, &h[b * HIDDEN..(b + 1) * HIDDEN]);
                    }
                }
                for b in 0..batch {
                    let zb = &z[b * gates..(b + 1) * gates];
                    let (i, rest) = zb.split_at(HIDDEN);
                    let (f, rest) = rest.split_at(HIDDEN);
                    let (g, o) = rest.split_at(HIDDEN);
                    let hb = &mut h[b * HIDDEN..(b + 1) * HIDDEN];
                    let cb = &mut c[b * HIDDEN..(b + 1) * HIDDEN];
                    for k in 0..HIDDEN {
                        cb[k] = sigmoid(f[k]) * cb[k] + sigmoid(i[k]) * g[k].tanh();
                        hb[k] = sigmoid(o[k]) * cb[k].tanh();
                    }
                }
                output[t * batch * HIDDEN..(t + 1) * batch * HIDDEN].copy_from_slice(&h);
            }
            input = output;
            width = HIDDEN;
        }
        // `h` holds the last layer's final hidden state of each partial.
        (0..batch)
            .filter_map(|b| {
                let hb = &h[b * HIDDEN..(b + 1) * HIDDEN];
                let raw = (0..EMBEDDING_SIZE)
                    .map(|row| {
                        let w = &self.linear_w[row * HIDDEN..(row + 1) * HIDDEN];
                        (self.linear_b[row] + dot(w, hb)).max(0.0)
                    })
                    .collect();
                Embedding::normalized(raw)
            })
            .collect()
    }
}

/// A little-endian f32 tensor of exactly `shape`, copied out of the file.
fn tensor(
    tensors: &SafeTensors<'_>,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>, SpeakerError> {
    let view = tensors
        .tensor(name)
        .map_err(|_| SpeakerError::Model(format!("the tensor {name} is missing")))?;
    if view.dtype() != Dtype::F32 || view.shape() != shape {
        return Err(SpeakerError::Model(format!(
            "the tensor {name} is {:?} {:?}, expected F32 {shape:?}",
            view.dtype(),
            view.shape()
        )));
    }
    let values: Vec<f32> = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(SpeakerError::Model(format!(
            "the tensor {name} holds a value that is not a finite number"
        )));
    }
    Ok(values)
}

/// The gain that raises `samples` to -30 dBFS (1.0 when already louder); `None` for silence.
fn volume_gain(samples: &[f32]) -> Option<f32> {
    if samples.is_empty() {
        return None;
    }
    let scale = 32_767.0f64;
    let mean_square = samples
        .iter()
        .map(|s| (f64::from(*s) * scale).powi(2))
        .sum::<f64>()
        / samples.len() as f64;
    let rms = mean_square.sqrt();
    if !(rms.is_finite() && rms > 0.0) {
        return None;
    }
    let change = TARGET_DBFS - 20.0 * (rms / scale).log10();
    Some(if change > 0.0 {
        10f64.powf(change / 20.0) as f32
    } else {
        1.0
    })
}

/// First mel frame of every partial utterance of an `n_samples` utterance (Resemblyzer's
/// `compute_partial_slices` with rate 1.3 and min coverage 0.75). Never empty.
pub fn partial_starts(n_samples: usize) -> Vec<usize> {
    let n_frames = (n_samples + 1).div_ceil(HOP);
    let steps = (n_frames + PARTIAL_STEP + 1)
        .saturating_sub(PARTIAL_FRAMES)
        .max(1);
    let mut starts: Vec<usize> = (0..steps).step_by(PARTIAL_STEP).collect();
    if starts.len() > 1 {
        let last = starts[starts.len() - 1] * HOP;
        let coverage = n_samples.saturating_sub(last) as f64 / (PARTIAL_FRAMES * HOP) as f64;
        if coverage < MIN_COVERAGE {
            starts.pop();
        }
    }
    starts
}

/// At most `max` of `items`, evenly spread, first and last included.
fn pick_evenly(items: &[usize], max: usize) -> Vec<usize> {
    if items.len() <= max {
        return items.to_vec();
    }
    if max == 1 {
        return vec![items[items.len() / 2]];
    }
    (0..max)
        .map(|k| items[k * (items.len() - 1) / (max - 1)])
        .collect()
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Dot product with eight independent accumulators, so the compiler can vectorise it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let tail: f32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_slices_follow_resemblyzer() {
        // 1 s: 101 frames, one partial (padded).
        assert_eq!(partial_starts(16_000), [0]);
        // Exactly 160 frames' worth: n_frames = 161, steps = 79 -> 0, 77; the second covers
        // (25600 - 12320) / 25600 = 0.52 < 0.75 -> dropped.
        assert_eq!(partial_starts(25_600), [0]);
        // 4.3 s = 68800 samples: n_frames 431, steps 349 -> 0, 77, ..., 308; coverage of the
        // last: (68800 - 49280) / 25600 = 0.76 -> kept.
        assert_eq!(partial_starts(68_800), [0, 77, 154, 231, 308]);
        assert_eq!(partial_starts(0), [0]);
    }

    #[test]
    fn even_picks_keep_both_ends() {
        let items: Vec<usize> = (0..10).collect();
        assert_eq!(pick_evenly(&items, 4), [0, 3, 6, 9]);
        assert_eq!(pick_evenly(&items, 20), items);
        assert_eq!(pick_evenly(&items, 1), [5]);
    }

    #[test]
    fn quiet_audio_is_raised_loud_audio_kept_silence_refused() {
        assert_eq!(volume_gain(&[0.5, -0.5]), Some(1.0));
        let gain = volume_gain(&[0.001, -0.001]).unwrap_or(0.0);
        // -30 dBFS is an RMS of 0.0316: 31.6x.
        assert!((gain - 31.62).abs() < 0.05, "{gain}");
        assert_eq!(volume_gain(&[0.0; 100]), None);
        assert_eq!(volume_gain(&[]), None);
    }

    #[test]
    fn dot_handles_tails() {
        let a: Vec<f32> = (0..13).map(|i| i as f32).collect();
        assert_eq!(dot(&a, &a), (0..13).map(|i| (i * i) as f32).sum::<f32>());
    }

    #[test]
    fn malformed_model_files_are_errors_not_panics() {
        for bytes in [&b""[..], b"\x08\0\0\0\0\0\0\0{}      ", b"garbage garbage"] {
            assert!(matches!(
                SpeakerEncoder::from_bytes(bytes),
                Err(SpeakerError::Model(_))
            ));
        }
    }
}
