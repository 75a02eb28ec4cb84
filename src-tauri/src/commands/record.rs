//! Recording a lecture from the microphone, with a live transcript and a level meter pushed to
//! the window (`transcript-segment` with `live: true`, `recording-level`).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use lm_core::engines::{AudioSource, TranscribeOptions, Transcriber};
use lm_core::recording::{RecordingControls, RecordingEvent, RecordingOptions, RecordingSession};
use lm_core::store::{ClassId, LectureId};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;

use super::library::{LectureSummary, changed};
use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::events::{RecordingLevel, TranscriptSegmentEvent, names};
use crate::state::{ShellState, lock};

use super::lecture::TranscriptSegmentView;

/// A microphone the student can record from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InputDevice {
    /// The sound system's name for it: what `start_recording` takes as `deviceName`.
    pub name: String,
    /// A human description.
    pub description: String,
    /// Whether the system records from it by default.
    pub is_default: bool,
}

/// The recording in progress.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordingState {
    /// The lecture being recorded.
    pub lecture_id: String,
    /// Its class.
    pub class_id: String,
    /// Its title.
    pub title: String,
    /// Audio recorded so far (pauses excluded), in ms.
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    /// Whether it is paused.
    pub paused: bool,
    /// Whether a live transcript is being made (not when the speech model is missing).
    pub live_transcript: bool,
}

/// A recording session and what the commands need to describe it.
pub struct ActiveRecording {
    session: RecordingSession,
    class_id: ClassId,
    title: String,
    live_transcript: bool,
}

impl ActiveRecording {
    fn state(&self) -> RecordingState {
        let controls = self.session.controls();
        RecordingState {
            lecture_id: self.session.lecture_id().to_string(),
            class_id: self.class_id.to_string(),
            title: self.title.clone(),
            elapsed_ms: millis(&controls),
            paused: controls.is_paused(),
            live_transcript: self.live_transcript,
        }
    }
}

