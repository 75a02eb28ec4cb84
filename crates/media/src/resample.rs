//! Streaming conversion of mono audio at any sample rate to 16 kHz, in fixed-size chunks so memory
//! stays bounded however long the lecture is.
//!
//! rubato's synchronous FFT resampler is used: the ratio is fixed per file, and it is both the
//! fastest and (with its anti-aliasing filter) a high-quality choice for offline conversion. Its
//! start-up delay is trimmed and its tail flushed, so the output is as long as the input in time.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use crate::error::MediaError;

/// The sample rate of every file this crate writes, the rate Whisper expects.
pub const TARGET_RATE: u32 = 16_000;

/// Input frames per resampler call: large enough for FFT efficiency, small enough that buffers
/// stay a few kilobytes.
const CHUNK_FRAMES: usize = 4096;

/// Receives 16 kHz mono samples, in order.
pub type Sink<'a> = dyn FnMut(&[f32]) -> Result<(), MediaError> + 'a;

/// Mono samples in, 16 kHz mono samples out, streamed: each sample is converted once, as it
/// arrives, in bounded memory (a decoded file, or a recording as it is made). A change of input
/// rate mid-stream (which some streams do) ends the current segment cleanly and starts a new one.
pub struct To16k {
    file_name: String,
    segment: Option<Segment>,
}

impl To16k {
    /// A converter whose errors name `file_name`.
    pub fn new(file_name: &str) -> Self {
        Self {
            file_name: file_name.to_owned(),
            segment: None,
        }
    }

    /// Converts `samples`, recorded at `rate` Hz, and passes the 16 kHz result to `sink` as whole
    /// chunks become available.
    pub fn push(
        &mut self,
        rate: u32,
        samples: &[f32],
        sink: &mut Sink<'_>,
    ) -> Result<(), MediaError> {
        if self
            .segment
            .as_ref()
            .is_some_and(|segment| segment.input_rate != rate)
        {
            self.finish(sink)?;
        }
        let segment = match &mut self.segment {
            Some(segment) => segment,
            empty => empty.insert(Segment::new(rate, &self.file_name)?),
        };
        segment.pending.extend_from_slice(samples);
        segment.input_frames += samples.len() as u64;
        segment.convert_full_chunks(sink, &self.file_name)
    }

    /// Converts what is still buffered and flushes the resampler, so the output covers the input
    /// to the last sample.
    pub fn finish(&mut self, sink: &mut Sink<'_>) -> Result<(), MediaError> {
        match self.segment.take() {
            Some(mut segment) => segment.flush(sink, &self.file_name),
            None => Ok(()),
        }
    }
}

/// The conversion of a stretch of audio at one input rate.
struct Segment {
    input_rate: u32,
    /// `None` when the input already is 16 kHz.
    resampler: Option<Fft<f32>>,
    /// Input samples not yet converted (less than one chunk after each push).
    pending: Vec<f32>,
    /// The resampler's output chunk.
    output: Vec<f32>,
    /// Output frames still to drop: the resampler's start-up delay.
    delay_left: usize,
    input_frames: u64,
    output_frames: u64,
}

impl Segment {
    fn new(input_rate: u32, file_name: &str) -> Result<Self, MediaError> {
        let resampler = if input_rate == TARGET_RATE {
            None
        } else {
            let resampler = Fft::<f32>::new(
                input_rate as usize,
                TARGET_RATE as usize,
                CHUNK_FRAMES,
                1,
                FixedSync::Input,
            )
            .map_err(|e| MediaError::Corrupt {
                file: file_name.to_owned(),
                detail: format!("unusable sample rate {input_rate} Hz: {e}"),
            })?;
            Some(resampler)
        };
        let (delay_left, output_len) = resampler
            .as_ref()
            .map_or((0, 0), |r| (r.output_delay(), r.output_frames_max()));
        Ok(Self {
            input_rate,
            resampler,
            pending: Vec::with_capacity(CHUNK_FRAMES * 2),
            output: vec![0.0; output_len],
            delay_left,
            input_frames: 0,
            output_frames: 0,
        })
    }

    /// The number of 16 kHz frames that `input_frames` at the input rate last.
    fn expected_output_frames(&self) -> u64 {
        (self.input_frames * u64::from(TARGET_RATE) + u64::from(self.input_rate) / 2)
            / u64::from(self.input_rate)
    }

    fn convert_full_chunks(
        &mut self,
        sink: &mut Sink<'_>,
        file_name: &str,
    ) -> Result<(), MediaError> {
        let Some(resampler) = &mut self.resampler else {
            self.output_frames += self.pending.len() as u64;
            sink(&self.pending)?;
            self.pending.clear();
            return Ok(());
        };
        let mut start = 0;
        while self.pending.len() - start >= resampler.input_frames_next() {
            let needed = resampler.input_frames_next();
            let input = &self.pending[start..start + needed];
            let produced = run_chunk(resampler, input, None, &mut self.output, file_name)?;
            start += needed;
            emit(
                &self.output[..produced],
                &mut self.delay_left,
                &mut self.output_frames,
                u64::MAX,
                sink,
            )?;
        }
        self.pending.drain(..start);
        Ok(())
    }

