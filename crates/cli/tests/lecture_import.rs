//! `littlemonster import` / `jobs run` end to end: real media made with espeak-ng and sox, the
//! real Silero detector and whisper tiny.en worker, a real library in a temporary folder.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{littlemonster, run};
use lm_core::ingest::TranscribeCheckpoint;
use lm_core::library::{Library, LibraryRoot};
use lm_core::store::{JobStatus, Lecture, LectureStatus, TranscriptSegmentRow};
use lm_core::transcript_export::TranscriptJson;

/// One piece of a generated lecture.
enum Piece {
    Speech(&'static str),
    Silence(f64),
    Noise(f64),
}

/// A generated lecture: the file and, per sentence, where it was placed (ms) and its text.
struct Lecture16k {
    wav: PathBuf,
    sentences: Vec<(u64, &'static str)>,
}

const SENTENCES: &[&str] = &[
    "Good morning everyone, and welcome back to the science course.",
    "Today we are going to talk about the structure of the cell.",
    "Every living thing is made of one or more cells.",
    "The cell membrane controls what enters and leaves the cell.",
    "Inside the membrane we find the fluid and the nucleus.",
    "The nucleus holds the genetic material of the cell.",
    "The mitochondria turn food into energy that the cell can use.",
    "Plant cells also have a cell wall and chloroplasts.",
    "Chloroplasts capture light from the sun to make sugar.",
    "Animal cells do not have a cell wall.",
    "Next week we will look at how cells divide and grow.",
    "Please read the next chapter before the next class.",
    "Remember that the quiz on Friday covers everything so far.",
    "Bring your notebooks and a pencil to the laboratory.",
    "Water moves into the cell through the membrane.",
    "Small molecules can pass through the membrane on their own.",
    "Larger molecules need special proteins to carry them across.",
    "The cell uses energy to pump some materials against the gradient.",
    "Ribosomes build proteins from the instructions in the genes.",
    "The endoplasmic reticulum helps fold and move these proteins.",
    "Other parts package proteins and send them where they are needed.",
    "Lysosomes break down old parts of the cell and recycle them.",
    "Bacteria are single cells without a nucleus.",
    "Their genetic material floats freely inside the cell.",
    "Scientists first saw cells with simple microscopes long ago.",
    "Modern microscopes can show the smallest parts of a cell.",
    "Cells in the same tissue work together to do one job.",
    "That is all for today, thank you for listening.",
];

/// The folder of a freshly built `lm-stt-worker`, for the child processes.
fn sox(args: &[&str]) {
    let status = Command::new("sox").args(args).status().unwrap();
    assert!(status.success(), "sox {args:?} failed");
}

/// Builds a 16 kHz mono lecture from `pieces` in `dir`.
fn compose(dir: &Path, name: &str, pieces: &[Piece]) -> Lecture16k {
    let mut files = Vec::new();
    let mut sentences = Vec::new();
    let mut at_ms = 0;
    for (i, piece) in pieces.iter().enumerate() {
        let file = dir.join(format!("{name}-piece{i}.wav"));
        let f = file.to_str().unwrap();
        match piece {
            Piece::Speech(text) => {
                lm_testkit::speak_to_wav(text, &file);
                sentences.push((at_ms, *text));
            }
            Piece::Silence(s) => sox(&[
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                "-b",
                "16",
                f,
                "trim",
                "0",
                &s.to_string(),
            ]),
            Piece::Noise(s) => sox(&[
                "-n",
                "-r",
                "16000",
                "-c",
                "1",
                "-b",
                "16",
                f,
                "synth",
                &s.to_string(),
                "pinknoise",
                "vol",
                "0.25",
            ]),
        }
        at_ms += lm_testkit::wav_duration_ms(&file);
        files.push(f.to_owned());
    }
    let wav = dir.join(format!("{name}.wav"));
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.push(wav.to_str().unwrap());
    sox(&args);
    Lecture16k { wav, sentences }
}

/// Sentences with a pause after each.
fn spoken(sentences: &[&'static str], pause_s: f64) -> Vec<Piece> {
    sentences
        .iter()
        .flat_map(|s| [Piece::Speech(s), Piece::Silence(pause_s)])
        .collect()
}

fn library(data: &Path) -> Library {
    LibraryRoot::new(data)
        .open_or_create_default("Student")
        .unwrap()
}

fn only_lecture(library: &Library) -> Lecture {
    let class = library.class_named("Biology").unwrap();
    let mut lectures = library.store().lectures().list_by_class(&class.id).unwrap();
    assert_eq!(lectures.len(), 1, "{lectures:?}");
    lectures.remove(0)
}

fn text_of(rows: &[TranscriptSegmentRow]) -> String {
    rows.iter()
        .map(|r| r.segment.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_lecture_with_silence_and_noise_is_transcribed_accurately_and_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut pieces = spoken(&SENTENCES[..14], 1.0);
    let quiet_start = pieces.len();
    pieces.push(Piece::Silence(30.0));
    pieces.push(Piece::Noise(20.0));
    let quiet_end = pieces.len();
    pieces.push(Piece::Silence(1.0));
    pieces.extend(spoken(&SENTENCES[14..], 1.0));
    let lecture = compose(dir.path(), "lecture", &pieces);
    let total_ms = lm_testkit::wav_duration_ms(&lecture.wav);
    // Where the silence and noise lie: after the 14th sentence's pause, 50 s long.
    let before_quiet =
        lecture.sentences[13].0 + lm_testkit_speech_ms(dir.path(), SENTENCES[13]) + 1_000;
    let quiet = before_quiet..before_quiet + 50_000;
    assert!((170_000..200_000).contains(&total_ms), "{total_ms} ms");
    assert_eq!(quiet_end - quiet_start, 2);

    let data = dir.path().join("data");
    let started = Instant::now();
    let (output, stdout) = run(littlemonster(&data)
        .args(["import", "--class", "Biology"])
        .arg(&lecture.wav));
    let wall = started.elapsed();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("imported: ") && stdout.contains("transcribed: "),
        "{stdout}"
    );

    let library = library(&data);
    let stored = only_lecture(&library);
    assert_eq!(stored.status, LectureStatus::Indexed);
    assert!(stored.duration_ms.unwrap().abs_diff(total_ms) < 100);
    let rows = library.store().transcripts().list(&stored.id).unwrap();
    let reference = SENTENCES.join(" ");
    let wer = lm_testkit::word_error_rate(&reference, &text_of(&rows));
    eprintln!(
        "{:.0} s of audio in {:.1} s; WER {:.1} %",
        total_ms as f64 / 1000.0,
        wall.as_secs_f64(),
        wer * 100.0
    );
    assert!(wer <= 0.10, "WER {:.1} %: {}", wer * 100.0, text_of(&rows));

    for row in &rows {
        let s = &row.segment;
        assert!(
            s.end_ms <= quiet.start || s.start_ms >= quiet.end,
            "segment {s:?} overlaps the silence/noise {quiet:?}"
        );
    }
    // Every segment starts where a sentence was placed (timestamps mapped back correctly)...
    for row in &rows {
        let placed = lecture
            .sentences
            .iter()
            .any(|(at, _)| row.segment.start_ms.abs_diff(*at) <= 1_000);
        assert!(
            placed,
            "segment {:?} starts more than 1 s from every sentence: placed at {:?}; job {:?}",
            row.segment,
            lecture
                .sentences
                .iter()
                .map(|(at, _)| at)
                .collect::<Vec<_>>(),
            library.store().jobs().list(None).unwrap()[0].checkpoint
        );
    }
    // ...and nearly every sentence starts a segment. Whisper sometimes puts two sentences of one
    // chunk in one segment; the second then has no segment timestamp of its own, but its words
    // have timings (checked below).
    let missed: Vec<_> = lecture
        .sentences
        .iter()
        .filter(|(at, _)| {
            !rows
                .iter()
                .any(|r| r.segment.start_ms.abs_diff(*at) <= 1_000)
        })
        .collect();
    eprintln!("sentences without a segment starting within 1 s: {missed:?}");
    assert!(
        missed.len() * 10 <= lecture.sentences.len(),
        "{} of {} sentences have no segment starting within 1 s: {missed:?}",
        missed.len(),
        lecture.sentences.len()
    );

    assert_sentences_have_word_timings(&lecture, &rows);
    assert_json_export_has_the_words(&data, &stored, &rows);
}

/// Every placed sentence's first word has a stored word timing within 1 s of where the sentence
/// was placed; prints the timing error per sentence.
///
/// The stored words are aligned with the sentences' words (a minimum edit-distance alignment,
/// as for the WER), so a first word tiny.en misheard ("Wager" for "Water") is still found by its
/// place in the transcript; when it dropped the first word, the sentence's second word stands in.
fn assert_sentences_have_word_timings(lecture: &Lecture16k, rows: &[TranscriptSegmentRow]) {
    for row in rows {
        let s = &row.segment;
        assert_eq!(
            s.words.len(),
            s.text.split_whitespace().count(),
            "the word timings do not line up with the text of {s:?}"
        );
        assert!(
            s.words.windows(2).all(|w| w[0].end_ms <= w[1].start_ms)
                && s.words.iter().all(|w| {
                    s.start_ms <= w.start_ms && w.start_ms <= w.end_ms && w.end_ms <= s.end_ms
                }),
            "word timings out of order or outside their segment: {s:?}"
        );
    }
    let (heard, starts): (Vec<String>, Vec<u64>) = rows
        .iter()
        .flat_map(|r| &r.segment.words)
        .filter_map(|w| {
            let text = lm_testkit::normalize_words(&w.text).concat();
            (!text.is_empty()).then_some((text, w.start_ms))
        })
        .unzip();
    let mut said = Vec::new(); // (sentence, word)
    for (index, (_, sentence)) in lecture.sentences.iter().enumerate() {
        said.extend(
            lm_testkit::normalize_words(sentence)
                .into_iter()
                .map(|word| (index, word)),
        );
    }
    let said_words: Vec<String> = said.iter().map(|(_, word)| word.clone()).collect();
    let aligned = align(&said_words, &heard);

    let mut errors = Vec::new();
    let mut misplaced = Vec::new();
    let mut misheard = 0;
    for (index, (at, _)) in lecture.sentences.iter().enumerate() {
        // The sentence's first word, or its second when the first was not heard at all.
        let found = said
            .iter()
            .zip(&aligned)
            .filter(|((sentence, _), _)| *sentence == index)
            .take(2)
            .find_map(|((_, word), heard_at)| heard_at.map(|h| (word, h)));
        let Some((word, h)) = found else {
            misplaced.push((*at, "not heard".to_owned()));
            continue;
        };
        let error = starts[h].abs_diff(*at);
        misheard += usize::from(*word != heard[h]);
        eprintln!(
            "{at:>7} ms {word:>12}: heard {:?} at {} ms, error {error} ms",
            heard[h], starts[h]
        );
        if error <= 1_000 {
            errors.push(error);
        } else {
            misplaced.push((
                *at,
                format!("{word:?} heard as {:?} at {} ms", heard[h], starts[h]),
            ));
        }
    }
    errors.sort_unstable();
    if let (Some(max), Some(median)) = (errors.last(), errors.get(errors.len() / 2)) {
        eprintln!(
            "word timing error at sentence starts: median {median} ms, max {max} ms ({} \
             sentences, {misheard} words misheard)",
            errors.len()
        );
    }
    assert!(
        misplaced.is_empty(),
        "sentences without a word timing within 1 s of their start: {misplaced:?}"
    );
}

/// For each word of `said`, the index of the word of `heard` aligned with it (the same word or
/// a substitute) by a minimum edit-distance alignment; `None` where it was not heard.
fn align(said: &[String], heard: &[String]) -> Vec<Option<usize>> {
    let substitution = |i: usize, j: usize| usize::from(said[i] != heard[j]);
    // cost[i][j]: edits turning the first i said words into the first j heard words.
    let mut cost: Vec<Vec<usize>> = (0..=said.len())
        .map(|i| (0..=heard.len()).map(|j| i.max(j)).collect())
        .collect();
    for i in 1..=said.len() {
        for j in 1..=heard.len() {
            cost[i][j] = (cost[i - 1][j - 1] + substitution(i - 1, j - 1))
                .min(cost[i - 1][j] + 1)
                .min(cost[i][j - 1] + 1);
        }
    }
    let mut aligned = vec![None; said.len()];
    let (mut i, mut j) = (said.len(), heard.len());
    while i > 0 && j > 0 {
        if cost[i][j] == cost[i - 1][j - 1] + substitution(i - 1, j - 1) {
            aligned[i - 1] = Some(j - 1);
            i -= 1;
            j -= 1;
        } else if cost[i][j] == cost[i - 1][j] + 1 {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    aligned
}

/// `littlemonster transcript --format json` carries the stored word timings.
fn assert_json_export_has_the_words(data: &Path, lecture: &Lecture, rows: &[TranscriptSegmentRow]) {
    let (output, stdout) = run(littlemonster(data)
        .args(["transcript", "--format", "json"])
        .arg(lecture.id.as_str()));
    assert!(output.status.success(), "{stdout}");
    let exported: TranscriptJson = serde_json::from_str(&stdout).unwrap();
    assert_eq!(exported.segments.len(), rows.len());
    for (segment, row) in exported.segments.iter().zip(rows) {
        assert_eq!(
            segment.words.as_ref(),
            Some(&row.segment.words),
            "exported {segment:?}"
        );
    }
}

/// The length of `text` as spoken by the fixture voice.
fn lm_testkit_speech_ms(dir: &Path, text: &str) -> u64 {
    let wav = dir.join("measure.wav");
    lm_testkit::speak_to_wav(text, &wav);
    lm_testkit::wav_duration_ms(&wav)
}

#[test]
fn bad_files_in_a_batch_fail_alone_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let good = compose(dir.path(), "good", &spoken(&SENTENCES[..2], 0.5));
    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let pdf = dir.path().join("slides.mp3");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n",
    )
    .unwrap();
    let truncated = dir.path().join("cut.wav");
    std::fs::write(&truncated, &std::fs::read(&good.wav).unwrap()[..30]).unwrap();

    let data = dir.path().join("data");
    let (output, stdout) = run(littlemonster(&data)
        .args(["import", "--class", "Biology"])
        .args([&empty, &pdf, &good.wav, &truncated]));
    assert!(
        !output.status.success(),
        "a failed file makes the command fail"
    );
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with("failed: ") && l.contains(name))
            .unwrap_or_else(|| panic!("no failure line for {name}:\n{stdout}"))
            .to_owned()
    };
    assert!(line("empty.wav").contains("is empty (0 bytes)"));
    assert!(line("slides.mp3").contains("is a PDF document, not audio or video"));
    assert!(line("cut.wav").contains("is incomplete"));
    assert!(
        stdout.contains("transcribed: ") && stdout.contains("good.wav"),
        "{stdout}"
    );