fn millis(controls: &RecordingControls) -> u64 {
    u64::try_from(controls.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The microphones of the default sound system, the default one first.
#[tauri::command]
pub fn list_input_devices() -> CommandResult<Vec<InputDevice>> {
    Ok(lm_audio::input_devices()?
        .into_iter()
        .map(|device| InputDevice {
            name: device.name,
            description: device.description,
            is_default: device.is_default,
        })
        .collect())
}

/// Starts recording a lecture titled `title` into class `class_id` from microphone
/// `device_name` (the default one when absent). The live transcript needs the speech model;
/// without it the recording goes on without one.
#[tauri::command]
pub fn start_recording<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, ShellState>,
    class_id: String,
    title: String,
    device_name: Option<String>,
) -> CommandResult<RecordingState> {
    let mut recording = lock(&state.recording);
    if recording.is_some() {
        return Err(CommandError::new(
            ErrorKind::Busy,
            "a recording is already running: stop it before starting another",
        ));
    }
    if title.trim().is_empty() {
        return Err(CommandError::invalid("give the lecture a title"));
    }
    let class_id = ClassId::from(class_id);
    let source: Box<dyn AudioSource> = match &device_name {
        Some(name) => Box::new(lm_audio::MicrophoneSource::open(name)?),
        None => Box::new(lm_audio::MicrophoneSource::open_default()?),
    };
    let (events, received) = channel();
    let (session, live_transcript) = state.with_services(|services| {
        let library = services.library();
        library.store().classes().get(&class_id)?;
        let live_transcriber = match services.transcriber() {
            Ok(transcriber) => Some(transcriber as Arc<dyn Transcriber>),
            Err(error) => {
                tracing::warn!("recording without a live transcript: {error}");
                None
            }
        };
        let live_transcript = live_transcriber.is_some();
        let options = RecordingOptions {
            live_transcriber,
            transcribe_options: TranscribeOptions {
                language: None,
                threads: services.settings().threads,
            },
            ..RecordingOptions::default()
        };
        let session = RecordingSession::start(library, &class_id, &title, source, options, events)?;
        Ok((session, live_transcript))
    })?;
    let active = ActiveRecording {
        live_transcript,
        class_id: class_id.clone(),
        title,
        session,
    };
    let started = active.state();
    let lecture_id = active.session.lecture_id().clone();
    let controls = active.session.controls();
    *recording = Some(active);
    drop(recording);
    changed(&state, class_id.to_string());
    let forwarded = std::thread::Builder::new()
        .name("recording-events".into())
        .spawn(move || forward(&app, &received, &lecture_id, &controls));
    if let Err(error) = forwarded {
        tracing::warn!("recording events are not forwarded: {error}");
    }
    Ok(started)
}

/// Forwards a recording's events to the window until the session ends; a source that ends or
/// fails stops the recording (keeping what was captured).
fn forward<R: Runtime>(
    app: &AppHandle<R>,
    events: &Receiver<RecordingEvent>,
    lecture_id: &LectureId,
    controls: &RecordingControls,
) {
    let state = app.state::<ShellState>();
    for event in events {
        match event {
            RecordingEvent::Level(level) => state.emit(
                names::RECORDING_LEVEL,
                &RecordingLevel {
                    rms: level.rms_dbfs,
                    peak: level.peak_dbfs,
                    elapsed_ms: millis(controls),
                    paused: controls.is_paused(),
                },
            ),
            RecordingEvent::Segment(segment) => state.emit(
                names::TRANSCRIPT_SEGMENT,
                &TranscriptSegmentEvent {
                    lecture_id: lecture_id.to_string(),
                    segment: TranscriptSegmentView {
                        id: String::new(),
                        lecture_id: lecture_id.to_string(),
                        start_ms: segment.start_ms,
                        end_ms: segment.end_ms,
                        text: segment.text,
                        speaker: None,
                    },
                    live: true,
                },
            ),
            RecordingEvent::LiveTranscriptProblem(problem) => {
                tracing::warn!("live transcript of {lecture_id}: {problem}");
            }
            RecordingEvent::SourceEnded
            | RecordingEvent::SourceFailed(_)
            | RecordingEvent::WriteFailed(_) => {
                tracing::warn!("recording {lecture_id} ended by its source: {event:?}");
                if let Err(error) = stop(&state) {
                    tracing::warn!("stopping recording {lecture_id}: {}", error.message);
                }
            }
        }
    }
}

fn with_recording<T>(
    state: &ShellState,
    body: impl FnOnce(&ActiveRecording) -> T,
) -> CommandResult<T> {
    lock(&state.recording)
        .as_ref()
        .map(body)
        .ok_or_else(|| CommandError::not_found("no recording is running"))
}

/// Pauses the recording (the level meter goes on).
#[tauri::command]
pub fn pause_recording(state: State<'_, ShellState>) -> CommandResult<RecordingState> {
    with_recording(&state, |recording| {
        recording.session.pause();
        recording.state()
    })
}

/// Resumes a paused recording.
#[tauri::command]
pub fn resume_recording(state: State<'_, ShellState>) -> CommandResult<RecordingState> {
    with_recording(&state, |recording| {
        recording.session.resume();
        recording.state()
    })
}

/// The recording in progress, or `null`.
#[tauri::command]
pub fn recording_state(state: State<'_, ShellState>) -> Option<RecordingState> {
    lock(&state.recording).as_ref().map(ActiveRecording::state)
}

fn stop(state: &ShellState) -> CommandResult<LectureSummary> {
    let active = lock(&state.recording)
        .take()
        .ok_or_else(|| CommandError::not_found("no recording is running"))?;
    let finished = state.with_library(|library| Ok(active.session.stop(library)?))?;
    state.notify_jobs();
    changed(state, active.class_id.to_string());
    Ok(LectureSummary::from(&finished.lecture))
}

/// Stops the recording and stores the lecture; its full transcription is queued.
#[tauri::command]
pub fn stop_recording(state: State<'_, ShellState>) -> CommandResult<LectureSummary> {
    stop(&state)
}
