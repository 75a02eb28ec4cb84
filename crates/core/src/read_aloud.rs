//! Reading aloud: notes, chat answers, quiz questions and flashcards spoken by a
//! [`Synthesizer`] (the Piper voice of `lm-tts`, wired in by the front end).
//!
//! - [`speakable`] turns Markdown and study items into plain sentences.
//! - [`ReadAloud`] synthesises those sentences one by one on a background thread into a queue,
//!   so playback starts after the first sentence instead of after the whole text; pause, resume
//!   and stop take effect between sentences.
//! - [`export_notes_audio`] writes a note's speech to a WAV file, all or nothing.
//! - [`installed_voices`] lists the voices of the model catalog that are installed.

pub mod speakable;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::engines::{EngineError, SpeechAudio, Synthesizer};
use crate::models::{CheckDepth, ModelError, ModelRole, ModelStore};
use crate::store::Note;

/// A failure of reading aloud.
#[derive(Debug, thiserror::Error)]
pub enum ReadAloudError {
    /// The text has no words to say (empty, or only Markdown syntax and citations).
    #[error("there is nothing to read aloud: the text has no words")]
    NothingToSay,
    /// The voice failed, or the export was cancelled.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The audio file could not be written; no partial file is left behind.
    #[error("cannot write the audio file {path}: {problem}")]
    Write {
        /// The file asked for.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

/// One sentence, synthesised.
#[derive(Debug, Clone, PartialEq)]
pub struct SpokenSentence {
    /// Its position among the session's sentences, from 0.
    pub index: usize,
    /// What it says.
    pub text: String,
    /// Its audio.
    pub audio: SpeechAudio,
}

/// What a [`ReadAloud`] session delivers, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadAloudEvent {
    /// The next sentence is ready to play.
    Sentence(SpokenSentence),
    /// Every sentence was delivered.
    Finished,
    /// The session was stopped before the end.
    Stopped,
    /// The voice failed; nothing follows.
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlayState {
    Running,
    Paused,
    Stopped,
}

/// Pause/resume/stop, shared with the synthesis thread.
struct Control {
    state: Mutex<PlayState>,
    changed: Condvar,
}

impl Control {
    fn set(&self, state: PlayState) {
        let mut current = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // A stopped session stays stopped.
        if *current != PlayState::Stopped {
            *current = state;
        }
        self.changed.notify_all();
    }

    fn get(&self) -> PlayState {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits while paused; `false` once stopped.
    fn wait_until_running(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while *state == PlayState::Paused {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *state == PlayState::Running
    }
}

/// A read-aloud session: sentences synthesised one by one, ahead of playback, into a queue the
/// player takes them from with [`ReadAloud::next`].
pub struct ReadAloud {
    sentences: Vec<String>,
    control: Arc<Control>,
    events: Receiver<ReadAloudEvent>,
    thread: Option<JoinHandle<()>>,
}

impl ReadAloud {
    /// Starts reading speakable `text` (see [`speakable`]) with `voice`. Text with no words is
    /// refused.
    pub fn start(voice: Arc<dyn Synthesizer>, text: &str) -> Result<Self, ReadAloudError> {
        let sentences = speakable::sentences(text);
        if sentences.is_empty() {
            return Err(ReadAloudError::NothingToSay);
        }
        let control = Arc::new(Control {
            state: Mutex::new(PlayState::Running),
            changed: Condvar::new(),
        });
        let (sender, events) = mpsc::channel();
        let thread = {
            let sentences = sentences.clone();
            let control = Arc::clone(&control);
            std::thread::spawn(move || {
                for (index, text) in sentences.into_iter().enumerate() {
                    if !control.wait_until_running() {
                        let _ = sender.send(ReadAloudEvent::Stopped);
                        return;
                    }
                    let event = match voice.synthesize(&text, &mut |_| {}) {
                        Ok(audio) => {
                            ReadAloudEvent::Sentence(SpokenSentence { index, text, audio })
                        }
                        Err(error) => {
                            let _ = sender.send(ReadAloudEvent::Failed(error.to_string()));
                            return;
                        }
                    };
                    if sender.send(event).is_err() {
                        return; // The session was dropped.
                    }
                }
                let _ = sender.send(if control.get() == PlayState::Stopped {
                    ReadAloudEvent::Stopped
                } else {
                    ReadAloudEvent::Finished
                });
            })
        };
        Ok(Self {
            sentences,
            control,
            events,
            thread: Some(thread),
        })
    }

    /// The sentences this session reads, in order.
    pub fn sentences(&self) -> &[String] {
        &self.sentences
    }

    /// Stops synthesising ahead after the sentence in progress, until [`ReadAloud::resume`].
    pub fn pause(&self) {
        self.control.set(PlayState::Paused);
    }

    /// Continues after [`ReadAloud::pause`].
    pub fn resume(&self) {
        self.control.set(PlayState::Running);
    }

    /// Stops for good after the sentence in progress; the queue then ends with
    /// [`ReadAloudEvent::Stopped`].
    pub fn stop(&self) {
        self.control.set(PlayState::Stopped);
    }

    /// Whether the session is paused.
    pub fn is_paused(&self) -> bool {
        self.control.get() == PlayState::Paused
    }

    /// The next event, waiting for it; `None` after the last one.
    pub fn next(&self) -> Option<ReadAloudEvent> {
        self.events.recv().ok()
    }

    /// The next event if one comes within `timeout`; `None` when none did (still paused, or
    /// after the last one).
    pub fn next_timeout(&self, timeout: Duration) -> Option<ReadAloudEvent> {
        self.events.recv_timeout(timeout).ok()
    }
}

impl Drop for ReadAloud {
    fn drop(&mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            // The thread ends after the sentence in progress; its panic would only be the
            // voice's, already reported as a missing Finished event.
            let _ = thread.join();
        }
    }
}

/// What [`export_notes_audio`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioExport {
    /// The WAV file.
    pub path: PathBuf,
    /// Sentences spoken.
    pub sentences: usize,
    /// Length of the audio, in seconds.
    pub audio_seconds: f64,
    /// Time the synthesis took, in seconds.
    pub synthesis_seconds: f64,
}

/// Silence between sentences of an exported file.
const SENTENCE_GAP: Duration = Duration::from_millis(250);

/// Speaks `note` (title and Markdown, without syntax or citations) into a 16-bit mono WAV file
/// at `out`, sentence by sentence; `on_sentence(done, total)` follows each one and `cancel`
/// stops between sentences. The file appears only when complete: it is written beside `out`
/// under a temporary name and renamed.
pub fn export_notes_audio(
    note: &Note,
    voice: &dyn Synthesizer,
    out: &Path,
    cancel: Option<&AtomicBool>,
    on_sentence: &mut dyn FnMut(usize, usize),
) -> Result<AudioExport, ReadAloudError> {
    let sentences = speakable::sentences(&speakable::speakable_note(note));
    if sentences.is_empty() {
        return Err(ReadAloudError::NothingToSay);
    }
    let write_error = |problem: String| ReadAloudError::Write {
        path: out.to_path_buf(),
        problem,
    };
    let started = Instant::now();
    let mut samples: Vec<f32> = Vec::new();
    let mut sample_rate = None;
    for (done, sentence) in sentences.iter().enumerate() {
        if cancel.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
            return Err(EngineError::Cancelled.into());
        }
        let audio = voice.synthesize(sentence, &mut |_| {})?;
        let rate = *sample_rate.get_or_insert(audio.sample_rate);
        if rate != audio.sample_rate {
            return Err(EngineError::Other(format!(
                "the voice changed its sample rate from {rate} to {} Hz mid-way",
                audio.sample_rate
            ))
            .into());
        }
        if !samples.is_empty() {
            let gap = u64::from(rate) * SENTENCE_GAP.as_millis() as u64 / 1000;
            samples.extend(std::iter::repeat_n(0.0, gap as usize));
        }
        samples.extend_from_slice(&audio.samples);
        on_sentence(done + 1, sentences.len());
    }
    let synthesis_seconds = started.elapsed().as_secs_f64();
    let rate = sample_rate.unwrap_or(22_050);

    let folder = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file = tempfile::Builder::new()
        .prefix(".littlemonster-audio-")
        .suffix(".wav.part")
        .tempfile_in(folder)
        .map_err(|e| write_error(e.to_string()))?;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    {
        let mut writer = hound::WavWriter::new(std::io::BufWriter::new(file.as_file()), spec)
            .map_err(|e| write_error(e.to_string()))?;
        for sample in &samples {
            let value = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16;
            writer
                .write_sample(value)
                .map_err(|e| write_error(e.to_string()))?;
        }
        writer.finalize().map_err(|e| write_error(e.to_string()))?;
    }
    file.persist(out)
        .map_err(|e| write_error(e.error.to_string()))?;
    Ok(AudioExport {
        path: out.to_path_buf(),
        sentences: sentences.len(),
        audio_seconds: samples.len() as f64 / f64::from(rate),
        synthesis_seconds,
    })
}

/// An installed voice a front end can offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// Catalog id (`piper-joe-medium`).
    pub id: String,
    /// Name to show.
    pub name: String,
    /// One line on the voice.
    pub description: String,
    /// The voice model (`.onnx`).
    pub model: PathBuf,
    /// Its settings file (`.onnx.json`), when the catalog lists one.
    pub config: Option<PathBuf>,
}

