//! Finishing a recorded lecture, after a normal stop or after a crash.

use std::path::Path;

use super::RecordingError;
use super::live::{read_saved_segments, saved_segments_path};
use super::wav::{is_recording_elsewhere, repair_wav};
use crate::engines::TranscriptSegment;
use crate::library::Library;
use crate::store::{Lecture, LectureId, LectureStatus, SegmentInput};

/// A recording found unfinished by [`recover_interrupted_recordings`], and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredRecording {
    /// The lecture as it is now: "imported" with its media when the audio was saved, "failed"
    /// when nothing usable was left.
    pub lecture: Lecture,
    /// The audio kept, in milliseconds.
    pub duration_ms: u64,
    /// Live transcript segments kept as the lecture's transcript.
    pub transcript_segments: usize,
    /// Why the recording could not be kept, when it could not.
    pub problem: Option<String>,
}

/// Finishes the lectures a crash left "recording": each WAV is repaired (everything up to the
/// last checkpoint, at most [`super::CHECKPOINT_INTERVAL`] before the crash, is kept) and stored
/// like a stopped recording, with the live transcript saved so far. Recordings still running in
/// another process (they hold a lock on their file) are left alone. A recording that cannot be
/// repaired marks its lecture "failed" and keeps its file in `recordings/` for inspection; that
/// does not stop the others from being recovered.
pub fn recover_interrupted_recordings(
    library: &Library,
) -> Result<Vec<RecoveredRecording>, RecordingError> {
    let lectures = library
        .store()
        .lectures()
        .list_with_status(LectureStatus::Recording)?;
    let mut recovered = Vec::new();
    for lecture in lectures {
        let wav = library.resolve(&lecture.media_path);
        if wav.is_file() && is_recording_elsewhere(&wav)? {
            continue;
        }
        let outcome = match recover_one(library, &lecture, &wav) {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!("cannot recover the recording {}: {error}", wav.display());
                library
                    .store()
                    .lectures()
                    .set_status(&lecture.id, LectureStatus::Failed)?;
                RecoveredRecording {
                    lecture: library.store().lectures().get(&lecture.id)?,
                    duration_ms: 0,
                    transcript_segments: 0,
                    problem: Some(error.to_string()),
                }
            }
        };
        recovered.push(outcome);
    }
    Ok(recovered)
}

fn recover_one(
    library: &Library,
    lecture: &Lecture,
    wav: &Path,
) -> Result<RecoveredRecording, RecordingError> {
    let summary = repair_wav(wav)?;
    if summary.frames == 0 {
        return Err(RecordingError::Wav {
            path: wav.to_path_buf(),
            problem: "nothing was recorded before the app stopped".to_owned(),
        });
    }
    let transcript = read_saved_segments(wav);
    let lecture = finish_lecture(library, lecture, wav, summary.duration_ms(), &transcript)?;
    Ok(RecoveredRecording {
        lecture,
        duration_ms: summary.duration_ms(),
        transcript_segments: transcript.len(),
        problem: None,
    })
}

/// Stores a finished recording: the WAV goes into the content store, `transcript` becomes the
/// lecture's transcript, the lecture gets its media and becomes "imported", and the files in
/// `recordings/` are removed. Each step can be repeated, so a crash half-way is finished by the
/// next recovery.
pub(crate) fn finish_lecture(
    library: &Library,
    lecture: &Lecture,
    wav: &Path,
    duration_ms: u64,
    transcript: &[TranscriptSegment],
) -> Result<Lecture, RecordingError> {
    let stored = library.store_file(wav)?;
    let media_path = stored.relative.clone();
    if !transcript.is_empty() {
        let segments: Vec<SegmentInput> = transcript.iter().cloned().map(Into::into).collect();
        library
            .store()
            .transcripts()
            .replace(&lecture.id, &segments)?;
    }
    let lecture = library.store().lectures().finish_recording(
        &lecture.id,
        &media_path,
        &stored.sha256,
        duration_ms,
    )?;
    discard_recording_files(wav);
    queue_full_transcription(library, &lecture.id);
    Ok(lecture)
}

/// Removes a recording's files from `recordings/` (once they are stored, or when the recording
/// never started).
pub(crate) fn discard_recording_files(wav: &Path) {
    for path in [wav.to_path_buf(), saved_segments_path(wav)] {
        if let Err(error) = std::fs::remove_file(&path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {error}", path.display());
        }
    }
}

/// Queues the full-quality transcription of a finished recording (the live transcript is made
/// from short windows as the lecture goes on). The live transcript stays the lecture's
/// transcript until the job stores its first chunk, so a failed job loses nothing.
fn queue_full_transcription(library: &Library, lecture_id: &LectureId) {
    let request = crate::ingest::TranscribeRequest {
        lecture_id: lecture_id.clone(),
        language: None,
    };
    if let Err(error) = library.store().jobs().enqueue(&request.to_job(0)) {
        tracing::warn!("cannot queue the transcription of recording {lecture_id}: {error}");
    }
}
