//! Transcript segments of lectures, and the edits a student makes to them.
//!
//! The timed text itself is [`TranscriptSegment`], the type the [`Transcriber`] engine produces,
//! with its word timings when the engine gave them (stored as `words_json`, NULL for none); the
//! store adds an id, the lecture and the optional speaker.
//!
//! Edits keep the sync rules of the store: [`Transcripts::edit_text`] updates the segment in place
//! (same id, fresh `change_seq`), while [`Transcripts::split`] and [`Transcripts::merge`] turn the
//! segments they consume into tombstones and insert new segments with new ids, so a sync peer sees
//! exactly which rows went away and which arrived. Each edit is one transaction, and an edit that
//! is refused (unknown or deleted segment, bad split point, ...) changes nothing.
//!
//! [`Transcriber`]: crate::engines::Transcriber

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::{
    LectureId, Store, StoreError, UnixMillis, json_column, non_empty, now_ms, to_json,
    tombstone_live,
};
use crate::engines::TranscriptSegment;

id_type!(
    /// The id of a stored transcript segment.
    SegmentId
);

/// Word timings are part of the engine's segment; re-exported here where the store's users
/// have always found them.
pub use crate::engines::TimedWord;

/// A segment to store: the engine's output (with its word timings) plus the speaker.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInput {
    /// Timing, text and word timings.
    pub segment: TranscriptSegment,
    /// Who spoke, when diarisation ran.
    pub speaker: Option<String>,
}