    let library = library(&data);
    let lecture = only_lecture(&library);
    assert_eq!(lecture.status, LectureStatus::Indexed);
    let rows = library.store().transcripts().list(&lecture.id).unwrap();
    let wer = lm_testkit::word_error_rate(&SENTENCES[..2].join(" "), &text_of(&rows));
    assert!(wer <= 0.15, "WER {:.1} %: {}", wer * 100.0, text_of(&rows));

    // The same file again is a duplicate, not a second lecture.
    let (_, again) = run(littlemonster(&data)
        .args(["import", "--class", "Biology", "--no-wait"])
        .arg(&good.wav));
    assert!(
        again.contains("duplicate: ") && again.contains("already imported as \"good\""),
        "{again}"
    );
    only_lecture(&library);
}

#[test]
fn a_killed_import_resumes_from_its_last_chunk_without_duplicates_or_gaps() {
    let dir = tempfile::tempdir().unwrap();
    // Groups of three sentences, 6 s apart (more than the planner's 2 s merge gap): one chunk
    // per group.
    let spoken_sentences = &SENTENCES[..12];
    let pieces: Vec<Piece> = spoken_sentences
        .chunks(3)
        .flat_map(|group| {
            let mut pieces = spoken(group, 0.8);
            pieces.push(Piece::Silence(6.0));
            pieces
        })
        .collect();
    let lecture = compose(dir.path(), "long", &pieces);
    let data = dir.path().join("data");
    let mut child = littlemonster(&data)
        .args(["import", "--class", "Biology"])
        .arg(&lecture.wav)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    // Kill it once two or more chunks are stored.
    let deadline = Instant::now() + Duration::from_secs(300);
    let checkpoint_at_kill = loop {
        assert!(
            Instant::now() < deadline,
            "the import never reached chunk 2"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(100));
        if !data.join("profiles").is_dir() {
            continue;
        }
        let Ok(library) = LibraryRoot::new(&data).open_or_create_default("Student") else {
            continue;
        };
        let checkpoint = library
            .store()
            .jobs()
            .list(None)
            .unwrap()
            .into_iter()
            .find_map(|job| job.checkpoint)
            .and_then(|c| serde_json::from_value::<TranscribeCheckpoint>(c).ok());
        if let Some(checkpoint) = checkpoint.filter(|c| c.next_chunk >= 2) {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            break checkpoint;
        }
    };
    let library = library(&data);
    let stored = only_lecture(&library);
    // Read again after the kill: a chunk may have committed between the poll and the kill.
    let job = library.store().jobs().list(None).unwrap().remove(0);
    let at_kill: TranscribeCheckpoint = serde_json::from_value(job.checkpoint.unwrap()).unwrap();
    assert!(at_kill.next_chunk >= checkpoint_at_kill.next_chunk);
    assert!(
        at_kill.next_chunk < at_kill.chunks.len(),
        "killed before the end"
    );
    assert_eq!(
        job.status,
        JobStatus::Running,
        "left running by the killed process"
    );
    let rows_at_kill = library.store().transcripts().list(&stored.id).unwrap();
    assert!(!rows_at_kill.is_empty());

    let (output, stdout) = run(littlemonster(&data).args(["jobs", "run"]));
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("resuming from its checkpoint"), "{stdout}");
    assert!(
        stdout.contains("1 resumed after an interruption"),
        "{stdout}"
    );

