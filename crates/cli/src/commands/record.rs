//! `littlemonster record`: records a lecture into a class, with a level meter and the live
//! transcript, until Enter, Ctrl-C or SIGTERM (each stops cleanly and stores the lecture).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

use lm_core::engines::{AudioSource, TranscribeOptions};
use lm_core::recording::{
    InputLevel, RecordingControls, RecordingEvent, RecordingOptions, RecordingSession,
    WavFileSource,
};

use crate::ModelArgs;
use crate::commands::transcribe::timestamped_line;
use crate::library::open_library;

/// Arguments of `littlemonster record`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// The class to record into (created when there is none of that name).
    #[arg(long)]
    class: String,
    /// The lecture's title.
    #[arg(long)]
    title: String,
    /// The input device (see `littlemonster devices`); the default microphone otherwise.
    #[arg(long, conflicts_with = "from_wav")]
    device: Option<String>,
    /// Play this WAV file as the microphone, in real time (demos and tests); the recording stops
    /// when it ends.
    #[arg(long)]
    from_wav: Option<PathBuf>,
    /// Record without the live transcript.
    #[arg(long)]
    no_live_transcript: bool,
    /// The Whisper model of the live transcript.
    #[command(flatten)]
    model: ModelArgs,
}

/// Why the recording loop ended.
#[derive(Debug)]
enum StopReason {
    Asked,
    SourceEnded,
    Failed(String),
}

/// Records until asked to stop, then prints the lecture id on stdout.
pub fn run(args: RecordArgs) -> anyhow::Result<()> {
    let library = open_library()?;
    let class = library.class_named(&args.class)?;
    let source: Box<dyn AudioSource> = match (&args.from_wav, &args.device) {
        (Some(wav), _) => Box::new(WavFileSource::open(wav)?),
        (None, Some(name)) => Box::new(lm_audio::MicrophoneSource::open(name)?),
        (None, None) => Box::new(lm_audio::MicrophoneSource::open_default()?),
    };
    let live_transcriber = if args.no_live_transcript {
        None
    } else {
        let transcriber = args.model.whisper_settings().worker_transcriber()?;
        Some(Arc::new(transcriber) as Arc<dyn lm_core::engines::Transcriber>)
    };
    let options = RecordingOptions {
        live_transcriber,
        transcribe_options: TranscribeOptions {
            language: None,
            threads: args.model.threads,
        },
        ..RecordingOptions::default()
    };

    let stop_requested = Arc::new(AtomicBool::new(false));
    let on_signal = Arc::clone(&stop_requested);
    ctrlc::set_handler(move || on_signal.store(true, Ordering::SeqCst))?;
    let (events, received) = channel();
    let session =
        RecordingSession::start(&library, &class.id, &args.title, source, options, events)?;
    eprintln!(
        "recording lecture {} into \"{}\": press Enter to stop, p and Enter to pause or resume",
        session.lecture_id(),
        class.name
    );
    spawn_keyboard_reader(session.controls(), Arc::clone(&stop_requested));

    let meter = std::io::stderr().is_terminal();
    let reason = loop {
        if stop_requested.load(Ordering::SeqCst) {
            break StopReason::Asked;
        }
        match received.recv_timeout(Duration::from_millis(100)) {
            Ok(RecordingEvent::Level(level)) if meter => {
                draw_meter(level, session.elapsed(), session.is_paused());
            }
            Ok(RecordingEvent::Level(_)) | Err(RecvTimeoutError::Timeout) => {}
            Ok(RecordingEvent::Segment(segment)) => {
                clear_meter(meter);
                println!("{}", timestamped_line(&segment));
            }
            Ok(RecordingEvent::LiveTranscriptProblem(problem)) => {
                clear_meter(meter);
                eprintln!("live transcript: {problem}");
            }
            Ok(RecordingEvent::SourceEnded) => break StopReason::SourceEnded,
            Ok(RecordingEvent::SourceFailed(problem) | RecordingEvent::WriteFailed(problem)) => {
                break StopReason::Failed(problem);
            }
            Err(RecvTimeoutError::Disconnected) => break StopReason::SourceEnded,
        }
    };
    clear_meter(meter);
    if let StopReason::Failed(problem) = &reason {
        eprintln!("recording stopped: {problem}");
    }
    eprintln!("finishing the recording...");
    let finished = session.stop(&library)?;
    // Segments settled by the last window, which the loop above did not print.
    for event in received.try_iter() {
        if let RecordingEvent::Segment(segment) = event {
            println!("{}", timestamped_line(&segment));
        }
    }
    eprintln!(
        "stored \"{}\": {:.1} s, {} transcript segments",
        finished.lecture.title,
        finished.duration_ms as f64 / 1000.0,
        finished.transcript.len()
    );
    println!("{}", finished.lecture.id);
    Ok(())
}

/// Reads lines from stdin: "p" pauses or resumes, any other line stops. End of input (no
/// terminal, as under a test harness) changes nothing: Ctrl-C or SIGTERM still stop.
fn spawn_keyboard_reader(session: RecordingControls, stop_requested: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { return };
            if line.trim().eq_ignore_ascii_case("p") {
                if session.is_paused() {
                    session.resume();
                    eprintln!("resumed");
                } else {
                    session.pause();
                    eprintln!("paused");
                }
            } else {
                stop_requested.store(true, Ordering::SeqCst);
                return;
            }
        }
    });
}

/// `[##########          ] -23.4 dB  00:01:05` on one refreshed line.
fn draw_meter(level: InputLevel, elapsed: Duration, paused: bool) {
    const WIDTH: usize = 30;
    // -60 dBFS (quiet room) to 0 dBFS (clipping) across the bar.
    let filled = (((level.rms_dbfs + 60.0) / 60.0).clamp(0.0, 1.0) * WIDTH as f32) as usize;
    let seconds = elapsed.as_secs();
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "\r[{}{}] {:6.1} dB  {:02}:{:02}:{:02}{}",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled),
        level.rms_dbfs,
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        if paused { "  paused" } else { "        " }
    );
    let _ = stderr.flush();
}

fn clear_meter(meter: bool) {
    if meter {
        eprint!("\r{}\r", " ".repeat(70));
    }
}