impl From<TranscriptSegment> for SegmentInput {
    fn from(segment: TranscriptSegment) -> Self {
        Self {
            segment,
            speaker: None,
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
    /// Timing, text and word timings (none when unknown).
    pub segment: TranscriptSegment,
    /// Who spoke, when known.
    pub speaker: Option<String>,
}

const COLUMNS: &str = "id, lecture_id, start_ms, end_ms, text, speaker, words_json";

/// The order of a transcript: by time, then by insertion for segments with equal times. Merging
/// uses the same order to decide which segments are neighbours.
const TRANSCRIPT_ORDER: &str = "start_ms, end_ms, rowid";

impl TranscriptSegmentRow {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            lecture_id: row.get("lecture_id")?,
            segment: TranscriptSegment {
                start_ms: row.get("start_ms")?,
                end_ms: row.get("end_ms")?,
                text: row.get("text")?,
                words: json_column(row, "words_json")?.unwrap_or_default(),
            },
            speaker: row.get("speaker")?,
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
            tombstone_live(tx, "transcript_segments", "lecture_id", lecture_id, now)?;
            for input in segments {
                insert_segment(tx, lecture_id, input, now)?;
            }
            Ok(segments.len())
        })
    }

    /// The live segments of a lecture, in time order.
    pub fn list(&self, lecture_id: &LectureId) -> Result<Vec<TranscriptSegmentRow>, StoreError> {
        self.store.read("list a lecture's transcript", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM transcript_segments
                 WHERE lecture_id = ?1 AND deleted_at IS NULL ORDER BY {TRANSCRIPT_ORDER}"
            ))?
            .query_map([lecture_id], TranscriptSegmentRow::from_row)?
            .collect()
        })
    }

    /// One live segment.
    ///
    /// An id that was never stored is [`StoreError::NotFound`]; a segment that was replaced,
    /// split or merged away is [`StoreError::Invalid`], saying it was deleted.
    pub fn get(&self, id: &SegmentId) -> Result<TranscriptSegmentRow, StoreError> {
        let stored = self
            .store
            .read("read a transcript segment", |conn| load(conn, id))?;
        live(id, stored)
    }

    /// Replaces the text of a segment, keeping its id, times and speaker; the row gets a fresh
    /// `updated_at` and `change_seq`. The text is trimmed and must not be empty. Returns the
    /// updated segment.
    ///
    /// Word timings stay when the new text has as many words (split at white space) as there are
    /// timings, the usual case for a typo fix: each timing takes the new word at its position.
    /// Otherwise they are dropped, since they would no longer describe the text. Setting the text
    /// it already has changes nothing.
    pub fn edit_text(
        &self,
        id: &SegmentId,
        text: &str,
    ) -> Result<TranscriptSegmentRow, StoreError> {
        let text = non_empty("segment text", text)?;
        self.edit("edit a transcript segment", |tx| {
            let mut row = live(id, load(tx, id)?)?;
            if row.segment.text == text {
                return Ok(row);
            }
            row.segment.set_text(text);
            let words = words_json(&row.segment)?;
            tx.execute(
                "UPDATE transcript_segments SET text = ?2, words_json = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![id, row.segment.text, words, now_ms()],
            )?;
            Ok(row)
        })
    }

    /// Splits a segment in two at `char_offset`, counted in characters (Unicode scalar values,
    /// not bytes or UTF-16 units) from the start of its text: the first part keeps the text
    /// before the offset, the second the rest, each trimmed. Both parts must keep some text.
    ///
    /// The parts meet at `at_ms`, which must lie within the segment (ends included). Without it
    /// the time is found from the word timings when they line up with the text and the cut falls
    /// between two words (the start of the second part's first word); otherwise it is
    /// interpolated by the share of characters before the cut. Word timings go to the part they
    /// belong to; both parts keep the speaker.
    ///
    /// The original becomes a tombstone and the two parts are new segments (new ids), returned
    /// in time order.
    pub fn split(
        &self,
        id: &SegmentId,
        char_offset: usize,
        at_ms: Option<u64>,
    ) -> Result<(TranscriptSegmentRow, TranscriptSegmentRow), StoreError> {
        self.edit("split a transcript segment", |tx| {
            let row = live(id, load(tx, id)?)?;
            let (first, second) = split_segment(&row, char_offset, at_ms)?;
            let now = now_ms();
            tombstone_live(tx, "transcript_segments", "id", id, now)?;
            let first = insert_segment(tx, &row.lecture_id, &first, now)?;
            let second = insert_segment(tx, &row.lecture_id, &second, now)?;
            Ok((first, second))
        })
    }

    /// Merges `first` with `second`, the segment that directly follows it in the transcript of
    /// the same lecture (in [`Transcripts::list`] order). The merged segment runs from the start
    /// of `first` to the later of the two ends, joins the texts with a space, keeps the speaker
    /// of `first` (or of `second` when `first` has none) and concatenates the word timings when
    /// both have them (otherwise it has none).
    ///
    /// Both originals become tombstones and the merged segment is new (new id).
    pub fn merge(
        &self,
        first: &SegmentId,
        second: &SegmentId,
    ) -> Result<TranscriptSegmentRow, StoreError> {
        self.edit("merge two transcript segments", |tx| {
            let first_row = live(first, load(tx, first)?)?;
            let second_row = live(second, load(tx, second)?)?;
            let follower = next_live(tx, &first_row)?;
            let merged = merge_segments(&first_row, &second_row, follower.as_ref())?;
            let now = now_ms();
            tombstone_live(tx, "transcript_segments", "id", first, now)?;
            tombstone_live(tx, "transcript_segments", "id", second, now)?;
            Ok(insert_segment(tx, &first_row.lecture_id, &merged, now)?)
        })
    }

    /// Sets the speaker of segments of `lecture_id` in one transaction: each `(id, speaker)`
    /// pair names a live segment of that lecture and its new speaker (`None` clears it). Rows
    /// whose speaker is already that value are left alone (no new `change_seq`); ids that are
    /// not live segments of the lecture (edited away meanwhile) are skipped. Returns the number
    /// of rows changed.
    pub fn set_speakers(
        &self,
        lecture_id: &LectureId,
        speakers: &[(SegmentId, Option<String>)],
    ) -> Result<usize, StoreError> {
        self.store.write("set the speakers of a transcript", |tx| {
            let now = now_ms();
            let mut update = tx.prepare_cached(
                "UPDATE transcript_segments SET speaker = ?3, updated_at = ?4
                 WHERE id = ?1 AND lecture_id = ?2 AND deleted_at IS NULL
                   AND speaker IS NOT ?3",
            )?;
            let mut changed = 0;
            for (id, speaker) in speakers {
                changed += update.execute(params![id, lecture_id, speaker, now])?;
            }
            Ok(changed)
        })
    }

    /// Runs an edit in one transaction. The body checks everything before its first write, so
    /// a refusal ([`EditError::Refused`]) leaves the database as it was; a database failure
    /// rolls back.
    fn edit<T>(
        &self,
        operation: &'static str,
        body: impl FnOnce(&Transaction<'_>) -> Result<T, EditError>,
    ) -> Result<T, StoreError> {
        self.store.write(operation, |tx| match body(tx) {
            Ok(value) => Ok(Ok(value)),
            Err(EditError::Refused(refusal)) => Ok(Err(refusal)),
            Err(EditError::Db(source)) => Err(source),
        })?
    }
}

