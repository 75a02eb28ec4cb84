//! Read-aloud: text spoken sentence by sentence by the Piper voice; each sentence's WAV is
//! written to the app's temporary folder and announced as a `read-aloud` event the window plays.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lm_core::engines::{SpeechAudio, Synthesizer};
use lm_core::read_aloud::{ReadAloud, ReadAloudEvent as CoreEvent, speakable};
use tauri::{AppHandle, Manager, Runtime, State};

use super::session_id;
use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::events::{ReadAloudEvent, names};
use crate::media::asset_url;
use crate::state::{ShellState, lock};

/// How often the session thread looks at its stop flag while the voice works.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Starts reading `text` aloud; returns the session id. Sentences arrive as `read-aloud`
/// events (the voice loads first, a few seconds the first time); the last event says `done`.
#[tauri::command]
pub fn read_aloud<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, ShellState>,
    text: String,
) -> CommandResult<String> {
    if speakable::sentences(&text).is_empty() {
        return Err(CommandError::invalid(
            "there is nothing to read aloud: the text has no words",
        ));
    }
    let session = session_id();
    let folder = state.scratch_dir().join(&session);
    std::fs::create_dir_all(&folder).map_err(|error| {
        CommandError::new(
            ErrorKind::Io,
            format!("cannot create the folder {}: {error}", folder.display()),
        )
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    lock(&state.readers).insert(session.clone(), Arc::clone(&stop));
    let id = session.clone();
    let spawned = std::thread::Builder::new()
        .name("read-aloud".into())
        .spawn(move || {
            let state = app.state::<ShellState>();
            let last = match speak(&state, &id, &text, &folder, &stop) {
                Ok(()) => ReadAloudEvent::Done {
                    session_id: id.clone(),
                    done: true,
                },
                Err(error) => ReadAloudEvent::Failed {
                    session_id: id.clone(),
                    error,
                },
            };
            lock(&state.readers).remove(&id);
            state.emit(names::READ_ALOUD, &last);
        });
    spawned
        .map_err(|error| CommandError::internal(format!("cannot start reading aloud: {error}")))?;
    Ok(session)
}

/// Speaks `text`, announcing each sentence, until the end or `stop`.
fn speak(
    state: &ShellState,
    session: &str,
    text: &str,
    folder: &Path,
    stop: &AtomicBool,
) -> CommandResult<()> {
    let voice = state.with_services(|services| Ok(services.voice()?))?;
    let voice: Arc<dyn Synthesizer> = voice;
    let reader = ReadAloud::start(voice, text)?;
    loop {
        if stop.load(Ordering::SeqCst) {
            reader.stop();
        }
        match reader.next_timeout(STOP_POLL) {
            Some(CoreEvent::Sentence(sentence)) => {
                let path = folder.join(format!("{:04}.wav", sentence.index));
                write_wav(&path, &sentence.audio)?;
                state.emit(
                    names::READ_ALOUD,
                    &ReadAloudEvent::Sentence {
                        session_id: session.to_owned(),
                        index: sentence.index,
                        text: sentence.text,
                        audio_url: asset_url(&path),
                    },
                );
            }
            Some(CoreEvent::Finished | CoreEvent::Stopped) => return Ok(()),
            Some(CoreEvent::Failed(problem)) => {
                return Err(CommandError::new(ErrorKind::Worker, problem));
            }
            None if stop.load(Ordering::SeqCst) => return Ok(()),
            None => {}
        }
    }
}

/// Writes `audio` as a 16-bit mono WAV file.
fn write_wav(path: &Path, audio: &SpeechAudio) -> CommandResult<()> {
    let write_error = |error: hound::Error| {
        CommandError::new(
            ErrorKind::Io,
            format!("cannot write the audio file {}: {error}", path.display()),
        )
    };
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: audio.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(write_error)?;
    for sample in &audio.samples {
        // Scaling a clamped sample to the i16 range cannot overflow.
        #[allow(clippy::cast_possible_truncation)]
        let value = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
        writer.write_sample(value).map_err(write_error)?;
    }
    writer.finalize().map_err(write_error)
}

/// Stops read-aloud session `session_id` after the sentence in progress.
#[tauri::command]
pub fn stop_read_aloud(state: State<'_, ShellState>, session_id: String) -> CommandResult<()> {
    if let Some(stop) = lock(&state.readers).get(&session_id) {
        stop.store(true, Ordering::SeqCst);
    }
    Ok(())
}