    fn flush(&mut self, sink: &mut Sink<'_>, file_name: &str) -> Result<(), MediaError> {
        self.convert_full_chunks(sink, file_name)?;
        let expected = self.expected_output_frames();
        let Some(resampler) = &mut self.resampler else {
            return Ok(());
        };
        // The rest of the input, then silence until the delayed tail has come out.
        let mut rest = std::mem::take(&mut self.pending);
        while self.output_frames < expected {
            let partial = Indexing::new().partial_len(rest.len());
            let produced = run_chunk(
                resampler,
                &rest,
                Some(&partial),
                &mut self.output,
                file_name,
            )?;
            rest.clear();
            if produced == 0 {
                // Cannot happen with rubato's FFT resampler; guards the loop all the same.
                break;
            }
            emit(
                &self.output[..produced],
                &mut self.delay_left,
                &mut self.output_frames,
                expected,
                sink,
            )?;
        }
        Ok(())
    }
}

/// Resamples one chunk of `input` into `output`; returns the frames produced.
fn run_chunk(
    resampler: &mut Fft<f32>,
    input: &[f32],
    indexing: Option<&Indexing>,
    output: &mut [f32],
    file_name: &str,
) -> Result<usize, MediaError> {
    let internal = |detail: String| MediaError::Corrupt {
        file: file_name.to_owned(),
        detail,
    };
    let input = InterleavedSlice::new(input, 1, input.len())
        .map_err(|e| internal(format!("resampler input: {e}")))?;
    let frames = output.len();
    let mut output = InterleavedSlice::new_mut(output, 1, frames)
        .map_err(|e| internal(format!("resampler output: {e}")))?;
    resampler
        .process_into_buffer(&input, &mut output, indexing)
        .map(|(_, produced)| produced)
        .map_err(|e| internal(format!("resampling failed: {e}")))
}

/// Passes `chunk` to `sink` minus the start-up delay still to drop, and without going past
/// `limit` output frames in all.
fn emit(
    chunk: &[f32],
    delay_left: &mut usize,
    output_frames: &mut u64,
    limit: u64,
    sink: &mut Sink<'_>,
) -> Result<(), MediaError> {
    let skip = (*delay_left).min(chunk.len());
    *delay_left -= skip;
    let room = usize::try_from(limit.saturating_sub(*output_frames)).unwrap_or(usize::MAX);
    let chunk = &chunk[skip..];
    let chunk = &chunk[..chunk.len().min(room)];
    *output_frames += chunk.len() as u64;
    if chunk.is_empty() {
        Ok(())
    } else {
        sink(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(rate: u32, input: &[f32], piece: usize) -> Vec<f32> {
        let mut out = Vec::new();
        let mut sink = |s: &[f32]| {
            out.extend_from_slice(s);
            Ok(())
        };
        let mut to16k = To16k::new("test.wav");
        for chunk in input.chunks(piece) {
            to16k.push(rate, chunk, &mut sink).unwrap();
        }
        to16k.finish(&mut sink).unwrap();
        out
    }

    fn sine(rate: u32, hz: f32, seconds: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| (i as f32 / rate as f32 * hz * std::f32::consts::TAU).sin() * 0.5)
            .collect()
    }

    #[test]
    fn keeps_length_and_phase_at_any_rate() {
        for rate in [8_000, 22_050, 44_100, 48_000] {
            let input = sine(rate, 440.0, 1.3);
            let out = convert(rate, &input, 1000);
            let expected = sine(TARGET_RATE, 440.0, 1.3);
            // The input's length in time, rounded to 16 kHz samples.
            let expected_len = (input.len() * 16_000 + rate as usize / 2) / rate as usize;
            assert_eq!(out.len(), expected_len, "rate {rate}");
            assert!(out.len().abs_diff(expected.len()) <= 1);
            // Delay trimmed: the output lines up with a 16 kHz sine sample for sample (the edges,
            // where the filter sees the cut, aside). The resampler's delay is a whole number of
            // output samples only for some ratios: up to half a sample (31 µs) may remain, which
            // for this sine is a difference of at most 0.043; one whole sample would be 0.086.
            let middle = 1000..expected.len() - 1000;
            let worst = middle
                .map(|i| (out[i] - expected[i]).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 0.045, "rate {rate}: worst difference {worst}");
        }
    }

    #[test]
    fn passes_16k_through_and_splits_at_rate_changes() {
        let first = sine(16_000, 300.0, 0.5);
        let second = sine(48_000, 300.0, 0.5);
        let mut out = Vec::new();
        let mut sink = |s: &[f32]| {
            out.extend_from_slice(s);
            Ok(())
        };
        let mut to16k = To16k::new("test.wav");
        to16k.push(16_000, &first, &mut sink).unwrap();
        to16k.push(48_000, &second, &mut sink).unwrap();
        to16k.finish(&mut sink).unwrap();
        assert_eq!(out.len(), 16_000);
        assert_eq!(out[..8000], first[..]);
    }
}
