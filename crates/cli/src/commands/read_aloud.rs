//! `littlemonster read-aloud`: text or a stored note spoken sentence by sentence into a WAV
//! file, the way the app reads aloud (the first sentence is ready long before the last).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use lm_core::engines::{SpeechAudio, Synthesizer};
use lm_core::read_aloud::{ReadAloud, ReadAloudEvent, speakable};
use lm_core::store::NoteId;

use super::say::voice_settings;
use crate::library::open_library;
use crate::stats::Stats;

/// Silence between sentences in the file, as Piper's own command line leaves.
const SENTENCE_GAP_SECONDS: f32 = 0.2;

/// Arguments of `littlemonster read-aloud`.
#[derive(Debug, clap::Args)]
pub struct ReadAloudArgs {
    /// The text to read (Markdown is read without its syntax).
    #[arg(long, required_unless_present = "note", conflicts_with = "note")]
    text: Option<String>,
    /// A stored note, by id (`littlemonster notes` prints it).
    #[arg(long)]
    note: Option<String>,
    /// Where to write the WAV file.
    #[arg(short, long)]
    output: PathBuf,
    /// The voice: a catalog id or a Piper `.onnx` file.
    #[arg(long)]
    voice: Option<String>,
    /// ONNX Runtime threads.
    #[arg(long)]
    threads: Option<u32>,
}

/// Synthesises sentence by sentence, writes one WAV file, and (with `--stats`) reports the time
/// to the first sentence's audio and the real-time factor, voice loading excluded.
pub fn run(args: ReadAloudArgs, stats: Stats) -> anyhow::Result<()> {
    let text = match (&args.text, &args.note) {
        (Some(text), _) => text.clone(),
        (None, Some(id)) => {
            let library = open_library()?;
            let note = library.store().notes().get(&NoteId::from(id.clone()))?;
            speakable::speakable_note(&note)
        }
        (None, None) => bail!("give --text or --note"),
    };
    // Refuse text without words before paying for the voice.
    if speakable::sentences(&text).is_empty() {
        bail!("there is nothing to read aloud: the text has no words");
    }
    let voice: Arc<dyn Synthesizer> =
        Arc::new(voice_settings(args.voice, args.threads).piper_voice()?);
    let started = Instant::now();
    let session = ReadAloud::start(voice, &text)?;
    let mut first_audio_ms = None;
    let mut samples: Vec<f32> = Vec::new();
    let mut sample_rate = None;
    let mut sentences = 0;
    while let Some(event) = session.next() {
        match event {
            ReadAloudEvent::Sentence(sentence) => {
                first_audio_ms.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
                let rate = *sample_rate.get_or_insert(sentence.audio.sample_rate);
                if !samples.is_empty() {
                    let gap = (rate as f32 * SENTENCE_GAP_SECONDS) as usize;
                    samples.extend(std::iter::repeat_n(0.0, gap));
                }
                samples.extend_from_slice(&sentence.audio.samples);
                sentences += 1;
            }
            ReadAloudEvent::Finished => break,
            ReadAloudEvent::Stopped => bail!("reading aloud stopped before the end"),
            ReadAloudEvent::Failed(error) => bail!("the voice failed: {error}"),
        }
    }
    let synthesis_ms = started.elapsed().as_secs_f64() * 1000.0;
    let audio = SpeechAudio {
        samples,
        sample_rate: sample_rate.context("the voice produced no audio")?,
    };
    lm_tts::write_wav(&audio, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let audio_ms = audio.samples.len() as f64 * 1000.0 / f64::from(audio.sample_rate);
    println!("{}", args.output.display());
    stats.report(
        "read-aloud",
        serde_json::json!({
            "sentences": sentences,
            "first_audio_ms": first_audio_ms,
            "synthesis_ms": synthesis_ms,
            "audio_ms": audio_ms,
            "real_time_factor": synthesis_ms / audio_ms.max(1.0),
        }),
    );
    Ok(())
}
