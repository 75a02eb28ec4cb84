//! The recorder with real files and a real SQLite library in a temporary folder; audio comes from
//! a scripted source (exact control over what arrives when) or a [`WavFileSource`].

use std::sync::Mutex;
use std::sync::mpsc::channel;

use super::*;
use crate::engines::{AudioFormat, EngineError};
use crate::library::LibraryRoot;
use crate::recording::wav::to_i16;
use crate::recording::{WavFileSource, live::saved_segments_path, recover_interrupted_recordings};
use crate::store::LectureStatus;

/// A source whose frames the test pushes by hand, through the callback the recorder gave it.
#[derive(Clone)]
struct ScriptedSource {
    format: AudioFormat,
    callback: Arc<Mutex<Option<CaptureCallback>>>,
}

impl ScriptedSource {
    fn new(sample_rate: u32, channels: u16) -> Self {
        Self {
            format: AudioFormat {
                sample_rate,
                channels,
            },
            callback: Arc::new(Mutex::new(None)),
        }
    }

    fn push(&self, samples: &[f32]) {
        let mut callback = self.callback.lock().unwrap();
        (callback.as_mut().expect("source not started"))(CaptureEvent::Frames(samples));
    }
}

impl AudioSource for ScriptedSource {
    fn format(&self) -> AudioFormat {
        self.format
    }
    fn start(&mut self, on_event: CaptureCallback) -> Result<(), EngineError> {
        *self.callback.lock().unwrap() = Some(on_event);
        Ok(())
    }
    fn stop(&mut self) {
        self.callback.lock().unwrap().take();
    }
}

/// A source that cannot start, like a microphone another app holds.
struct BusySource;

impl AudioSource for BusySource {
    fn format(&self) -> AudioFormat {
        AudioFormat {
            sample_rate: 48_000,
            channels: 1,
        }
    }
    fn start(&mut self, _: CaptureCallback) -> Result<(), EngineError> {
        Err(EngineError::Other("the device is busy".into()))
    }
    fn stop(&mut self) {}
}

fn library() -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    let library = LibraryRoot::new(dir.path())
        .open_or_create_default("Student")
        .unwrap();
    (dir, library)
}

/// `seconds` of a distinct ramp per channel, interleaved.
fn stereo(sample_rate: u32, seconds: f32, seed: f32) -> Vec<f32> {
    let frames = (sample_rate as f32 * seconds) as usize;
    (0..frames)
        .flat_map(|i| {
            let left = ((i % 100) as f32 / 100.0 - 0.5) * seed;
            [left, -left / 2.0]
        })
        .collect()
}

fn wav_samples(path: &Path) -> Vec<i16> {
    hound::WavReader::open(path)
        .unwrap()
        .into_samples::<i16>()
        .map(Result::unwrap)
        .collect()
}