    let job = library.store().jobs().get(&job.id).unwrap();
    assert_eq!(job.status, JobStatus::Done);
    let done: TranscribeCheckpoint = serde_json::from_value(job.checkpoint.unwrap()).unwrap();
    assert_eq!(done.chunks, at_kill.chunks, "the resumed job kept the plan");
    assert_eq!(done.next_chunk, done.chunks.len());
    // Chunks finished before the kill were not redone: they keep attempt 1.
    let k = at_kill.next_chunk;
    assert!(
        done.chunk_attempts[..k].iter().all(|&a| a == 1),
        "{:?}",
        done.chunk_attempts
    );
    assert!(
        done.chunk_attempts[k..].iter().all(|&a| a == 2),
        "{:?}",
        done.chunk_attempts
    );
    assert_eq!(done.chunks.len(), 4, "one chunk per group of sentences");

    let rows = library.store().transcripts().list(&stored.id).unwrap();
    // The segments stored before the kill are still there, unchanged, at the front.
    assert_eq!(&rows[..rows_at_kill.len()], &rows_at_kill[..]);
    // No duplicates or overlaps; every chunk has its segments, inside its bounds.
    for pair in rows.windows(2) {
        assert!(
            pair[0].segment.end_ms <= pair[1].segment.start_ms,
            "{pair:#?}"
        );
    }
    for [start, end] in &done.chunks {
        let inside: Vec<_> = rows
            .iter()
            .filter(|r| r.segment.start_ms >= *start && r.segment.end_ms <= *end)
            .collect();
        assert!(
            !inside.is_empty(),
            "chunk {start}..{end} has no segments: {rows:#?}"
        );
    }
    let in_some_chunk = |r: &&TranscriptSegmentRow| {
        done.chunks
            .iter()
            .any(|[s, e]| r.segment.start_ms >= *s && r.segment.end_ms <= *e)
    };
    assert!(rows.iter().all(|r| in_some_chunk(&r)));
    let wer = lm_testkit::word_error_rate(&spoken_sentences.join(" "), &text_of(&rows));
    assert!(wer <= 0.15, "WER {:.1} %: {}", wer * 100.0, text_of(&rows));
    assert_eq!(
        library.store().lectures().get(&stored.id).unwrap().status,
        LectureStatus::Indexed
    );
}
