//! One lecture: its player, its transcript (read, corrected, split, merged) and its export.

use std::path::PathBuf;

use lm_core::store::{LectureId, SegmentId, TranscriptSegmentRow};
use lm_core::transcript_export::{ExportFormat, export};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use super::blocking;
use super::library::LectureSummary;
use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::media::asset_url;
use crate::state::ShellState;

/// A lecture with what its page needs to play it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LectureDetail {
    /// The lecture.
    #[serde(flatten)]
    pub summary: LectureSummary,
    /// Its audio, playable by `<audio>` (asset protocol).
    pub media_url: String,
}

/// A transcript segment.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptSegmentView {
    /// The segment's id (live-transcript segments of a recording have none yet: "").
    pub id: String,
    /// Its lecture.
    pub lecture_id: String,
    /// Start, in ms from the start of the lecture.
    #[ts(type = "number")]
    pub start_ms: u64,
    /// End, in ms from the start of the lecture.
    #[ts(type = "number")]
    pub end_ms: u64,
    /// What was said.
    pub text: String,
    /// Who said it, when known.
    pub speaker: Option<String>,
}

impl From<&TranscriptSegmentRow> for TranscriptSegmentView {
    fn from(row: &TranscriptSegmentRow) -> Self {
        Self {
            id: row.id.to_string(),
            lecture_id: row.lecture_id.to_string(),
            start_ms: row.segment.start_ms,
            end_ms: row.segment.end_ms,
            text: row.segment.text.clone(),
            speaker: row.speaker.clone(),
        }
    }
}

/// Lecture `lecture_id` with a URL of its media.
#[tauri::command]
pub fn get_lecture(
    state: State<'_, ShellState>,
    lecture_id: String,
) -> CommandResult<LectureDetail> {
    state.with_library(|library| {
        let lecture = library.store().lectures().get(&lecture_id.into())?;
        Ok(LectureDetail {
            media_url: asset_url(&library.resolve(&lecture.media_path)),
            summary: LectureSummary::from(&lecture),
        })
    })
}

fn transcript(
    state: &ShellState,
    lecture_id: &LectureId,
) -> CommandResult<Vec<TranscriptSegmentView>> {
    state.with_library(|library| {
        let rows = library.store().transcripts().list(lecture_id)?;
        Ok(rows.iter().map(TranscriptSegmentView::from).collect())
    })
}

/// The transcript of lecture `lecture_id`, in time order.
#[tauri::command]
pub fn get_transcript(
    state: State<'_, ShellState>,
    lecture_id: String,
) -> CommandResult<Vec<TranscriptSegmentView>> {
    transcript(&state, &lecture_id.into())
}

/// Replaces the text of segment `segment_id` (a correction); times stay.
#[tauri::command]
pub fn edit_segment(
    state: State<'_, ShellState>,
    segment_id: String,
    text: String,
) -> CommandResult<TranscriptSegmentView> {
    state.with_library(|library| {
        let row = library
            .store()
            .transcripts()
            .edit_text(&SegmentId::from(segment_id), &text)?;
        Ok(TranscriptSegmentView::from(&row))
    })
}

/// Splits segment `segment_id` in two at character `at_char`; returns the lecture's transcript.
#[tauri::command]
pub fn split_segment(
    state: State<'_, ShellState>,
    segment_id: String,
    at_char: usize,
) -> CommandResult<Vec<TranscriptSegmentView>> {
    let (first, _) = state.with_library(|library| {
        Ok(library
            .store()
            .transcripts()
            .split(&SegmentId::from(segment_id), at_char, None)?)
    })?;
    transcript(&state, &first.lecture_id)
}

/// Merges segment `first_id` with `second_id`, the one right after it; returns the lecture's
/// transcript.
#[tauri::command]
pub fn merge_segments(
    state: State<'_, ShellState>,
    first_id: String,
    second_id: String,
) -> CommandResult<Vec<TranscriptSegmentView>> {
    let merged = state.with_library(|library| {
        Ok(library
            .store()
            .transcripts()
            .merge(&SegmentId::from(first_id), &SegmentId::from(second_id))?)
    })?;
    transcript(&state, &merged.lecture_id)
}

/// Writes the transcript of lecture `lecture_id` to `path` as `format` (`txt`, `md`, `srt`,
/// `vtt` or `json`) and returns the path written.
#[tauri::command]
pub async fn export_transcript<R: Runtime>(
    app: AppHandle<R>,
    lecture_id: String,
    format: String,
    path: String,
) -> CommandResult<String> {
    blocking(app, move |state| {
        let format: ExportFormat = format.parse()?;
        let text = state.with_library(|library| {
            let store = library.store();
            let lecture = store.lectures().get(&lecture_id.into())?;
            let segments = store.transcripts().list(&lecture.id)?;
            Ok(export(&segments, format, Some(&lecture.title)))
        })?;
        let path = PathBuf::from(path);
        std::fs::write(&path, text).map_err(|error| {
            CommandError::new(
                ErrorKind::Io,
                format!("cannot write the transcript to {}: {error}", path.display()),
            )
        })?;
        Ok(path.display().to_string())
    })
    .await
}
