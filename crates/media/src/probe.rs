//! Opening a media file: content sniffing, container detection (symphonia's probe, which looks at
//! the bytes, never the extension) and choice of the audio track.

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;
use std::sync::LazyLock;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, Track, TrackType};
use symphonia::core::io::{
    MediaSource, MediaSourceStream, MediaSourceStreamOptions, ReadOnlySource,
};
use symphonia::core::meta::MetadataOptions;

use crate::error::{MediaError, display_name};
use crate::sniff::{explain_cut_short, is_matroska, reject_non_media};

/// What [`probe`] learned about a media file without decoding its audio.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInfo {
    /// The container format, as detected from the content (e.g. "Waveform Audio File Format",
    /// "ISO Base Media File Format" for mp4/m4a/mov, "Matroska / WebM").
    pub container: String,
    /// The audio codec of the chosen audio track (e.g. "aac", "opus", "mp3", "vorbis", "flac").
    pub codec: String,
    /// Channels of the audio track, when the container says.
    pub channels: Option<u16>,
    /// Sample rate of the audio track in Hz, when the container says.
    pub sample_rate: Option<u32>,
    /// Length of the audio track in seconds, when the container says (raw streams such as MP3
    /// without a Xing header or WebM often do not).
    pub duration_seconds: Option<f64>,
    /// Whether the file also has a video track (the audio track is used, the video ignored).
    pub has_video: bool,
}

/// Detects what `path` contains, from its bytes: container, audio codec, channels, sample rate
/// and duration.
///
/// Fails with a specific [`MediaError`] for an empty file, a known non-media file under an audio
/// name (a PDF called `.mp3`), unrecognisable content, a file with no audio track, or an audio
/// codec this crate cannot decode, so a job can be refused before any work starts.
pub fn probe(path: &Path) -> Result<MediaInfo, MediaError> {
    Ok(OpenedMedia::open(path)?.info)
}

/// A file whose container is open and whose audio track is chosen, ready to read packets.
pub(crate) struct OpenedMedia {
    /// The demuxer.
    pub(crate) reader: Box<dyn FormatReader>,
    /// The id of the audio track being read.
    pub(crate) track_id: u32,
    /// The audio track's codec parameters, to build (and rebuild) its decoder.
    pub(crate) codec_params: AudioCodecParameters,
    /// What was found, for the caller's report.
    pub(crate) info: MediaInfo,
    /// The file's display name for messages.
    pub(crate) file_name: String,
}

impl OpenedMedia {
    /// Sniffs, opens and probes `path` and picks its audio track.
    pub(crate) fn open(path: &Path) -> Result<Self, MediaError> {
        let head = reject_non_media(path)?;
        let file_name = display_name(path);
        let reader = match open_container(path, &file_name, Seeking::Allowed) {
            Ok(reader) => reader,
            // A WebM/MKV cut short has its index (Cues) missing; read front to back without
            // seeking to it and it still decodes up to the cut.
            Err(first) if is_matroska(&head) => {
                open_container(path, &file_name, Seeking::Forbidden).map_err(|_| first)?
            }
            Err(e) => return Err(e),
        };

        let has_video = reader
            .tracks()
            .iter()
            .any(|t| t.track_type() == Some(TrackType::Video));
        let track = reader
            .default_track(TrackType::Audio)
            .or_else(|| reader.first_track(TrackType::Audio))
            .ok_or_else(|| MediaError::NoAudioTrack {
                file: file_name.clone(),
            })?;
        let Some(CodecParameters::Audio(codec_params)) = track.codec_params.clone() else {
            return Err(MediaError::NoAudioTrack { file: file_name });
        };
        let codec = codec_name(&codec_params).ok_or_else(|| MediaError::UnsupportedCodec {
            file: file_name.clone(),
            codec: codec_params.codec.to_string(),
        })?;
        let info = MediaInfo {
            container: reader.format_info().long_name.to_owned(),
            codec,
            channels: codec_params
                .channels
                .as_ref()
                .and_then(|c| u16::try_from(c.count()).ok()),
            sample_rate: codec_params.sample_rate,
            duration_seconds: track_seconds(track, codec_params.sample_rate),
            has_video,
        };
        let track_id = track.id;
        Ok(Self {
            reader,
            track_id,
            codec_params,
            info,
            file_name,
        })
    }
}

/// Whether the demuxer may seek in the file.
#[derive(Clone, Copy)]
enum Seeking {
    Allowed,
    Forbidden,
}

/// Opens `path` and detects its container from its content.
fn open_container(
    path: &Path,
    file_name: &str,
    seeking: Seeking,
) -> Result<Box<dyn FormatReader>, MediaError> {
    let file = File::open(path).map_err(|source| MediaError::Read {
        file: file_name.to_owned(),
        source,
    })?;
    let source: Box<dyn MediaSource> = match seeking {
        Seeking::Allowed => Box::new(file),
        Seeking::Forbidden => Box::new(ReadOnlySource::new(file)),
    };
    let stream = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| explain_cut_short(path, container_error(file_name, e)))
}

/// The decoders this crate can use: symphonia's, plus libopus (symphonia has no Opus decoder).
pub(crate) fn codecs() -> &'static CodecRegistry {
    static CODECS: LazyLock<CodecRegistry> = LazyLock::new(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<symphonia_adapter_libopus::OpusDecoder>();
        registry
    });
    &CODECS
}

/// The short name of the codec of `params`, or `None` when no registered decoder handles it.
fn codec_name(params: &AudioCodecParameters) -> Option<String> {
    codecs()
        .get_audio_decoder(params.codec)
        .map(|decoder| decoder.codec.info.short_name.to_owned())
}

/// The track's length in seconds: from its duration and time base, or else its frame count.
fn track_seconds(track: &Track, sample_rate: Option<u32>) -> Option<f64> {
    let from_time_base = track
        .duration
        .zip(track.time_base)
        .and_then(|(duration, time_base)| time_base.calc_duration(duration))
        .map(|time| time.as_secs_f64());
    let from_frames = track
        .num_frames
        .zip(sample_rate.filter(|rate| *rate > 0))
        .map(|(frames, rate)| frames as f64 / f64::from(rate));
    from_time_base.or(from_frames)
}

/// Turns an error from opening the container into the student-facing error.
fn container_error(file_name: &str, error: SymphoniaError) -> MediaError {
    let file = file_name.to_owned();
    match error {
        SymphoniaError::IoError(e) if e.kind() == ErrorKind::UnexpectedEof => {
            MediaError::Truncated { file }
        }
        SymphoniaError::IoError(source) => MediaError::Read { file, source },
        SymphoniaError::Unsupported(_) => MediaError::UnrecognisedFormat { file },
        other => MediaError::Corrupt {
            file,
            detail: other.to_string(),
        },
    }
}
