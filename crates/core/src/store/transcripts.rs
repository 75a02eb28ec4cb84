//! Transcript segments of lectures.
//!
//! The timed text itself is [`TranscriptSegment`], the type the [`Transcriber`] engine produces;
//! the store adds an id, the lecture and the optional extras (speaker, word timings).
//!
//! [`Transcriber`]: crate::engines::Transcriber

use rusqlite::{Row, params};

use super::{LectureId, Store, StoreError, json_column, now_ms, to_json};
use crate::engines::TranscriptSegment;

id_type!(
    /// The id of a stored transcript segment.
    SegmentId
);

/// One word with its timing, when the engine provides word-level timestamps.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimedWord {
    /// Start of the word, in ms from the start of the audio.
    pub start_ms: u64,
    /// End of the word, in ms from the start of the audio.
    pub end_ms: u64,
    /// The word as recognised.
    pub text: String,
}

/// A segment to store: the engine's output plus optional extras.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInput {
    /// Timing and text.
    pub segment: TranscriptSegment,
    /// Who spoke, when diarisation ran.
    pub speaker: Option<String>,
    /// Word timings, when the engine produced them.
    pub words: Option<Vec<TimedWord>>,
}

impl From<TranscriptSegment> for SegmentInput {
    fn from(segment: TranscriptSegment) -> Self {
        Self {
            segment,
            speaker: None,
            words: None,
        }
    }
}

/// A stored transcript segment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TranscriptSegmentRow {
    /// Stable global id.
    pub id: SegmentId,
    /// The lecture it belongs to.
    pub lecture_id: LectureId,
    /// Timing and text.
    pub segment: TranscriptSegment,
    /// Who spoke, when known.
    pub speaker: Option<String>,
    /// Word timings, when known.
    pub words: Option<Vec<TimedWord>>,
}

impl TranscriptSegmentRow {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            lecture_id: row.get("lecture_id")?,
            segment: TranscriptSegment {
                start_ms: row.get("start_ms")?,
                end_ms: row.get("end_ms")?,
                text: row.get("text")?,
            },
            speaker: row.get("speaker")?,
            words: json_column(row, "words_json")?,
        })
    }
}

/// The transcript repository, borrowed from [`Store::transcripts`].
pub struct Transcripts<'s> {
    store: &'s Store,
}

