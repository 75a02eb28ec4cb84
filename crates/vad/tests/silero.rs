//! Silero VAD on real audio made at test time: espeak-ng speech, digital silence, white and pink
//! noise, a tone and a chord. Needs the `silero-vad` and `onnxruntime` models
//! (scripts/fetch-models); fails, not skips, without them.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::ops::Range;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use lm_core::chunk_plan::{ChunkPlanSettings, plan_chunks};
use lm_core::engines::{EngineError, SpeechSpan, VoiceActivityDetector};
use lm_vad::{MODEL_FILE, MODEL_ID, SAMPLE_RATE, SileroVad, SileroVadOptions, VadSettings};

/// How far a span edge may sit from where speech was placed, besides the padding.
const TOLERANCE_MS: u64 = 300;

fn options(settings: VadSettings) -> SileroVadOptions {
    SileroVadOptions {
        model: lm_testkit::require_model(MODEL_ID, MODEL_FILE),
        onnx_runtime: lm_testkit::require_model(
            lm_onnx_runtime::MODEL_ID,
            lm_onnx_runtime::LIBRARY_FILE,
        ),
        settings,
    }
}

fn read_samples(path: &Path) -> Vec<f32> {
    let mut reader = hound::WavReader::open(path).unwrap();
    assert_eq!(reader.spec().sample_rate, SAMPLE_RATE);
    assert_eq!(reader.spec().channels, 1);
    reader
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32_768.0)
        .collect()
}

/// Makes a 16 kHz mono sound with `sox -n <file> <effects...>` and returns its samples.
fn sox_synth(dir: &Path, name: &str, effects: &[&str]) -> Vec<f32> {
    let path = dir.join(name);
    let status = Command::new("sox")
        .args(["-n", "-r", "16000", "-c", "1", "-b", "16"])
        .arg(&path)
        .args(effects)
        .status()
        .unwrap();
    assert!(status.success(), "sox {effects:?} failed");
    read_samples(&path)
}

fn ms(samples: usize) -> u64 {
    samples as u64 * 1000 / u64::from(SAMPLE_RATE)
}

/// Where the sound is in `samples`: from the first to the last sample louder than -40 dBFS
/// (espeak leaves silence around its speech).
fn audible_range(samples: &[f32]) -> Range<usize> {
    let loud = |s: &f32| s.abs() > 0.01;
    let first = samples.iter().position(loud).unwrap();
    let last = samples.iter().rposition(loud).unwrap();
    first..last + 1
}

/// A test recording: speech, 10 s of digital silence, 8 s of noise (white, then pink), 6 s of
/// tone and chord, speech again. Returns the samples, where each speech part is (ms), and the
/// stretch holding the silence, noise and music (ms).
struct Mix {
    samples: Vec<f32>,
    speech_ms: Vec<Range<u64>>,
    non_speech_ms: Range<u64>,
}

fn make_mix(dir: &Path) -> Mix {
    let first_wav = dir.join("first.wav");
    let second_wav = dir.join("second.wav");
    lm_testkit::speak_to_wav(
        "The mitochondria is the powerhouse of the cell. It turns food into energy the body can use.",
        &first_wav,
    );
    lm_testkit::speak_to_wav(
        "Photosynthesis happens in the chloroplasts of plant cells, using light, water and carbon dioxide.",
        &second_wav,
    );
    let first = read_samples(&first_wav);
    let second = read_samples(&second_wav);
    let silence = vec![0.0_f32; 10 * SAMPLE_RATE as usize];
    let white = sox_synth(
        dir,
        "white.wav",
        &["synth", "4", "whitenoise", "vol", "0.3"],
    );
    let pink = sox_synth(dir, "pink.wav", &["synth", "4", "pinknoise", "vol", "0.3"]);
    let tone = sox_synth(
        dir,
        "tone.wav",
        &["synth", "3", "sine", "440", "vol", "0.5"],
    );
    // A C-major chord with a little tremolo: music-like, not speech.
    let chord = sox_synth(
        dir,
        "chord.wav",
        &[
            "synth", "3", "sine", "261.63", "sine", "329.63", "sine", "392.0", "remix", "-",
            "tremolo", "4", "40", "vol", "0.3",
        ],
    );

    let mut samples = Vec::new();
    let mut speech_ms = Vec::new();
    let audible = audible_range(&first);
    speech_ms.push(ms(audible.start)..ms(audible.end));
    samples.extend_from_slice(&first);
    let non_speech_start = ms(samples.len());
    for part in [&silence, &white, &pink, &tone, &chord] {
        samples.extend_from_slice(part);
    }
    let non_speech_end = ms(samples.len());
    let audible = audible_range(&second);
    let offset = samples.len();
    speech_ms.push(ms(offset + audible.start)..ms(offset + audible.end));
    samples.extend_from_slice(&second);
    Mix {
        samples,
        speech_ms,
        non_speech_ms: non_speech_start..non_speech_end,
    }
}

