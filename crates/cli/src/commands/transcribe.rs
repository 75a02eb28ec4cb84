//! `littlemonster transcribe`: a WAV file to timestamped transcript segments.

use std::path::PathBuf;

use lm_core::engines::{TranscribeOptions, Transcriber, TranscriptSegment};

use crate::ModelArgs;
use crate::stats::Stats;

/// Arguments of `littlemonster transcribe`.
#[derive(Debug, clap::Args)]
pub struct TranscribeArgs {
    /// A 16 kHz mono WAV file.
    file: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Language code ("en"); auto-detected when omitted.
    #[arg(long)]
    language: Option<String>,
    /// Print the segments as one JSON array instead of timestamped lines.
    #[arg(long)]
    json: bool,
}

/// Streams segments to stdout as Whisper finalises them.
pub fn run(args: TranscribeArgs, stats: Stats) -> anyhow::Result<()> {
    let transcriber = args.model.whisper_settings().worker_transcriber()?;
    let options = TranscribeOptions {
        language: args.language,
        threads: args.model.threads,
    };
    let json = args.json;
    let segments = transcriber.transcribe(&args.file, &options, &mut |segment| {
        if !json {
            println!("{}", timestamped_line(segment));
        }
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&segments)?);
    }
    stats.report(
        "transcribe",
        serde_json::json!({
            "audio_ms": audio_duration_ms(&args.file),
            "segments": segments.len(),
            "threads": args.model.threads,
        }),
    );
    Ok(())
}

/// The WAV's length, for the real-time factor (the file has been read by the worker already).
fn audio_duration_ms(path: &std::path::Path) -> Option<u64> {
    let reader = hound::WavReader::open(path).ok()?;
    Some(u64::from(reader.duration()) * 1000 / u64::from(reader.spec().sample_rate.max(1)))
}

/// `[00:01:02.500 --> 00:01:05.000] text`
pub(crate) fn timestamped_line(segment: &TranscriptSegment) -> String {
    format!(
        "[{} --> {}] {}",
        clock(segment.start_ms),
        clock(segment.end_ms),
        segment.text
    )
}

fn clock(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}
