//! Streaming transcode of any supported file to a 16 kHz mono 16-bit WAV.
//!
//! Packets are decoded one at a time, downmixed, resampled in fixed chunks and written straight to
//! disk, so memory does not grow with the length of the lecture. The WAV is written to a temporary
//! file beside the output and renamed over it only when complete: an error or a cancel leaves no
//! half file behind.
//!
//! Damaged and cut-off input, per format (tests in `tests/bad_inputs.rs` cut WAV, FLAC, MP3, Ogg
//! Vorbis, WebM Opus and M4A files in half):
//! - WAV, FLAC, MP3, Ogg (Vorbis, Opus) and WebM/MKV cut off inside their audio are decoded up to
//!   the cut; the report says `truncated` and carries a warning. Ogg loses the last, incomplete
//!   page (up to about a second). A cut is noticed from an end-of-file inside a packet or from
//!   the container's own duration; an MP3 without a LAME/Xing header (sox writes none) has no
//!   recorded length, so a cut one looks like a shorter recording and converts without a warning.
//! - MP4/M4A/MOV cut anywhere fails with [`MediaError::Truncated`]: symphonia cannot read such a
//!   file (its index is missing when written last, and with the index first it stops at the
//!   missing data), so the job says the file is incomplete.
//! - Damaged packets are skipped (and counted in the report); a long run of them, or a file where
//!   nothing decodes, fails with [`MediaError::Corrupt`] / [`MediaError::NoAudio`]. Damage in the
//!   container structure (e.g. a WAV header with zero channels) fails with
//!   [`MediaError::Corrupt`].

use std::io::{BufWriter, ErrorKind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use hound::{SampleFormat, WavSpec, WavWriter};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;

use crate::error::{MediaError, display_name};
use crate::probe::{MediaInfo, OpenedMedia, codecs};
use crate::resample::{Sink, TARGET_RATE, To16k};
use crate::sniff::explain_cut_short;

/// How often, in seconds of decoded audio, progress is reported.
const PROGRESS_EVERY_SECONDS: f64 = 5.0;

/// Damaged packets in a row after which the file is given up as corrupt rather than skipped over.
const MAX_DAMAGED_IN_A_ROW: u32 = 100;

/// Progress of a running [`transcode_to_wav16k`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeProgress {
    /// Seconds of source audio decoded so far.
    pub decoded_seconds: f64,
    /// Length of the source in seconds, when the container says.
    pub total_seconds: Option<f64>,
}

/// What a finished [`transcode_to_wav16k`] produced.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscodeReport {
    /// What the source file is.
    pub source: MediaInfo,
    /// Samples written to the output (16 000 per second).
    pub output_samples: u64,
    /// Length of the output in seconds.
    pub output_seconds: f64,
    /// The source ended before its audio did (a cut-off copy or download): everything up to the
    /// cut was converted.
    pub truncated: bool,
    /// Damaged packets that were skipped (each a few milliseconds of audio replaced by nothing).
    pub damaged_packets: u64,
    /// Sentences for the student about anything imperfect (truncation, skipped damage); empty
    /// when the whole file converted cleanly.
    pub warnings: Vec<String>,
}

/// Decodes `input` (any supported container and codec, detected from its content), downmixes it
/// to mono, resamples it to 16 kHz and writes a 16-bit PCM WAV to `output`.
///
/// `progress` is called every few seconds of decoded audio and once at the end. Setting `cancel`
/// stops the work at the next packet with [`MediaError::Cancelled`]. Memory stays bounded for any
/// length of input. On any error `output` is left as it was (a temporary file beside it is
/// removed); on success it is replaced atomically.
pub fn transcode_to_wav16k(
    input: &Path,
    output: &Path,
    progress: &mut dyn FnMut(DecodeProgress),
    cancel: &AtomicBool,
) -> Result<TranscodeReport, MediaError> {
    let mut media = OpenedMedia::open(input)?;
    let output_name = display_name(output);
    let write_error = |detail: String| MediaError::Write {
        file: output_name.clone(),
        detail,
    };

    let directory = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::Builder::new()
        .prefix(".lm-media-")
        .suffix(".wav.part")
        .tempfile_in(directory)
        .map_err(|e| write_error(e.to_string()))?;
    let spec = WavSpec {
        channels: 1,
        sample_rate: TARGET_RATE,
        bits_per_sample: 16,
        sample_format: SampleFormat::Int,
    };
    let mut wav = WavWriter::new(BufWriter::new(temp.as_file()), spec)
        .map_err(|e| write_error(e.to_string()))?;
    let outcome = decode_to_16k(
        &mut media,
        &mut |samples| {
            samples
                .iter()
                .try_for_each(|&s| wav.write_sample(to_i16(s)))
                .map_err(|e| write_error(e.to_string()))
        },
        progress,
        cancel,
    )
    .map_err(|e| explain_cut_short(input, e))?;
    wav.finalize().map_err(|e| write_error(e.to_string()))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| write_error(e.to_string()))?;
    temp.persist(output)
        .map_err(|e| write_error(e.error.to_string()))?;

    let warnings = outcome.warnings(&media);
    Ok(TranscodeReport {
        source: media.info,
        output_samples: outcome.output_samples,
        output_seconds: outcome.output_samples as f64 / f64::from(TARGET_RATE),
        truncated: outcome.truncated,
        damaged_packets: outcome.damaged_packets,
        warnings,
    })
}

/// What decoding a whole file found.
struct DecodeOutcome {
    decoded_seconds: f64,
    output_samples: u64,
    truncated: bool,
    damaged_packets: u64,
}

