//! The live input level shown while recording: RMS and peak in dBFS, about ten times a second.

use serde::Serialize;

/// The quietest level reported, in dBFS; digital silence reads as this instead of minus infinity.
pub const SILENCE_DBFS: f32 = -100.0;

/// How loud the input was over one short block of audio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InputLevel {
    /// Root mean square of the block, in dBFS (0 is a full-scale square wave).
    pub rms_dbfs: f32,
    /// The largest absolute sample of the block, in dBFS (0 means the input clipped).
    pub peak_dbfs: f32,
}

impl InputLevel {
    /// The level of `samples` (any layout: every sample counts alike).
    pub fn of(samples: &[f32]) -> Self {
        let mut sum_of_squares = 0.0_f64;
        let mut peak = 0.0_f32;
        for &sample in samples {
            sum_of_squares += f64::from(sample) * f64::from(sample);
            peak = peak.max(sample.abs());
        }
        let rms = if samples.is_empty() {
            0.0
        } else {
            (sum_of_squares / samples.len() as f64).sqrt() as f32
        };
        Self {
            rms_dbfs: to_dbfs(rms),
            peak_dbfs: to_dbfs(peak),
        }
    }
}

/// An amplitude (1.0 is full scale) in dBFS, floored at [`SILENCE_DBFS`].
pub fn to_dbfs(amplitude: f32) -> f32 {
    if amplitude <= 0.0 {
        SILENCE_DBFS
    } else {
        (20.0 * amplitude.log10()).max(SILENCE_DBFS)
    }
}

/// Cuts a stream of samples into blocks of a tenth of a second and measures each.
pub(crate) struct LevelMeter {
    block_samples: usize,
    block: Vec<f32>,
}

impl LevelMeter {
    /// Blocks of 100 ms of `channels`-channel audio at `sample_rate`.
    pub(crate) fn new(sample_rate: u32, channels: u16) -> Self {
        let block_samples = (sample_rate as usize / 10).max(1) * usize::from(channels.max(1));
        Self {
            block_samples,
            block: Vec::with_capacity(block_samples),
        }
    }

    /// Adds `samples` and calls `on_level` once per completed block.
    pub(crate) fn push(&mut self, mut samples: &[f32], on_level: &mut dyn FnMut(InputLevel)) {
        while !samples.is_empty() {
            let take = (self.block_samples - self.block.len()).min(samples.len());
            self.block.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.block.len() == self.block_samples {
                on_level(InputLevel::of(&self.block));
                self.block.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 0.05
    }

    #[test]
    fn full_scale_square_wave_is_zero_dbfs() {
        let level = InputLevel::of(&[1.0, -1.0, 1.0, -1.0]);
        assert!(
            close(level.rms_dbfs, 0.0) && close(level.peak_dbfs, 0.0),
            "{level:?}"
        );
    }

    #[test]
    fn a_half_scale_sine_has_rms_three_db_below_its_peak() {
        let sine: Vec<f32> = (0..48_000)
            .map(|i| 0.5 * (i as f32 * 440.0 * std::f32::consts::TAU / 48_000.0).sin())
            .collect();
        let level = InputLevel::of(&sine);
        // Peak 20·log10(0.5) = -6.02 dBFS; RMS of a sine is peak/√2, 3.01 dB lower.
        assert!(close(level.peak_dbfs, -6.02), "{level:?}");
        assert!(close(level.rms_dbfs, -9.03), "{level:?}");
    }

    #[test]
    fn silence_and_nothing_read_as_the_floor() {
        assert_eq!(InputLevel::of(&[0.0; 100]).rms_dbfs, SILENCE_DBFS);
        assert_eq!(InputLevel::of(&[]).peak_dbfs, SILENCE_DBFS);
        assert_eq!(to_dbfs(1e-9), SILENCE_DBFS);
    }

    #[test]
    fn the_meter_reports_ten_blocks_a_second_across_pushes() {
        let mut meter = LevelMeter::new(16_000, 2);
        let mut levels = Vec::new();
        // 1.05 s of stereo audio in uneven pieces: ten full blocks, the rest waits.
        let audio = vec![0.25_f32; 16_800 * 2];
        for piece in audio.chunks(777) {
            meter.push(piece, &mut |level| levels.push(level));
        }
        assert_eq!(levels.len(), 10);
        assert!(
            levels.iter().all(|l| close(l.rms_dbfs, -12.04)),
            "{levels:?}"
        );
    }
}
