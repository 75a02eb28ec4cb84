//! The encoder's input: a power mel spectrogram computed the way Resemblyzer computes it with
//! librosa's defaults.
//!
//! - Frames of [`N_FFT`] samples (25 ms) every [`HOP`] samples (10 ms), centred: the signal is
//!   padded by `N_FFT / 2` on both sides by reflection (librosa < 0.10's default, what the
//!   encoder was trained with), so there are `1 + len / HOP` frames.
//! - A periodic Hann window, a real FFT, power (squared magnitude).
//! - [`N_MELS`] triangular Slaney-scale mel filters from 0 Hz to 8 kHz, each scaled to unit area
//!   (librosa `htk=False, norm="slaney"`).
//! - No logarithm: the encoder takes the mel power itself.

use std::f64::consts::PI;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::SAMPLE_RATE;

/// Window length in samples (25 ms at 16 kHz).
pub const N_FFT: usize = 400;
/// Hop between frames in samples (10 ms at 16 kHz).
pub const HOP: usize = 160;
/// Mel channels.
pub const N_MELS: usize = 40;
/// FFT bins of one frame.
const N_BINS: usize = N_FFT / 2 + 1;

/// One frame of the mel spectrogram.
pub type MelFrame = [f32; N_MELS];

/// A mel spectrogram maker: the filterbank, the window and the FFT plan, made once.
pub struct MelSpectrogram {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// For each mel channel: the first FFT bin it covers and its weights from there.
    filters: Vec<(usize, Vec<f32>)>,
}

impl std::fmt::Debug for MelSpectrogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelSpectrogram").finish_non_exhaustive()
    }
}

impl Default for MelSpectrogram {
    fn default() -> Self {
        Self::new()
    }
}

impl MelSpectrogram {
    /// Plans the FFT and computes the window and the filterbank.
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        let window = (0..N_FFT)
            .map(|n| (0.5 - 0.5 * (2.0 * PI * n as f64 / N_FFT as f64).cos()) as f32)
            .collect();
        let filters = mel_filterbank()
            .into_iter()
            .map(|row| {
                let first = row.iter().position(|w| *w != 0.0).unwrap_or(0);
                let last = row.iter().rposition(|w| *w != 0.0).map_or(first, |i| i + 1);
                (first, row[first..last].iter().map(|w| *w as f32).collect())
            })
            .collect();
        Self {
            fft,
            window,
            filters,
        }
    }

    /// The mel spectrogram of `samples` (16 kHz mono): `1 + samples.len() / HOP` frames. Empty
    /// input gives no frames.
    pub fn compute(&self, samples: &[f32]) -> Vec<MelFrame> {
        if samples.is_empty() {
            return Vec::new();
        }
        let padded = reflect_pad(samples, N_FFT / 2);
        let frames = 1 + (padded.len() - N_FFT) / HOP;
        let mut input = self.fft.make_input_vec();
        let mut spectrum: Vec<Complex<f32>> = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0.0f32; N_BINS];
        let mut out = Vec::with_capacity(frames);
        for frame in 0..frames {
            let start = frame * HOP;
            for ((slot, sample), w) in input
                .iter_mut()
                .zip(&padded[start..start + N_FFT])
                .zip(&self.window)
            {
                *slot = sample * w;
            }
            // The buffers are made by the plan itself, so their lengths always match it.
            if self
                .fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .is_err()
            {
                return Vec::new();
            }
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            let mut mel = [0.0f32; N_MELS];
            for (value, (first, weights)) in mel.iter_mut().zip(&self.filters) {
                *value = weights
                    .iter()
                    .zip(&power[*first..])
                    .map(|(w, p)| w * p)
                    .sum();
            }
            out.push(mel);
        }
        out
    }
}

/// `samples` with `pad` samples mirrored onto each end, numpy `mode="reflect"` (the edge sample
/// is not repeated). Signals shorter than `pad + 1` reflect back and forth, as numpy does.
fn reflect_pad(samples: &[f32], pad: usize) -> Vec<f32> {
    let n = samples.len() as i64;
    let index = |i: i64| -> usize {
        if n == 1 {
            return 0;
        }
        let period = 2 * (n - 1);
        let mut k = i.rem_euclid(period);
        if k >= n {
            k = period - k;
        }
        k as usize
    };
    (-(pad as i64)..n + pad as i64)
        .map(|i| samples[index(i)])
        .collect()
}

/// Slaney's mel scale (librosa `htk=False`): linear below 1 kHz, logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_mel = 1000.0 / f_sp;
    let log_step = 6.4f64.ln() / 27.0;
    if hz >= 1000.0 {
        min_log_mel + (hz / 1000.0).ln() / log_step
    } else {
        hz / f_sp
    }
}

/// The inverse of [`hz_to_mel`].
fn mel_to_hz(mel: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_mel = 1000.0 / f_sp;
    let log_step = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        1000.0 * (log_step * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// The `N_MELS x N_BINS` filterbank (librosa `filters.mel(sr=16000, n_fft=400, n_mels=40)`).
pub fn mel_filterbank() -> Vec<Vec<f64>> {
    let nyquist = f64::from(SAMPLE_RATE) / 2.0;
    let (low, high) = (hz_to_mel(0.0), hz_to_mel(nyquist));
    let points: Vec<f64> = (0..N_MELS + 2)
        .map(|i| mel_to_hz(low + (high - low) * i as f64 / (N_MELS + 1) as f64))
        .collect();
    let bin_hz = f64::from(SAMPLE_RATE) / N_FFT as f64;
    (0..N_MELS)
        .map(|m| {
            let (left, centre, right) = (points[m], points[m + 1], points[m + 2]);
            let area = 2.0 / (right - left);
            (0..N_BINS)
                .map(|k| {
                    let f = k as f64 * bin_hz;
                    let rising = (f - left) / (centre - left);
                    let falling = (right - f) / (right - centre);
                    rising.min(falling).max(0.0) * area
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_pad_mirrors_without_repeating_the_edge() {
        assert_eq!(
            reflect_pad(&[1.0, 2.0, 3.0, 4.0], 2),
            [3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]
        );
        assert_eq!(
            reflect_pad(&[1.0, 2.0], 3),
            [2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0]
        );
        assert_eq!(reflect_pad(&[5.0], 2), [5.0; 5]);
    }

    #[test]
    fn frame_count_is_one_plus_length_over_hop() {
        let mel = MelSpectrogram::new();
        assert_eq!(mel.compute(&[0.0; 1600]).len(), 11);
        assert_eq!(mel.compute(&[0.0; 1759]).len(), 11);
        assert_eq!(mel.compute(&[0.1; 3]).len(), 1);
        assert!(mel.compute(&[]).is_empty());
    }

    #[test]
    fn a_pure_tone_lands_in_the_mel_band_around_it() {
        let tone: Vec<f32> = (0..16_000)
            .map(|n| (2.0 * PI * 440.0 * f64::from(n) / 16_000.0).sin() as f32)
            .collect();
        let frames = MelSpectrogram::new().compute(&tone);
        let middle = frames[50];
        let loudest = (0..N_MELS)
            .max_by(|a, b| middle[*a].total_cmp(&middle[*b]))
            .unwrap_or(0);
        // 440 Hz = 6.6 Slaney mel; bands are 45.2 / 41 = 1.10 mel apart, band m peaks at
        // (m + 1) * 1.10 mel: band 5 (6.61 mel).
        assert_eq!(loudest, 5);
    }
}