/// Why an edit stopped: the database failed, or the edit was refused (unknown or deleted
/// segment, bad split point, ...) before anything was written.
enum EditError {
    Db(rusqlite::Error),
    Refused(StoreError),
}

impl From<rusqlite::Error> for EditError {
    fn from(source: rusqlite::Error) -> Self {
        Self::Db(source)
    }
}

impl From<StoreError> for EditError {
    fn from(refusal: StoreError) -> Self {
        Self::Refused(refusal)
    }
}

/// Inserts one new segment of `lecture_id` stamped `now`, and returns it as stored. Shared with
/// the job queue, which stores a transcription step's segments with its checkpoint.
pub(super) fn insert_segment(
    tx: &Transaction<'_>,
    lecture_id: &LectureId,
    input: &SegmentInput,
    now: UnixMillis,
) -> rusqlite::Result<TranscriptSegmentRow> {
    let row = TranscriptSegmentRow {
        id: SegmentId::generate(),
        lecture_id: lecture_id.clone(),
        segment: input.segment.clone(),
        speaker: input.speaker.clone(),
    };
    let words = words_json(&row.segment)?;
    tx.prepare_cached(
        "INSERT INTO transcript_segments (id, lecture_id, start_ms, end_ms, text, speaker,
                                          words_json, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        row.id,
        row.lecture_id,
        row.segment.start_ms,
        row.segment.end_ms,
        row.segment.text,
        row.speaker,
        words,
        now
    ])?;
    Ok(row)
}

/// A segment as read for an edit: the row, and whether it is a tombstone.
struct StoredSegment {
    row: TranscriptSegmentRow,
    deleted: bool,
}

/// Reads a segment, tombstone or not; `None` when the id was never stored.
fn load(conn: &Connection, id: &SegmentId) -> rusqlite::Result<Option<StoredSegment>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, deleted_at IS NOT NULL AS deleted FROM transcript_segments WHERE id = ?1"
    ))?
    .query_row([id], |row| {
        Ok(StoredSegment {
            row: TranscriptSegmentRow::from_row(row)?,
            deleted: row.get("deleted")?,
        })
    })
    .optional()
}

/// The row of a segment that exists and is not a tombstone, or the error that says which it is.
fn live(id: &SegmentId, stored: Option<StoredSegment>) -> Result<TranscriptSegmentRow, StoreError> {
    match stored {
        None => Err(StoreError::NotFound {
            entity: "transcript segment",
            id: id.to_string(),
        }),
        Some(StoredSegment { deleted: true, .. }) => Err(StoreError::Invalid {
            field: "transcript segment",
            problem: format!(
                "segment {id} was deleted (the transcript was replaced, or the segment was split \
                 or merged); reload the transcript"
            ),
        }),
        Some(StoredSegment {
            row,
            deleted: false,
        }) => Ok(row),
    }
}

/// The id of the live segment right after `row` in its lecture's transcript, if any.
fn next_live(conn: &Connection, row: &TranscriptSegmentRow) -> rusqlite::Result<Option<SegmentId>> {
    conn.prepare_cached(&format!(
        "SELECT id FROM transcript_segments
         WHERE lecture_id = ?1 AND deleted_at IS NULL
           AND ({TRANSCRIPT_ORDER}) > (SELECT {TRANSCRIPT_ORDER} FROM transcript_segments
                                       WHERE id = ?2)
         ORDER BY {TRANSCRIPT_ORDER} LIMIT 1"
    ))?
    .query_row(params![row.lecture_id, row.id], |found| found.get(0))
    .optional()
}

/// The `words_json` column of `segment`: NULL when it has no word timings.
fn words_json(segment: &TranscriptSegment) -> rusqlite::Result<Option<String>> {
    if segment.words.is_empty() {
        Ok(None)
    } else {
        to_json(&segment.words).map(Some)
    }
}