/// The text-to-speech voices of the catalog whose files are all installed (sizes checked, not
/// hashes: this runs whenever the voice menu opens), in catalog order.
pub fn installed_voices(models: &ModelStore) -> Result<Vec<Voice>, ModelError> {
    let mut voices = Vec::new();
    for entry in models.catalog().by_role(ModelRole::Tts) {
        if !models.check(&entry.id, CheckDepth::SizeOnly)?.is_ok() {
            continue;
        }
        let folder = models.model_dir(&entry.id);
        voices.push(Voice {
            id: entry.id.clone(),
            name: entry.name.clone(),
            description: entry.description.clone(),
            model: folder.join(&entry.primary().path),
            config: entry
                .files
                .iter()
                .find(|file| file.path.ends_with(".json"))
                .map(|file| folder.join(&file.path)),
        });
    }
    Ok(voices)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    /// A voice that makes one sample per character, so tests can check order and content
    /// without a model (the real Piper voice is tested in lm-tts).
    struct CountingVoice {
        calls: Mutex<Vec<String>>,
    }

    impl Synthesizer for CountingVoice {
        fn synthesize(
            &self,
            text: &str,
            on_sentence: &mut dyn FnMut(&SpeechAudio),
        ) -> Result<SpeechAudio, EngineError> {
            self.calls.lock().unwrap().push(text.to_owned());
            std::thread::sleep(Duration::from_millis(20));
            let audio = SpeechAudio {
                samples: vec![0.5; text.len()],
                sample_rate: 16_000,
            };
            on_sentence(&audio);
            Ok(audio)
        }
    }

    fn voice() -> Arc<CountingVoice> {
        Arc::new(CountingVoice {
            calls: Mutex::new(Vec::new()),
        })
    }

    #[test]
    fn sentences_arrive_in_order_then_finished() {
        let voice = voice();
        let session = ReadAloud::start(voice.clone(), "One. Two!\nThree?").unwrap();
        let mut heard = Vec::new();
        while let Some(event) = session.next() {
            match event {
                ReadAloudEvent::Sentence(s) => heard.push((s.index, s.text, s.audio.samples.len())),
                ReadAloudEvent::Finished => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            heard,
            [
                (0, "One.".into(), 4),
                (1, "Two!".into(), 4),
                (2, "Three?".into(), 6)
            ]
        );
    }

    #[test]
    fn pause_holds_synthesis_and_stop_ends_it() {
        let voice = voice();
        let text = "One. Two. Three. Four. Five.";
        let session = ReadAloud::start(voice.clone(), text).unwrap();
        session.pause();
        assert!(session.is_paused());
        // At most the sentence in progress when pause was called arrives.
        std::thread::sleep(Duration::from_millis(200));
        let made_while_paused = voice.calls.lock().unwrap().len();
        assert!(
            made_while_paused <= 1,
            "{made_while_paused} sentences while paused"
        );
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(voice.calls.lock().unwrap().len(), made_while_paused);
        session.resume();
        assert!(matches!(session.next(), Some(ReadAloudEvent::Sentence(_))));
        session.stop();
        let mut last = None;
        while let Some(event) = session.next_timeout(Duration::from_secs(2)) {
            last = Some(event);
        }
        assert_eq!(last, Some(ReadAloudEvent::Stopped));
        assert!(voice.calls.lock().unwrap().len() < 5, "stop did not stop");
    }

    #[test]
    fn nothing_to_say_is_refused() {
        assert!(matches!(
            ReadAloud::start(
                voice(),
                &speakable::speakable_markdown(" [1] \n (Cells @ 1:00) ")
            ),
            Err(ReadAloudError::NothingToSay)
        ));
    }

    fn note(markdown: &str) -> Note {
        Note {
            id: crate::store::NoteId::from("n".to_owned()),
            class_id: crate::store::ClassId::from("c".to_owned()),
            scope: crate::store::NoteScope::Class,
            title: "Notes: The cell".into(),
            markdown: markdown.into(),
            citations: Vec::new(),
            source_job_id: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn export_writes_the_whole_file_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("notes.wav");
        let voice = voice();
        let mut progress = Vec::new();
        let export = export_notes_audio(
            &note("# Notes: The cell\n\n- Cells are small. (The cell @ 0:10) [1]\n- They divide."),
            voice.as_ref(),
            &out,
            None,
            &mut |done, total| progress.push((done, total)),
        )
        .unwrap();
        assert_eq!(
            *voice.calls.lock().unwrap(),
            ["Notes: The cell.", "Cells are small.", "They divide."]
        );
        assert_eq!(progress.last(), Some(&(3, 3)));
        let reader = hound::WavReader::open(&out).unwrap();
        let gaps = 2 * 16_000 / 4;
        assert_eq!(reader.duration() as usize, 16 + 16 + 12 + gaps);
        assert!((export.audio_seconds - reader.duration() as f64 / 16_000.0).abs() < 1e-9);

        // Nothing to say, or cancelled: no file, and no temporary file left behind.
        let empty = dir.path().join("empty.wav");
        let mut blank = note("[1]");
        blank.title = " ".into();
        assert!(matches!(
            export_notes_audio(&blank, voice.as_ref(), &empty, None, &mut |_, _| {}),
            Err(ReadAloudError::NothingToSay)
        ));
        let cancelled = AtomicBool::new(true);
        let stopped = dir.path().join("stopped.wav");
        assert!(matches!(
            export_notes_audio(
                &note("Hi."),
                voice.as_ref(),
                &stopped,
                Some(&cancelled),
                &mut |_, _| {}
            ),
            Err(ReadAloudError::Engine(EngineError::Cancelled))
        ));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["notes.wav"]);
    }

    #[test]
    fn installed_voices_lists_only_complete_tts_models() {
        let dir = tempfile::tempdir().unwrap();
        let store = ModelStore::new(
            dir.path().to_path_buf(),
            crate::models::ModelCatalog::bundled().unwrap(),
        );
        assert!(installed_voices(&store).unwrap().is_empty());
        let real = ModelStore::open_default().unwrap();
        let voices = installed_voices(&real).unwrap();
        // The test machine has the voice (scripts/fetch-models); its files are named.
        assert!(
            voices.iter().any(|v| v.id == "piper-joe-medium"
                && v.model.ends_with("en_US-joe-medium.onnx")
                && v.config.as_ref().is_some_and(|c| c.is_file())),
            "run scripts/fetch-models: {voices:?}"
        );
    }
}