fn recordings_left(library: &Library) -> Vec<String> {
    std::fs::read_dir(library.recordings_dir())
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn pause_and_resume_record_only_the_unpaused_audio() {
    let (_dir, library) = library();
    let class = library.class_named("Biology").unwrap();
    let source = ScriptedSource::new(8000, 2);
    let (events, received) = channel();
    let session = RecordingSession::start(
        &library,
        &class.id,
        "Cells",
        Box::new(source.clone()),
        RecordingOptions::default(),
        events,
    )
    .unwrap();
    let lecture = library
        .store()
        .lectures()
        .get(session.lecture_id())
        .unwrap();
    assert_eq!(lecture.status, LectureStatus::Recording);
    assert!(lecture.media_path.starts_with("recordings"));

    let before = stereo(8000, 1.0, 0.8);
    let during_pause = stereo(8000, 1.0, 0.3);
    let after = stereo(8000, 0.5, 0.6);
    source.push(&before);
    session.pause();
    assert!(session.is_paused());
    source.push(&during_pause);
    session.resume();
    source.push(&after);

    let finished = session.stop(&library).unwrap();
    assert_eq!(finished.duration_ms, 1500, "the pause is not counted");
    assert_eq!(finished.lecture.status, LectureStatus::Imported);
    assert_eq!(finished.lecture.duration_ms, Some(1500));
    assert_eq!(finished.lecture.id, lecture.id);

    let stored = library.dir().join(&finished.lecture.media_path);
    assert!(
        stored.starts_with(library.media_dir()),
        "{}",
        stored.display()
    );
    let expected: Vec<i16> = before
        .chunks(2)
        .chain(after.chunks(2))
        .map(|frame| to_i16((frame[0] + frame[1]) / 2.0))
        .collect();
    assert_eq!(wav_samples(&stored), expected);
    assert!(recordings_left(&library).is_empty());

    let levels: Vec<InputLevel> = received
        .try_iter()
        .filter_map(|event| match event {
            RecordingEvent::Level(level) => Some(level),
            _ => None,
        })
        .collect();
    // 2.5 s of input, paused or not, at ten levels a second.
    assert_eq!(levels.len(), 25);
    assert!(
        levels
            .iter()
            .all(|level| level.peak_dbfs < 0.0 && level.peak_dbfs > -20.0)
    );
}

#[test]
fn elapsed_counts_recorded_audio_and_checkpoints_keep_the_file_valid() {
    let (_dir, library) = library();
    let class = library.class_named("Physics").unwrap();
    let source = ScriptedSource::new(16_000, 1);
    let (events, _received) = channel();
    let options = RecordingOptions {
        checkpoint_interval: Duration::from_millis(50),
        ..RecordingOptions::default()
    };
    let session = RecordingSession::start(
        &library,
        &class.id,
        "Motion",
        Box::new(source.clone()),
        options,
        events,
    )
    .unwrap();
    let second: Vec<f32> = (0..16_000).map(|i| (i % 50) as f32 / 100.0).collect();
    source.push(&second);
    source.push(&second);
    let deadline = Instant::now() + Duration::from_secs(5);
    while session.elapsed() < Duration::from_secs(2) {
        assert!(
            Instant::now() < deadline,
            "elapsed stuck at {:?}",
            session.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // While recording, the file on disk is a valid WAV with everything checkpointed.
    let mut on_disk = 0;
    while on_disk < 32_000 {
        assert!(
            Instant::now() < deadline,
            "checkpoint never came ({on_disk} samples)"
        );
        std::thread::sleep(Duration::from_millis(20));
        on_disk = wav_samples(session.wav_path()).len();
    }
    assert_eq!(on_disk, 32_000);
    session.pause();
    source.push(&second);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(session.elapsed(), Duration::from_secs(2));
    let finished = session.stop(&library).unwrap();
    assert_eq!(finished.duration_ms, 2000);
}

#[test]
fn a_file_source_is_recorded_bit_for_bit_until_it_ends() {
    let (dir, library) = library();
    let class = library.class_named("Music").unwrap();
    let input = dir.path().join("input.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&input, spec).unwrap();
    let written: Vec<i16> = (0..66_150_i32)
        .map(|i| ((i * 7919) % 65_536 - 32_768) as i16)
        .collect();
    for &sample in &written {
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();

    let source = WavFileSource::open(&input).unwrap().with_speed(20.0);
    let (events, received) = channel();
    let session = RecordingSession::start(
        &library,
        &class.id,
        "Noise",
        Box::new(source),
        RecordingOptions::default(),
        events,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let event = received
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the file source never ended");
        if event == RecordingEvent::SourceEnded {
            break;
        }
    }
    let finished = session.stop(&library).unwrap();
    assert_eq!(finished.duration_ms, 3000);
    let stored = library.dir().join(&finished.lecture.media_path);
    assert_eq!(wav_samples(&stored), written);
    let spec = hound::WavReader::open(&stored).unwrap().spec();
    assert_eq!((spec.sample_rate, spec.channels), (22_050, 1));
}

#[test]
fn a_source_that_cannot_start_leaves_nothing_behind() {
    let (_dir, library) = library();
    let class = library.class_named("Biology").unwrap();
    let (events, _received) = channel();
    let Err(error) = RecordingSession::start(
        &library,
        &class.id,
        "Cells",
        Box::new(BusySource),
        RecordingOptions::default(),
        events,
    ) else {
        panic!("a busy device started");
    };
    assert!(error.to_string().contains("device is busy"), "{error}");
    assert!(recordings_left(&library).is_empty());
    assert!(
        library
            .store()
            .lectures()
            .list_by_class(&class.id)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_blank_title_is_refused_and_leaves_nothing_behind() {
    let (_dir, library) = library();
    let class = library.class_named("Biology").unwrap();
    let (events, _received) = channel();
    let result = RecordingSession::start(
        &library,
        &class.id,
        "   ",
        Box::new(ScriptedSource::new(16_000, 1)),
        RecordingOptions::default(),
        events,
    );
    assert!(result.is_err());
    assert!(recordings_left(&library).is_empty());
    assert!(
        library
            .store()
            .lectures()
            .list_by_class(&class.id)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn recovery_leaves_a_live_recording_alone_and_finishes_an_abandoned_one() {
    let (_dir, library) = library();
    let class = library.class_named("History").unwrap();
    let source = ScriptedSource::new(16_000, 1);
    let (events, _received) = channel();
    let session = RecordingSession::start(
        &library,
        &class.id,
        "Rome",
        Box::new(source.clone()),
        RecordingOptions::default(),
        events,
    )
    .unwrap();
    source.push(&vec![0.25; 16_000]);
    // Still recording (its file is locked): not touched.
    assert!(recover_interrupted_recordings(&library).unwrap().is_empty());

    // A crash's leftovers: a lecture still "recording", its WAV with the header of an early
    // checkpoint, and the live transcript saved so far.
    let crashed_wav = library.recordings_dir().join("crashed.wav");
    let mut wav = crate::recording::wav::RecordingWav::create(&crashed_wav, 16_000).unwrap();
    wav.write(&vec![0.5; 8000]).unwrap();
    wav.checkpoint().unwrap();
    wav.write(&vec![-0.5; 8001]).unwrap();
    wav.finish().unwrap();
    let mut bytes = std::fs::read(&crashed_wav).unwrap();
    bytes[40..44].copy_from_slice(&16_000_u32.to_le_bytes());
    bytes.push(1); // half a sample
    std::fs::write(&crashed_wav, &bytes).unwrap();
    std::fs::write(
        saved_segments_path(&crashed_wav),
        "{\"start_ms\":0,\"end_ms\":800,\"text\":\"Rome was not built in a day.\"}\n{\"sta",
    )
    .unwrap();
    let crashed = library
        .store()
        .lectures()
        .create_recording(&crate::store::NewLecture {
            class_id: class.id.clone(),
            title: "Carthage".into(),
            media_path: "recordings/crashed.wav".into(),
            media_hash: "recording-crashed".into(),
        })
        .unwrap();

    let recovered = recover_interrupted_recordings(&library).unwrap();
    assert_eq!(recovered.len(), 1);
    let outcome = &recovered[0];
    assert_eq!(outcome.problem, None);
    assert_eq!(outcome.lecture.id, crashed.id);
    assert_eq!(outcome.lecture.status, LectureStatus::Imported);
    assert_eq!(
        outcome.duration_ms, 1000,
        "16001 samples: one second and a bit"
    );
    assert_eq!(outcome.transcript_segments, 1);
    let stored = library.dir().join(&outcome.lecture.media_path);
    assert_eq!(wav_samples(&stored).len(), 16_001);
    let transcript = library.store().transcripts().list(&crashed.id).unwrap();
    assert_eq!(transcript[0].segment.text, "Rome was not built in a day.");

    let finished = session.stop(&library).unwrap();
    assert_eq!(finished.duration_ms, 1000);
    assert!(recordings_left(&library).is_empty());
}

#[test]
fn an_empty_or_missing_recording_marks_its_lecture_failed() {
    let (_dir, library) = library();
    let class = library.class_named("History").unwrap();
    std::fs::create_dir_all(library.recordings_dir()).unwrap();
    let empty = library.recordings_dir().join("empty.wav");
    crate::recording::wav::RecordingWav::create(&empty, 16_000)
        .unwrap()
        .finish()
        .unwrap();
    for (title, path) in [
        ("Empty", "recordings/empty.wav"),
        ("Gone", "recordings/gone.wav"),
    ] {
        library
            .store()
            .lectures()
            .create_recording(&crate::store::NewLecture {
                class_id: class.id.clone(),
                title: title.into(),
                media_path: path.into(),
                media_hash: format!("recording-{title}"),
            })
            .unwrap();
    }
    let recovered = recover_interrupted_recordings(&library).unwrap();
    assert_eq!(recovered.len(), 2);
    for outcome in &recovered {
        assert_eq!(outcome.lecture.status, LectureStatus::Failed);
        assert!(outcome.problem.is_some());
    }
    assert!(
        recovered[0]
            .problem
            .as_deref()
            .unwrap()
            .contains("nothing was recorded")
    );
    // Nothing is deleted by a failed recovery, and nothing is left "recording".
    assert!(empty.is_file());
    assert!(recover_interrupted_recordings(&library).unwrap().is_empty());
}