/// The two parts of a split (see [`Transcripts::split`]), or why the split point is refused.
fn split_segment(
    row: &TranscriptSegmentRow,
    char_offset: usize,
    at_ms: Option<u64>,
) -> Result<(SegmentInput, SegmentInput), StoreError> {
    let TranscriptSegment {
        start_ms,
        end_ms,
        ref text,
        ref words,
    } = row.segment;
    let refuse = |problem: String| StoreError::Invalid {
        field: "split point",
        problem,
    };
    let char_count = text.chars().count();
    let cut = text
        .char_indices()
        .nth(char_offset)
        .map(|(byte, _)| byte)
        .filter(|_| char_offset > 0)
        .ok_or_else(|| {
            refuse(format!(
                "character {char_offset} is outside the text of segment {} ({char_count} \
                 characters); a split needs text on both sides",
                row.id
            ))
        })?;
    let (head, tail) = (text[..cut].trim(), text[cut..].trim());
    if head.is_empty() || tail.is_empty() {
        return Err(refuse(format!(
            "splitting segment {} at character {char_offset} would leave a part with no text",
            row.id
        )));
    }

    // The index of the second part's first word in the word timings, when the timings line up
    // with the text word for word and the cut falls between two words.
    let head_words = head.split_whitespace().count();
    let lined_up =
        row.segment.words_line_up() && head_words + tail.split_whitespace().count() == words.len();
    let word_cut = lined_up.then_some(head_words);

    let at_ms = match at_ms {
        Some(at) if (start_ms..=end_ms).contains(&at) => at,
        Some(at) => {
            return Err(refuse(format!(
                "{at} ms is outside segment {} ({start_ms}-{end_ms} ms)",
                row.id
            )));
        }
        None => match word_cut.and_then(|index| words.get(index)) {
            Some(word) => word.start_ms.clamp(start_ms, end_ms),
            None => interpolate(start_ms, end_ms, char_offset, char_count),
        },
    };

    let (head_timings, tail_timings) = match word_cut {
        Some(index) => (words[..index].to_vec(), words[index..].to_vec()),
        None => words
            .iter()
            .cloned()
            .partition(|word| word.start_ms < at_ms),
    };
    let part = |start_ms, end_ms, text: &str, words: Vec<TimedWord>| SegmentInput {
        segment: TranscriptSegment {
            start_ms,
            end_ms,
            text: text.to_owned(),
            words,
        },
        speaker: row.speaker.clone(),
    };
    Ok((
        part(start_ms, at_ms, head, head_timings),
        part(at_ms, end_ms, tail, tail_timings),
    ))
}

/// The time `numerator / denominator` of the way from `start_ms` to `end_ms`.
fn interpolate(start_ms: u64, end_ms: u64, numerator: usize, denominator: usize) -> u64 {
    let span = u128::from(end_ms.saturating_sub(start_ms));
    // usize always fits in u128; the quotient is at most `span`, so it fits back in u64.
    let offset = span * numerator as u128 / (denominator.max(1) as u128);
    start_ms
        .saturating_add(u64::try_from(offset).unwrap_or(u64::MAX))
        .min(end_ms)
}