/// Milliseconds of `range` that `spans` cover.
fn covered_ms(spans: &[SpeechSpan], range: &Range<u64>) -> u64 {
    spans
        .iter()
        .map(|s| {
            s.end_ms
                .min(range.end)
                .saturating_sub(s.start_ms.max(range.start))
        })
        .sum()
}

/// Checks the spans found in `mix` (shifted by `offset_ms` on the timeline).
fn assert_spans_fit(mix: &Mix, offset_ms: u64, spans: &[SpeechSpan], settings: &VadSettings) {
    let pad = settings.speech_pad_ms;
    for pair in spans.windows(2) {
        assert!(
            pair[0].end_ms <= pair[1].start_ms,
            "spans overlap: {spans:?}"
        );
    }
    for speech in &mix.speech_ms {
        let speech = speech.start + offset_ms..speech.end + offset_ms;
        let near: Vec<&SpeechSpan> = spans
            .iter()
            .filter(|s| s.end_ms > speech.start.saturating_sub(pad + TOLERANCE_MS))
            .filter(|s| s.start_ms < speech.end + pad + TOLERANCE_MS)
            .collect();
        assert!(
            !near.is_empty(),
            "no span for speech at {speech:?}: {spans:?}"
        );
        let first_start = near[0].start_ms;
        let last_end = near[near.len() - 1].end_ms;
        assert!(
            first_start + pad + TOLERANCE_MS >= speech.start
                && first_start <= speech.start + TOLERANCE_MS,
            "speech placed at {} ms, span starts at {first_start} ms: {spans:?}",
            speech.start
        );
        assert!(
            last_end + TOLERANCE_MS >= speech.end && last_end <= speech.end + pad + TOLERANCE_MS,
            "speech placed until {} ms, span ends at {last_end} ms: {spans:?}",
            speech.end
        );
        let covered = covered_ms(spans, &speech);
        let length = speech.end - speech.start;
        assert!(
            covered * 100 >= length * 95,
            "only {covered} of {length} ms of speech at {speech:?} covered: {spans:?}"
        );
    }
    // Nothing in the silence, noise, tone or chord (the span after the first speech may reach
    // into the silence by its padding and the tolerance).
    let quiet = mix.non_speech_ms.start + offset_ms + TOLERANCE_MS
        ..mix.non_speech_ms.end + offset_ms - TOLERANCE_MS;
    assert_eq!(
        covered_ms(spans, &quiet),
        0,
        "a span reaches into the silence/noise/music at {quiet:?}: {spans:?}"
    );
}

#[test]
fn spans_cover_the_speech_and_nothing_of_silence_noise_or_music() {
    let dir = tempfile::tempdir().unwrap();
    let mix = make_mix(dir.path());
    let settings = VadSettings::default();
    let mut vad = SileroVad::new(&options(settings)).unwrap();
    let spans = vad.speech_spans(&mix.samples).unwrap();
    println!("speech at {:?}, spans {spans:?}", mix.speech_ms);
    assert_spans_fit(&mix, 0, &spans, &settings);

    // The chunks planned from these spans leave the silence, noise and music out too.
    let total_ms = ms(mix.samples.len());
    let chunks = plan_chunks(&spans, total_ms, &ChunkPlanSettings::default());
    let as_spans: Vec<SpeechSpan> = chunks
        .iter()
        .map(|c| SpeechSpan {
            start_ms: c.start_ms,
            end_ms: c.end_ms,
        })
        .collect();
    assert_spans_fit(&mix, 0, &as_spans, &settings);

    // The detector was reset by finish: a second recording gives the same answer.
    assert_eq!(vad.speech_spans(&mix.samples).unwrap(), spans);
}

