//! `littlemonster say`: text to a WAV file with the on-device Piper voice.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use lm_core::engines::Synthesizer;
use lm_services::EngineSettings;

use crate::stats::Stats;

/// Arguments of `littlemonster say`.
#[derive(Debug, clap::Args)]
pub struct SayArgs {
    /// The text to speak.
    text: String,
    /// Where to write the WAV file.
    #[arg(short, long)]
    output: PathBuf,
    /// ONNX Runtime threads.
    #[arg(long)]
    threads: Option<u32>,
    /// The voice: a catalog id (see `littlemonster models list`) or a Piper `.onnx` file.
    #[arg(long)]
    voice: Option<String>,
}

/// Synthesises the text sentence by sentence and writes one WAV file.
pub fn run(args: SayArgs, stats: Stats) -> anyhow::Result<()> {
    if args.text.trim().is_empty() {
        bail!("nothing to say: the text is empty");
    }
    let synthesizer = voice_settings(args.voice, args.threads).piper_voice()?;
    // Latency and real-time factor count synthesis only, not loading the voice.
    let started = Instant::now();
    let mut first_audio_ms = None;
    let audio = synthesizer.synthesize(&args.text, &mut |_| {
        first_audio_ms.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
    })?;
    let synthesis_ms = started.elapsed().as_secs_f64() * 1000.0;
    lm_tts::write_wav(&audio, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let audio_ms = audio.samples.len() as f64 * 1000.0 / f64::from(audio.sample_rate);
    println!("{}", args.output.display());
    stats.report(
        "say",
        serde_json::json!({
            "first_audio_ms": first_audio_ms,
            "synthesis_ms": synthesis_ms,
            "audio_ms": audio_ms,
            "real_time_factor": synthesis_ms / audio_ms.max(1.0),
        }),
    );
    Ok(())
}

/// Engine settings naming `voice` (the installed default when `None`) and `threads`.
pub fn voice_settings(voice: Option<String>, threads: Option<u32>) -> EngineSettings {
    let defaults = EngineSettings::default();
    EngineSettings {
        voice: voice.unwrap_or(defaults.voice.clone()),
        threads,
        ..defaults
    }
}