/// The merge of `first` and `second` (see [`Transcripts::merge`]), given `follower`, the live
/// segment right after `first`; or why the two cannot be merged.
fn merge_segments(
    first: &TranscriptSegmentRow,
    second: &TranscriptSegmentRow,
    follower: Option<&SegmentId>,
) -> Result<SegmentInput, StoreError> {
    let refuse = |problem: String| StoreError::Invalid {
        field: "segments to merge",
        problem,
    };
    if first.id == second.id {
        return Err(refuse(format!(
            "segment {} cannot be merged with itself",
            first.id
        )));
    }
    if first.lecture_id != second.lecture_id {
        return Err(refuse(format!(
            "segment {} belongs to lecture {} and segment {} to lecture {}; only segments of \
             one lecture can be merged",
            first.id, first.lecture_id, second.id, second.lecture_id
        )));
    }
    if follower != Some(&second.id) {
        return Err(refuse(format!(
            "segment {} does not directly follow segment {} in the transcript; only neighbouring \
             segments can be merged, the earlier one first",
            second.id, first.id
        )));
    }
    let text = [first.segment.text.trim(), second.segment.text.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let (a, b) = (&first.segment.words, &second.segment.words);
    let words = if a.is_empty() || b.is_empty() {
        Vec::new()
    } else {
        [a.as_slice(), b.as_slice()].concat()
    };
    Ok(SegmentInput {
        segment: TranscriptSegment {
            start_ms: first.segment.start_ms,
            end_ms: first.segment.end_ms.max(second.segment.end_ms),
            text,
            words,
        },
        speaker: first.speaker.clone().or_else(|| second.speaker.clone()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::lectures::tests::store_with_lecture;
    use crate::store::test_support::{count_rows, row_change_seq};
    use crate::store::{Lecture, NewLecture};

    fn segment(start_ms: u64, end_ms: u64, text: &str) -> TranscriptSegment {
        TranscriptSegment::new(start_ms, end_ms, text)
    }

    fn with_words(segment: TranscriptSegment, words: Vec<TimedWord>) -> TranscriptSegment {
        TranscriptSegment { words, ..segment }
    }

    /// A segment's times and text, without its word timings.
    fn timing(segment: &TranscriptSegment) -> (u64, u64, &str) {
        (segment.start_ms, segment.end_ms, &segment.text)
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
                segment: with_words(segment(2000, 2900, "Cells divide."), words.clone()),
                speaker: Some("teacher".into()),
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
        assert!(rows[0].segment.words.is_empty());
        assert_eq!(rows[1].speaker.as_deref(), Some("teacher"));
        assert_eq!(rows[1].segment.words, words);
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

    fn word(start_ms: u64, end_ms: u64, text: &str) -> TimedWord {
        TimedWord {
            start_ms,
            end_ms,
            text: text.into(),
        }
    }

    /// A row's id, text, `deleted_at` and `change_seq`.
    type SyncedRow = (String, String, Option<i64>, i64);

    /// Every row of the table, tombstones included, with its sync columns, and the change
    /// counter: equal snapshots mean nothing was written.
    fn snapshot(store: &Store) -> (Vec<SyncedRow>, i64) {
        let rows = store
            .conn
            .prepare(
                "SELECT id, text, deleted_at, change_seq FROM transcript_segments ORDER BY rowid",
            )
            .unwrap()
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        (rows, store.change_seq().unwrap())
    }

    fn is_tombstone(store: &Store, id: &SegmentId) -> bool {
        store
            .conn
            .query_row(
                "SELECT deleted_at IS NOT NULL FROM transcript_segments WHERE id = ?1",
                [id],
                |row| row.get(0),
            )
            .unwrap()
    }

    /// A lecture with three segments; the middle one has a speaker and word timings.
    fn store_with_transcript() -> (tempfile::TempDir, Store, Lecture, Vec<TranscriptSegmentRow>) {
        let (dir, store, lecture) = store_with_lecture();
        let inputs = vec![
            segment(0, 2_000, "Good morning.").into(),
            SegmentInput {
                segment: with_words(
                    segment(2_000, 5_000, "Cells divide by mitosis."),
                    vec![
                        word(2_000, 2_500, "Cells"),
                        word(2_600, 3_200, "divide"),
                        word(3_300, 3_800, "by"),
                        word(3_900, 5_000, "mitosis."),
                    ],
                ),
                speaker: Some("teacher".into()),
            },
            segment(5_000, 9_000, "Any questions?").into(),
        ];
        store.transcripts().replace(&lecture.id, &inputs).unwrap();
        let rows = store.transcripts().list(&lecture.id).unwrap();
        (dir, store, lecture, rows)
    }

    fn assert_invalid(err: StoreError, field: &str, needle: &str) {
        match &err {
            StoreError::Invalid { field: f, problem }
                if *f == field && problem.contains(needle) => {}
            other => panic!("expected invalid {field} mentioning {needle:?}, got {other:?}"),
        }
    }

    #[test]
    fn set_speakers_changes_only_live_rows_of_the_lecture_that_differ() {
        let (_dir, store, lecture, rows) = store_with_transcript();
        let seq_of = |id: &SegmentId| row_change_seq(&store, "transcript_segments", id.as_str());
        let unchanged_seq = seq_of(&rows[1].id);
        // Split the last segment away: its old id is a tombstone now.
        let (_a, _b) = store.transcripts().split(&rows[2].id, 4, None).unwrap();
        let changed = store
            .transcripts()
            .set_speakers(
                &lecture.id,
                &[
                    (rows[0].id.clone(), Some("Speaker 1".into())),
                    (rows[1].id.clone(), Some("teacher".into())), // already so
                    (rows[2].id.clone(), Some("Speaker 2".into())), // deleted
                ],
            )
            .unwrap();
        assert_eq!(changed, 1);
        let listed = store.transcripts().list(&lecture.id).unwrap();
        assert_eq!(listed[0].speaker.as_deref(), Some("Speaker 1"));
        assert_eq!(listed[1].speaker.as_deref(), Some("teacher"));
        assert!(listed[2..].iter().all(|row| row.speaker.is_none()));
        assert_eq!(seq_of(&rows[1].id), unchanged_seq);
        assert_eq!(seq_of(&rows[0].id), store.change_seq().unwrap());

        // Clearing works, and an id of another lecture is never touched.
        let cleared = store
            .transcripts()
            .set_speakers(&lecture.id, &[(rows[0].id.clone(), None)])
            .unwrap();
        assert_eq!(cleared, 1);
        let other = LectureId::from("another-lecture".to_string());
        let none = store
            .transcripts()
            .set_speakers(&other, &[(rows[1].id.clone(), None)])
            .unwrap();
        assert_eq!(none, 0);
        assert_eq!(
            store.transcripts().list(&lecture.id).unwrap()[0].speaker,
            None
        );
    }

    #[test]
    fn get_tells_unknown_from_deleted_segments() {
        let (_dir, store, lecture, rows) = store_with_transcript();
        assert_eq!(store.transcripts().get(&rows[1].id).unwrap(), rows[1]);

        let ghost = SegmentId::from("ghost".to_string());
        let err = store.transcripts().get(&ghost).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    entity: "transcript segment",
                    ..
                }
            ),
            "{err:?}"
        );

        store
            .transcripts()
            .replace(&lecture.id, &[segment(0, 1, "new").into()])
            .unwrap();
        let err = store.transcripts().get(&rows[1].id).unwrap_err();
        assert_invalid(err, "transcript segment", "was deleted");
    }

    #[test]
    fn editing_text_keeps_id_times_and_speaker_and_stamps_the_row() {
        let (_dir, store, lecture, rows) = store_with_transcript();
        let target = &rows[1];
        let seq_before = row_change_seq(&store, "transcript_segments", target.id.as_str());
        let others_before = [
            row_change_seq(&store, "transcript_segments", rows[0].id.as_str()),
            row_change_seq(&store, "transcript_segments", rows[2].id.as_str()),
        ];

        // Same number of words (a typo fix): the timings stay and take the new words.
        let edited = store
            .transcripts()
            .edit_text(&target.id, "  Cells divide via mitosis!  ")
            .unwrap();
        assert_eq!(edited.id, target.id);
        assert_eq!(edited.segment.text, "Cells divide via mitosis!");
        assert_eq!(edited.segment.start_ms, 2_000);
        assert_eq!(edited.segment.end_ms, 5_000);
        assert_eq!(edited.speaker.as_deref(), Some("teacher"));
        let words = &edited.segment.words;
        assert_eq!(
            words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            ["Cells", "divide", "via", "mitosis!"]
        );
        assert_eq!(words[2].start_ms, 3_300, "timings kept");
        assert_eq!(store.transcripts().get(&target.id).unwrap(), edited);
        assert!(row_change_seq(&store, "transcript_segments", target.id.as_str()) > seq_before);
        assert_eq!(
            [
                row_change_seq(&store, "transcript_segments", rows[0].id.as_str()),
                row_change_seq(&store, "transcript_segments", rows[2].id.as_str()),
            ],
            others_before,
            "the neighbours are untouched"
        );

        // A different number of words: the timings no longer describe the text.
        let edited = store
            .transcripts()
            .edit_text(&target.id, "Cells split.")
            .unwrap();
        assert!(edited.segment.words.is_empty());
        assert!(
            store
                .transcripts()
                .get(&target.id)
                .unwrap()
                .segment
                .words
                .is_empty()
        );
        assert_eq!(
            count_rows(&store, "transcript_segments"),
            3,
            "edited in place"
        );
        assert_eq!(store.transcripts().list(&lecture.id).unwrap().len(), 3);

        // Setting the same text again writes nothing.
        let before = snapshot(&store);
        store
            .transcripts()
            .edit_text(&target.id, "Cells split.")
            .unwrap();
        assert_eq!(snapshot(&store), before);
    }

    #[test]
    fn refused_edits_change_nothing() {
        let (_dir, store, lecture, rows) = store_with_transcript();
        let before = snapshot(&store);

        let err = store
            .transcripts()
            .edit_text(&rows[0].id, " \n\t ")
            .unwrap_err();
        assert_invalid(err, "segment text", "must not be empty");
        let ghost = SegmentId::from("ghost".to_string());
        let err = store.transcripts().edit_text(&ghost, "text").unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
        assert_eq!(snapshot(&store), before);

        store
            .transcripts()
            .replace(&lecture.id, &[segment(0, 1, "new").into()])
            .unwrap();
        let before = snapshot(&store);
        let err = store
            .transcripts()
            .edit_text(&rows[0].id, "revived?")
            .unwrap_err();
        assert_invalid(err, "transcript segment", "was deleted");
        assert_eq!(snapshot(&store), before);
    }

    #[test]
    fn split_at_a_given_time_tombstones_the_original() {
        let (_dir, store, lecture, rows) = store_with_transcript();
        let target = &rows[2]; // "Any questions?" 5000-9000, no words
        let seq_before = store.change_seq().unwrap();

        let (first, second) = store
            .transcripts()
            .split(&target.id, 4, Some(6_000))
            .unwrap();
        assert_eq!(first.segment, segment(5_000, 6_000, "Any"));
        assert_eq!(second.segment, segment(6_000, 9_000, "questions?"));
        assert_ne!(first.id, target.id);
        assert_ne!(second.id, target.id);
        assert_ne!(first.id, second.id);
        assert!(first.lecture_id == lecture.id && second.lecture_id == lecture.id);

        assert!(is_tombstone(&store, &target.id));
        assert_eq!(
            count_rows(&store, "transcript_segments"),
            5,
            "1 tombstone + 4 live"
        );
        for id in [&target.id, &first.id, &second.id] {
            assert!(row_change_seq(&store, "transcript_segments", id.as_str()) > seq_before);
        }
        let texts: Vec<String> = store
            .transcripts()
            .list(&lecture.id)
            .unwrap()
            .into_iter()
            .map(|r| r.segment.text)
            .collect();
        assert_eq!(
            texts,
            [
                "Good morning.",
                "Cells divide by mitosis.",
                "Any",
                "questions?"
            ]
        );
    }

    #[test]
    fn split_without_a_time_uses_the_word_timings() {
        let (_dir, store, _lecture, rows) = store_with_transcript();
        // "Cells divide by mitosis." cut before "by" (character 13).
        let (first, second) = store.transcripts().split(&rows[1].id, 13, None).unwrap();
        assert_eq!(
            first.segment,
            with_words(
                segment(2_000, 3_300, "Cells divide"),
                vec![word(2_000, 2_500, "Cells"), word(2_600, 3_200, "divide")]
            )
        );
        assert_eq!(
            second.segment,
            with_words(
                segment(3_300, 5_000, "by mitosis."),
                vec![word(3_300, 3_800, "by"), word(3_900, 5_000, "mitosis.")]
            )
        );
        assert_eq!(first.speaker.as_deref(), Some("teacher"));
        assert_eq!(second.speaker.as_deref(), Some("teacher"));
    }

    #[test]
    fn split_inside_a_word_or_without_timings_interpolates_by_characters() {
        let (_dir, store, lecture) = store_with_lecture();
        store
            .transcripts()
            .replace(
                &lecture.id,
                &[segment(1_000, 2_000, "Grüße aus Zürich").into()],
            )
            .unwrap();
        let id = store.transcripts().list(&lecture.id).unwrap()[0].id.clone();
        // Characters, not bytes: "Grüße " is 6 characters (8 bytes); 16 characters in all.
        let (first, second) = store.transcripts().split(&id, 6, None).unwrap();
        assert_eq!(first.segment, segment(1_000, 1_375, "Grüße"));
        assert_eq!(second.segment, segment(1_375, 2_000, "aus Zürich"));

        // With timings but a cut inside a word, the timings go by time.
        let (_dir, store, _lecture, rows) = store_with_transcript();
        let (first, second) = store.transcripts().split(&rows[1].id, 8, None).unwrap();
        // 2000 + 3000 * 8 / 24 = 3000
        assert_eq!(timing(&first.segment), (2_000, 3_000, "Cells di"));
        assert_eq!(timing(&second.segment), (3_000, 5_000, "vide by mitosis."));
        assert_eq!(
            first.segment.words.len(),
            2,
            "Cells and divide start before 3000"
        );
        assert_eq!(second.segment.words.len(), 2);
    }

    #[test]
    fn refused_splits_change_nothing() {
        let (_dir, store, lecture, rows) = store_with_transcript();
        let id = &rows[0].id; // "Good morning." 0-2000, 13 characters
        let before = snapshot(&store);

        for offset in [0, 13, 14, 1_000] {
            let err = store.transcripts().split(id, offset, None).unwrap_err();
            assert_invalid(err, "split point", "is outside the text");
        }
        let err = store.transcripts().split(id, 4, Some(2_001)).unwrap_err();
        assert_invalid(err, "split point", "2001 ms is outside segment");
        let ghost = SegmentId::from("ghost".to_string());
        assert!(matches!(
            store.transcripts().split(&ghost, 4, None).unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert_eq!(snapshot(&store), before);

        // A cut that leaves only white space on one side.
        store
            .transcripts()
            .replace(&lecture.id, &[segment(0, 1_000, "hello   ").into()])
            .unwrap();
        let padded = store.transcripts().list(&lecture.id).unwrap()[0].id.clone();
        let before = snapshot(&store);
        let err = store.transcripts().split(&padded, 6, None).unwrap_err();
        assert_invalid(err, "split point", "would leave a part with no text");
        let err = store.transcripts().split(id, 4, None).unwrap_err();
        assert_invalid(err, "transcript segment", "was deleted");
        assert_eq!(snapshot(&store), before);
    }

    #[test]
    fn merging_neighbours_joins_text_times_and_words() {
        let (_dir, store, lecture, rows) = store_with_transcript();
        let seq_before = store.change_seq().unwrap();

        let merged = store.transcripts().merge(&rows[1].id, &rows[2].id).unwrap();
        assert_eq!(
            merged.segment,
            segment(2_000, 9_000, "Cells divide by mitosis. Any questions?")
        );
        assert_eq!(merged.speaker.as_deref(), Some("teacher"));
        assert!(
            merged.segment.words.is_empty(),
            "only one side had word timings"
        );
        assert!(is_tombstone(&store, &rows[1].id));
        assert!(is_tombstone(&store, &rows[2].id));
        assert!(row_change_seq(&store, "transcript_segments", merged.id.as_str()) > seq_before);
        assert_eq!(
            count_rows(&store, "transcript_segments"),
            4,
            "2 tombstones + 2 live"
        );
        assert_eq!(
            store.transcripts().list(&lecture.id).unwrap(),
            vec![rows[0].clone(), merged.clone()]
        );

        // Splitting and merging back gives the text, times and words of the original.
        let (_dir, store, _lecture, rows) = store_with_transcript();
        let (first, second) = store.transcripts().split(&rows[1].id, 13, None).unwrap();
        let merged = store.transcripts().merge(&first.id, &second.id).unwrap();
        assert_eq!(merged.segment, rows[1].segment, "text, times and words");
        assert!(!merged.segment.words.is_empty());
        assert_eq!(merged.speaker, rows[1].speaker);
    }

    #[test]
    fn refused_merges_change_nothing() {
        let (_dir, store, lecture, rows) = store_with_transcript();
        let other_lecture = store
            .lectures()
            .create(&NewLecture {
                class_id: lecture.class_id.clone(),
                title: "Tissues".into(),
                media_path: "media/cd/cdef.m4a".into(),
                media_hash: "cdef".into(),
            })
            .unwrap();
        store
            .transcripts()
            .replace(
                &other_lecture.id,
                &[segment(9_000, 9_500, "Elsewhere.").into()],
            )
            .unwrap();
        let foreign = store.transcripts().list(&other_lecture.id).unwrap()[0]
            .id
            .clone();
        let before = snapshot(&store);
        let merge = |a: &SegmentId, b: &SegmentId| store.transcripts().merge(a, b).unwrap_err();

        assert_invalid(
            merge(&rows[0].id, &rows[2].id),
            "segments to merge",
            "does not directly follow",
        );
        assert_invalid(
            merge(&rows[1].id, &rows[0].id),
            "segments to merge",
            "does not directly follow",
        );
        assert_invalid(
            merge(&rows[1].id, &rows[1].id),
            "segments to merge",
            "with itself",
        );
        assert_invalid(
            merge(&rows[2].id, &foreign),
            "segments to merge",
            "belongs to lecture",
        );
        let ghost = SegmentId::from("ghost".to_string());
        assert!(matches!(
            merge(&rows[0].id, &ghost),
            StoreError::NotFound { .. }
        ));
        assert_eq!(snapshot(&store), before);

        let (first, _second) = store.transcripts().split(&rows[0].id, 5, None).unwrap();
        let before = snapshot(&store);
        assert_invalid(
            merge(&rows[0].id, &rows[1].id),
            "transcript segment",
            "was deleted",
        );
        assert_invalid(
            merge(&first.id, &rows[1].id),
            "segments to merge",
            "does not directly follow",
        );
        assert_eq!(snapshot(&store), before);
    }
}