impl DecodeOutcome {
    fn warnings(&self, media: &OpenedMedia) -> Vec<String> {
        let file = &media.file_name;
        let mut warnings = Vec::new();
        if self.truncated {
            let of_total = media
                .info
                .duration_seconds
                .map(|total| format!(" of {}", clock(total)))
                .unwrap_or_default();
            warnings.push(format!(
                "{file} ends early: only {}{of_total} could be read, the rest of the file is \
                 missing",
                clock(self.decoded_seconds)
            ));
        }
        if self.damaged_packets > 0 {
            warnings.push(format!(
                "{file} has {} damaged block(s) of audio that were skipped",
                self.damaged_packets
            ));
        }
        warnings
    }
}

/// Decodes the audio track of `media` to 16 kHz mono and hands it to `sink` piece by piece.
fn decode_to_16k(
    media: &mut OpenedMedia,
    sink: &mut Sink<'_>,
    progress: &mut dyn FnMut(DecodeProgress),
    cancel: &AtomicBool,
) -> Result<DecodeOutcome, MediaError> {
    let file = media.file_name.clone();
    let total_seconds = media.info.duration_seconds;
    let mut decoder = make_decoder(media)?;
    let mut to16k = To16k::new(&file);
    let mut output_samples = 0u64;
    let mut counting_sink = |samples: &[f32]| {
        output_samples += samples.len() as u64;
        sink(samples)
    };
    let mut interleaved: Vec<f32> = Vec::new();
    let mut mono: Vec<f32> = Vec::new();
    let mut decoded_seconds = 0.0;
    let mut next_report = PROGRESS_EVERY_SECONDS;
    let mut truncated = false;
    let mut damaged_packets = 0u64;
    let mut damaged_in_a_row = 0u32;
    let corrupt = |detail: String| MediaError::Corrupt {
        file: file.clone(),
        detail,
    };

    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(MediaError::Cancelled { file });
        }
        let packet = match media.reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                truncated = true;
                break;
            }
            Err(SymphoniaError::IoError(source)) => {
                return Err(MediaError::Read { file, source });
            }
            // The demuxer cannot find its way past damaged container data: keep what was decoded
            // (reported as truncated), or fail when that is nothing.
            Err(SymphoniaError::DecodeError(_)) if decoded_seconds > 0.0 => {
                truncated = true;
                break;
            }
            Err(e) => return Err(corrupt(e.to_string())),
        };
        if packet.track_id != media.track_id {
            continue;
        }
        let buffer = match decoder.decode(&packet) {
            Ok(buffer) => buffer,
            Err(SymphoniaError::DecodeError(_) | SymphoniaError::IoError(_)) => {
                damaged_packets += 1;
                damaged_in_a_row += 1;
                if damaged_in_a_row > MAX_DAMAGED_IN_A_ROW {
                    return Err(corrupt(format!(
                        "{damaged_in_a_row} damaged blocks of audio in a row"
                    )));
                }
                continue;
            }
            Err(SymphoniaError::ResetRequired) => {
                decoder = make_decoder(media)?;
                continue;
            }
            Err(e) => return Err(corrupt(e.to_string())),
        };
        damaged_in_a_row = 0;
        let rate = buffer.spec().rate();
        let channels = buffer.spec().channels().count();
        if buffer.frames() == 0 || channels == 0 || rate == 0 {
            continue;
        }
        buffer.copy_to_vec_interleaved::<f32>(&mut interleaved);
        downmix(&interleaved, channels, &mut mono);
        decoded_seconds += mono.len() as f64 / f64::from(rate);
        to16k.push(rate, &mono, &mut counting_sink)?;
        if decoded_seconds >= next_report {
            progress(DecodeProgress {
                decoded_seconds,
                total_seconds,
            });
            next_report = decoded_seconds + PROGRESS_EVERY_SECONDS;
        }
    }
    to16k.finish(&mut counting_sink)?;
    progress(DecodeProgress {
        decoded_seconds,
        total_seconds,
    });

    if output_samples == 0 {
        return Err(if truncated {
            MediaError::Truncated { file }
        } else if damaged_packets > 0 {
            MediaError::NoAudio {
                file,
                detail: "every block of audio is damaged".to_owned(),
            }
        } else {
            MediaError::NoAudio {
                file,
                detail: "its audio track is empty".to_owned(),
            }
        });
    }
    // Some demuxers end quietly at a cut; the container's own duration gives the cut away.
    if let Some(total) = total_seconds {
        truncated |= decoded_seconds < total * 0.98 - 0.5;
    }
    Ok(DecodeOutcome {
        decoded_seconds,
        output_samples,
        truncated,
        damaged_packets,
    })
}

/// A decoder for the chosen track.
fn make_decoder(media: &OpenedMedia) -> Result<Box<dyn AudioDecoder>, MediaError> {
    codecs()
        .make_audio_decoder(&media.codec_params, &AudioDecoderOptions::default())
        .map_err(|e| MediaError::UnsupportedCodec {
            file: media.file_name.clone(),
            codec: format!("{} ({e})", media.info.codec),
        })
}

/// Averages the channels of `interleaved` into `mono` (replacing its content).
fn downmix(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
    mono.clear();
    if channels == 1 {
        mono.extend_from_slice(interleaved);
    } else {
        let scale = 1.0 / channels as f32;
        mono.extend(
            interleaved
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() * scale),
        );
    }
}

/// A sample in [-1, 1) as 16-bit PCM, clipping what overshoots (resampling can, slightly).
/// The scale is symphonia's own (2^15), so 16-bit input at 16 kHz is copied bit for bit.
fn to_i16(sample: f32) -> i16 {
    (sample * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// `seconds` as m:ss, the way a student reads a lecture length.
fn clock(seconds: f64) -> String {
    let whole = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", whole / 60, whole % 60)
}
