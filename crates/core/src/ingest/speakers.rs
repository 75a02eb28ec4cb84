//! Speaker labels on a transcribed lecture: the last step of the `transcribe` job.
//!
//! Each stored segment's audio is cut from the decoded 16 kHz WAV and embedded by the
//! [`SpeakerDiarizer`]; the diarizer groups the embeddings into speakers; the segments get
//! "Speaker 1", "Speaker 2", ... in order of first appearance, all in one transaction
//! ([`Transcripts::set_speakers`](crate::store::Transcripts::set_speakers)). A lecture in which
//! only one voice is found keeps no labels at all (`speaker` stays `None`), so exports of the
//! usual one-teacher lecture carry no noise.
//!
//! The step is optional: with no speaker model installed it is skipped with a log note, and a
//! failure is logged, never failing the transcription. It is idempotent (it sets every segment's
//! speaker from scratch), so a job resumed after a crash during this step simply runs it again.

use std::fs;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use hound::WavReader;

use crate::engines::{EngineError, SpeakerDiarizer, VoiceSample};
use crate::jobs::JobError;
use crate::store::{LectureId, SegmentId, Store};

/// Makes the diarizer for a job: `Ok(None)` when its model is not installed (the labels are
/// then skipped quietly), an error when it is installed but cannot be loaded.
pub type DiarizerFactory =
    Box<dyn Fn() -> Result<Option<Arc<dyn SpeakerDiarizer>>, EngineError> + Send + Sync>;

/// What labelling found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeakerOutcome {
    /// Distinct speakers found (0 for a transcript without segments).
    pub speakers: usize,
    /// Segments that carry a label now (0 when one speaker was found).
    pub labelled: usize,
}

/// The label of each segment given its speaker number: "Speaker N" (numbers from 1), or `None`
/// for every segment when fewer than two speakers were found.
pub fn speaker_labels(assignments: &[usize]) -> Vec<Option<String>> {
    let speakers = assignments.iter().max().map_or(0, |m| m + 1);
    assignments
        .iter()
        .map(|&speaker| (speakers >= 2).then(|| format!("Speaker {}", speaker + 1)))
        .collect()
}

/// Labels the live segments of `lecture_id` from the decoded recording `wav` (16 kHz mono
/// 16-bit). `check_cancelled` is called between segments.
pub fn label_speakers(
    store: &Store,
    lecture_id: &LectureId,
    wav: &Path,
    diarizer: &dyn SpeakerDiarizer,
    check_cancelled: &dyn Fn() -> Result<(), JobError>,
) -> Result<SpeakerOutcome, JobError> {
    let rows = store.transcripts().list(lecture_id)?;
    if rows.is_empty() {
        return Ok(SpeakerOutcome {
            speakers: 0,
            labelled: 0,
        });
    }
    let mut reader = WavReader::open(wav).map_err(|e| unreadable(wav, &e))?;
    let spec = reader.spec();
    if spec.channels != 1 || spec.bits_per_sample != 16 || spec.sample_rate == 0 {
        return Err(unreadable(wav, &"not 16-bit mono"));
    }
    let rate = u64::from(spec.sample_rate);
    let total = u64::from(reader.duration());
    let mut voices = Vec::with_capacity(rows.len());
    let mut samples = Vec::new();
    for row in &rows {
        check_cancelled()?;
        let start = (row.segment.start_ms * rate / 1000).min(total);
        let end = (row.segment.end_ms * rate / 1000).clamp(start, total);
        read_range(&mut reader, start, end, &mut samples).map_err(|e| unreadable(wav, &e))?;
        voices.push(VoiceSample {
            embedding: diarizer.embed(&samples)?,
            duration_ms: row.segment.end_ms.saturating_sub(row.segment.start_ms),
        });
    }
    let assignments = diarizer.assign_speakers(&voices);
    if assignments.len() != rows.len() {
        return Err(JobError::Retryable(format!(
            "the speaker model grouped {} of {} segments",
            assignments.len(),
            rows.len()
        )));
    }
    let labels = speaker_labels(&assignments);
    let speakers = assignments.iter().max().map_or(0, |m| m + 1);
    let labelled = labels.iter().filter(|l| l.is_some()).count();
    let updates: Vec<(SegmentId, Option<String>)> =
        rows.into_iter().map(|row| row.id).zip(labels).collect();
    check_cancelled()?;
    store.transcripts().set_speakers(lecture_id, &updates)?;
    Ok(SpeakerOutcome { speakers, labelled })
}

/// Samples `start..end` of the recording as -1.0..=1.0 floats into `out`.
fn read_range(
    reader: &mut WavReader<BufReader<fs::File>>,
    start: u64,
    end: u64,
    out: &mut Vec<f32>,
) -> Result<(), String> {
    out.clear();
    let start = u32::try_from(start).map_err(|_| "too long".to_owned())?;
    reader.seek(start).map_err(|e| e.to_string())?;
    let count = usize::try_from(end - u64::from(start)).map_err(|_| "too long".to_owned())?;
    for sample in reader.samples::<i16>().take(count) {
        out.push(f32::from(sample.map_err(|e| e.to_string())?) / 32_768.0);
    }
    Ok(())
}