#[test]
fn streaming_in_odd_blocks_gives_the_same_spans_as_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let mix = make_mix(dir.path());
    let whole = SileroVad::new(&options(VadSettings::default()))
        .unwrap()
        .speech_spans(&mix.samples)
        .unwrap();

    // Small model calls (7 frames) and pushes of sizes that never line up with frames or
    // blocks: the LSTM state and the frame context must carry across every boundary.
    let settings = VadSettings {
        frames_per_call: 7,
        ..VadSettings::default()
    };
    let mut vad = SileroVad::new(&options(settings)).unwrap();
    let mut streamed = Vec::new();
    let mut rest = mix.samples.as_slice();
    for size in [1_usize, 511, 513, 3_000, 17, 40_000].into_iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (block, tail) = rest.split_at(size.min(rest.len()));
        streamed.extend(vad.push(block).unwrap());
        rest = tail;
    }
    streamed.extend(vad.finish().unwrap());
    assert_eq!(streamed, whole);
}

#[test]
fn a_missing_model_says_to_fetch_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(VadSettings::default());
    options.model = dir.path().join(MODEL_FILE);
    let error = SileroVad::new(&options).err().unwrap();
    assert!(matches!(error, EngineError::BadModel { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(MODEL_FILE)
            && message.contains("missing")
            && message.contains("scripts/fetch-models"),
        "{message}"
    );
}

#[test]
fn a_corrupt_model_is_rejected_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(VadSettings::default());
    let real = std::fs::read(&options.model).unwrap();
    options.model = dir.path().join(MODEL_FILE);
    // A download cut off halfway.
    std::fs::write(&options.model, &real[..real.len() / 2]).unwrap();
    let message = SileroVad::new(&options).err().unwrap().to_string();
    assert!(
        message.contains(&options.model.display().to_string())
            && message.contains("not a loadable ONNX model"),
        "{message}"
    );
}

#[test]
fn another_onnx_model_is_not_taken_for_the_vad() {
    let mut options = options(VadSettings::default());
    options.model = lm_testkit::require_model("minilm-l6-v2", "model.onnx");
    let message = SileroVad::new(&options).err().unwrap().to_string();
    assert!(
        message.contains("not Silero's sequence VAD model"),
        "{message}"
    );
}

#[test]
fn bad_settings_are_refused_before_loading() {
    let settings = VadSettings {
        speech_threshold: 1.5,
        ..VadSettings::default()
    };
    let message = SileroVad::new(&options(settings))
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("speech_threshold"), "{message}");
}

/// Speed on a 10-minute recording (the test mix repeated), fed in 1-second blocks as a
/// pipeline reading a file would. Prints seconds of audio per second; run with --nocapture.
#[test]
fn ten_minutes_of_audio_are_scanned_quickly_and_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let mix = make_mix(dir.path());
    // Two seconds of silence after each repetition keep its last speech apart from the next
    // repetition's first.
    let gap = vec![0.0_f32; 2 * SAMPLE_RATE as usize];
    let mix_ms = ms(mix.samples.len() + gap.len());
    let repeats = (600_000 / mix_ms) as usize + 1;
    let settings = VadSettings::default();
    let mut vad = SileroVad::new(&options(settings)).unwrap();

    let started = Instant::now();
    let mut spans = Vec::new();
    for _ in 0..repeats {
        for block in mix.samples.chunks(SAMPLE_RATE as usize) {
            spans.extend(vad.push(block).unwrap());
        }
        spans.extend(vad.push(&gap).unwrap());
    }
    spans.extend(vad.finish().unwrap());
    let seconds = started.elapsed().as_secs_f64();
    let audio_seconds = (repeats as u64 * mix_ms) as f64 / 1000.0;
    let speed = audio_seconds / seconds;
    println!(
        "VAD speed: {audio_seconds:.0} s of audio in {seconds:.2} s = {speed:.0} s of audio per second ({} spans)",
        spans.len()
    );

    for i in 0..repeats as u64 {
        let offset = i * mix_ms;
        let here: Vec<SpeechSpan> = spans
            .iter()
            .filter(|s| s.end_ms > offset && s.start_ms < offset + mix_ms)
            .copied()
            .collect();
        assert_spans_fit(&mix, offset, &here, &settings);
    }
    // Far faster than transcription (tiny.en runs at about 5 s of audio per second here), even
    // on a busy machine.
    assert!(
        speed > 50.0,
        "VAD ran at only {speed:.1} s of audio per second"
    );
}