impl<'s> Transcripts<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Replaces the transcript of a lecture with `segments`, all or nothing: the old segments
    /// become tombstones (so sync peers drop them too) and the new ones are inserted. Returns the
    /// number of segments stored.
    pub fn replace(
        &self,
        lecture_id: &LectureId,
        segments: &[SegmentInput],
    ) -> Result<usize, StoreError> {
        self.store.write("replace a lecture's transcript", |tx| {
            let now = now_ms();
            tx.execute(
                "UPDATE transcript_segments SET deleted_at = ?2, updated_at = ?2
                 WHERE lecture_id = ?1 AND deleted_at IS NULL",
                params![lecture_id, now],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO transcript_segments (id, lecture_id, start_ms, end_ms, text, speaker,
                                                  words_json, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            )?;
            for input in segments {
                let words = input.words.as_deref().map(to_json).transpose()?;
                insert.execute(params![
                    SegmentId::generate(),
                    lecture_id,
                    input.segment.start_ms,
                    input.segment.end_ms,
                    input.segment.text,
                    input.speaker,
                    words,
                    now
                ])?;
            }
            Ok(segments.len())
        })
    }

    /// The live segments of a lecture, in time order.
    pub fn list(&self, lecture_id: &LectureId) -> Result<Vec<TranscriptSegmentRow>, StoreError> {
        self.store.read("list a lecture's transcript", |conn| {
            conn.prepare_cached(
                "SELECT id, lecture_id, start_ms, end_ms, text, speaker, words_json
                 FROM transcript_segments WHERE lecture_id = ?1 AND deleted_at IS NULL
                 ORDER BY start_ms, end_ms, rowid",
            )?
            .query_map([lecture_id], TranscriptSegmentRow::from_row)?
            .collect()
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::lectures::tests::store_with_lecture;
    use crate::store::test_support::count_rows;

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> TranscriptSegment {
        TranscriptSegment {
            start_ms,
            end_ms,
            text: text.into(),
        }
    }

    #[test]
    fn replace_then_list_in_time_order_with_extras() {
        let (_dir, store, lecture) = store_with_lecture();
        let words = vec![
            TimedWord {
                start_ms: 2000,
                end_ms: 2400,
                text: "Cells".into(),
            },
            TimedWord {
                start_ms: 2400,
                end_ms: 2900,
                text: "divide.".into(),
            },
        ];
        let inputs = vec![
            SegmentInput {
                segment: segment(2000, 2900, "Cells divide."),
                speaker: Some("teacher".into()),
                words: Some(words.clone()),
            },
            segment(0, 1900, "Good morning.").into(),
        ];
        assert_eq!(
            store.transcripts().replace(&lecture.id, &inputs).unwrap(),
            2
        );

        let rows = store.transcripts().list(&lecture.id).unwrap();
        let texts: Vec<&str> = rows.iter().map(|r| r.segment.text.as_str()).collect();
        assert_eq!(texts, ["Good morning.", "Cells divide."]);
        assert_eq!(rows[0].speaker, None);
        assert_eq!(rows[0].words, None);
        assert_eq!(rows[1].speaker.as_deref(), Some("teacher"));
        assert_eq!(rows[1].words.as_ref(), Some(&words));
        assert!(rows.iter().all(|r| r.lecture_id == lecture.id));
    }

    #[test]
    fn replacing_tombstones_the_old_transcript() {
        let (_dir, store, lecture) = store_with_lecture();
        store
            .transcripts()
            .replace(&lecture.id, &[segment(0, 1000, "first take").into()])
            .unwrap();
        let seq_between = store.change_seq().unwrap();
        store
            .transcripts()
            .replace(
                &lecture.id,
                &[
                    segment(0, 900, "second").into(),
                    segment(900, 1800, "take").into(),
                ],
            )
            .unwrap();

        let texts: Vec<String> = store
            .transcripts()
            .list(&lecture.id)
            .unwrap()
            .into_iter()
            .map(|r| r.segment.text)
            .collect();
        assert_eq!(texts, ["second", "take"]);
        assert_eq!(
            count_rows(&store, "transcript_segments"),
            3,
            "one tombstone + two live"
        );
        // The tombstone and both new rows changed after the first replace.
        let changed: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM transcript_segments WHERE change_seq > ?1",
                [seq_between],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(changed, 3);
    }

    #[test]
    fn a_bad_segment_in_the_middle_leaves_the_old_transcript_intact() {
        let (_dir, store, lecture) = store_with_lecture();
        store
            .transcripts()
            .replace(&lecture.id, &[segment(0, 1000, "kept").into()])
            .unwrap();
        let seq_before = store.change_seq().unwrap();

        let batch: Vec<SegmentInput> = vec![
            segment(0, 500, "new one").into(),
            segment(900, 100, "ends before it starts").into(),
            segment(1000, 1500, "new three").into(),
        ];
        let err = store
            .transcripts()
            .replace(&lecture.id, &batch)
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::Db {
                operation: "replace a lecture's transcript",
                ..
            }
        ));

        let texts: Vec<String> = store
            .transcripts()
            .list(&lecture.id)
            .unwrap()
            .into_iter()
            .map(|r| r.segment.text)
            .collect();
        assert_eq!(texts, ["kept"]);
        assert_eq!(count_rows(&store, "transcript_segments"), 1);
        assert_eq!(
            store.change_seq().unwrap(),
            seq_before,
            "the counter rolled back too"
        );
    }

    #[test]
    fn segments_of_an_unknown_lecture_are_refused() {
        let (_dir, store, _) = store_with_lecture();
        let ghost = LectureId::from("ghost".to_string());
        assert!(
            store
                .transcripts()
                .replace(&ghost, &[segment(0, 1, "x").into()])
                .is_err()
        );
        assert_eq!(count_rows(&store, "transcript_segments"), 0);
    }
}