fn unreadable(wav: &Path, error: &dyn std::fmt::Display) -> JobError {
    JobError::Retryable(format!(
        "cannot read the decoded audio {} for speaker labels: {error}",
        wav.display()
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::engines::TranscriptSegment;
    use crate::store::{SegmentInput, store_with_lecture};

    /// Tells "voices" apart by loudness: quiet audio is one speaker, loud audio another.
    struct LoudnessDiarizer;

    impl SpeakerDiarizer for LoudnessDiarizer {
        fn embed(&self, samples: &[f32]) -> Result<Option<Vec<f32>>, EngineError> {
            if samples.is_empty() {
                return Ok(None);
            }
            let mean = samples.iter().map(|s| s.abs()).sum::<f32>() / samples.len() as f32;
            Ok(Some(vec![if mean > 0.3 { 1.0 } else { 0.0 }]))
        }

        fn assign_speakers(&self, samples: &[VoiceSample]) -> Vec<usize> {
            let first = samples[0].embedding.as_ref().map_or(0.0, |e| e[0]);
            samples
                .iter()
                .map(|s| usize::from(s.embedding.as_ref().map_or(0.0, |e| e[0]) != first))
                .collect()
        }
    }

    /// A 16 kHz WAV whose seconds have the given amplitudes.
    fn wav(dir: &Path, seconds: &[f32]) -> std::path::PathBuf {
        let path = dir.join("lecture.16k.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for amplitude in seconds {
            for n in 0..16_000 {
                let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
                writer
                    .write_sample((sign * amplitude * 32_000.0) as i16)
                    .unwrap();
            }
        }
        writer.finalize().unwrap();
        path
    }

    fn store_segments(store: &Store, lecture: &LectureId, times: &[(u64, u64)]) {
        let inputs: Vec<SegmentInput> = times
            .iter()
            .map(|&(s, e)| TranscriptSegment::new(s, e, "words").into())
            .collect();
        store.transcripts().replace(lecture, &inputs).unwrap();
    }

    #[test]
    fn segments_get_the_speaker_of_their_own_audio() {
        let (dir, store, lecture) = store_with_lecture();
        let wav = wav(dir.path(), &[0.1, 0.1, 0.9, 0.1, 0.9]);
        // The last segment runs past the end of the recording: it is cut at the end.
        store_segments(
            &store,
            &lecture.id,
            &[(0, 2000), (2000, 3000), (3000, 4000), (4000, 9000)],
        );
        let outcome =
            label_speakers(&store, &lecture.id, &wav, &LoudnessDiarizer, &|| Ok(())).unwrap();
        assert_eq!(
            outcome,
            SpeakerOutcome {
                speakers: 2,
                labelled: 4
            }
        );
        let speakers: Vec<Option<String>> = store
            .transcripts()
            .list(&lecture.id)
            .unwrap()
            .into_iter()
            .map(|r| r.speaker)
            .collect();
        let [one, two] = ["Speaker 1", "Speaker 2"].map(|s| Some(s.to_owned()));
        assert_eq!(speakers, [one.clone(), two.clone(), one, two]);

        // Labelling again (a resumed job) changes nothing.
        let again = label_speakers(&store, &lecture.id, &wav, &LoudnessDiarizer, &|| Ok(()));
        assert_eq!(again.unwrap(), outcome);
    }

    #[test]
    fn one_voice_leaves_no_labels_and_a_cancel_stops_before_storing() {
        let (dir, store, lecture) = store_with_lecture();
        let wav = wav(dir.path(), &[0.1, 0.1, 0.1]);
        store_segments(&store, &lecture.id, &[(0, 1000), (1000, 3000)]);
        let outcome =
            label_speakers(&store, &lecture.id, &wav, &LoudnessDiarizer, &|| Ok(())).unwrap();
        assert_eq!(outcome.speakers, 1);
        assert_eq!(outcome.labelled, 0);
        let rows = store.transcripts().list(&lecture.id).unwrap();
        assert!(rows.iter().all(|r| r.speaker.is_none()));

        let loud = wav_two(dir.path());
        let cancelled = label_speakers(&store, &lecture.id, &loud, &LoudnessDiarizer, &|| {
            Err(JobError::Cancelled)
        });
        assert_eq!(cancelled, Err(JobError::Cancelled));
        let rows = store.transcripts().list(&lecture.id).unwrap();
        assert!(rows.iter().all(|r| r.speaker.is_none()));

        let missing = label_speakers(
            &store,
            &lecture.id,
            &dir.path().join("gone.wav"),
            &LoudnessDiarizer,
            &|| Ok(()),
        );
        assert!(
            matches!(missing, Err(JobError::Retryable(_))),
            "{missing:?}"
        );
    }

    fn wav_two(dir: &Path) -> std::path::PathBuf {
        let path = wav(dir, &[0.1, 0.9, 0.9]);
        let moved = dir.join("two.wav");
        std::fs::rename(&path, &moved).unwrap();
        moved
    }

    #[test]
    fn one_speaker_means_no_labels_two_mean_numbered_labels() {
        assert_eq!(speaker_labels(&[0, 0, 0]), [None, None, None]);
        assert_eq!(speaker_labels(&[]), Vec::<Option<String>>::new());
        assert_eq!(
            speaker_labels(&[0, 1, 0, 2]),
            [
                Some("Speaker 1".to_owned()),
                Some("Speaker 2".to_owned()),
                Some("Speaker 1".to_owned()),
                Some("Speaker 3".to_owned()),
            ]
        );
    }
}
