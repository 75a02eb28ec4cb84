//! The storage of the durable job queue (transcribe, index, generate, ...): enqueue, claim,
//! progress and checkpoints, finish, fail with backoff, cancel. The worker loop that runs jobs
//! lives elsewhere; everything here is one transaction per call, so two workers (even in two
//! processes) never claim the same job.
//!
//! Job timing uses the caller's clock where it decides what runs (`claim_next(now)`), so a
//! runner and its tests control it; bookkeeping timestamps use the system clock.

use std::time::Duration;

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::Value;

use super::transcripts::{SegmentInput, insert_segment};
use super::{
    LectureId, Store, StoreError, UnixMillis, json_column, non_empty, now_ms, to_json,
    tombstone_live,
};

id_type!(
    /// The id of a [`Job`].
    JobId
);

text_enum!(
    /// The life cycle of a job: `queued` → `running` → `done`, or back to `queued` for a retry
    /// after a failure, or `failed` when retries are used up; `cancelled` from queued or running.
    JobStatus {
        /// Waiting for `next_run_at`.
        Queued => "queued",
        /// Claimed by a worker.
        Running => "running",
        /// Finished successfully.
        Done => "done",
        /// Failed on its last allowed attempt.
        Failed => "failed",
        /// Stopped by the user.
        Cancelled => "cancelled",
    }
);

/// The delay before the first retry; each later retry doubles it, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(10);
/// The longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);

/// A stored job.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Job {
    /// Local id.
    pub id: JobId,
    /// What to do ("transcribe", "index", ...); the runner maps it to code.
    pub kind: String,
    /// The job's arguments.
    pub payload: Value,
    /// Where it is in its life cycle.
    pub status: JobStatus,
    /// Higher runs first.
    pub priority: i64,
    /// Fraction done, 0 to 1.
    pub progress: f64,
    /// Seconds of media processed so far, for jobs that work through audio.
    pub progress_seconds: Option<f64>,
    /// What the job is doing now, in words ("chunk 3 of 12").
    pub progress_message: Option<String>,
    /// How many times it has been claimed.
    pub attempts: u32,
    /// Claims allowed before a failure is final.
    pub max_attempts: u32,
    /// Not claimed before this time.
    pub next_run_at: UnixMillis,
    /// The last failure's message.
    pub error: Option<String>,
    /// Where to resume, as saved by the job.
    pub checkpoint: Option<Value>,
    /// At most one queued or running job has a given key.
    pub dedupe_key: Option<String>,
    /// When it was enqueued.
    pub created_at: UnixMillis,
    /// When it last changed.
    pub updated_at: UnixMillis,
    /// When the latest attempt started.
    pub started_at: Option<UnixMillis>,
    /// When it reached done, failed or cancelled.
    pub finished_at: Option<UnixMillis>,
}

/// What [`Jobs::enqueue`] needs; [`NewJob::new`] fills in the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What to do.
    pub kind: String,
    /// The job's arguments.
    pub payload: Value,
    /// Higher runs first (default 0).
    pub priority: i64,
    /// Claims allowed before a failure is final (default 3, at least 1).
    pub max_attempts: u32,
    /// Not before this time (default: now).
    pub run_at: Option<UnixMillis>,
    /// Refuse a second queued or running job with this key (default: none).
    pub dedupe_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` with `payload` and default priority, attempts and timing.
    pub fn new(kind: impl Into<String>, payload: Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            priority: 0,
            max_attempts: 3,
            run_at: None,
            dedupe_key: None,
        }
    }
}

/// The result of [`Jobs::enqueue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnqueueOutcome {
    /// A new job was queued.
    Created(JobId),
    /// A queued or running job with the same dedupe key already exists; nothing was added.
    AlreadyActive(JobId),
}

impl EnqueueOutcome {
    /// The id of the job that will do the work.
    pub fn id(&self) -> &JobId {
        match self {
            Self::Created(id) | Self::AlreadyActive(id) => id,
        }
    }
}

/// How far a running job has got, as reported to [`Jobs::update_progress`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobProgress {
    /// Fraction done, 0 to 1.
    pub fraction: f64,
    /// Seconds of media processed so far, when the job works through audio.
    pub seconds: Option<f64>,
    /// What the job is doing now, in words.
    pub message: Option<String>,
}

impl JobProgress {
    /// Progress with only a fraction (0 to 1).
    pub fn fraction(fraction: f64) -> Self {
        Self {
            fraction,
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<(), StoreError> {
        if !(0.0..=1.0).contains(&self.fraction) {
            return Err(StoreError::Invalid {
                field: "progress",
                problem: format!("{} is not between 0 and 1", self.fraction),
            });
        }
        if self.seconds.is_some_and(|s| !(s >= 0.0 && s.is_finite())) {
            return Err(StoreError::Invalid {
                field: "progress seconds",
                problem: format!("{:?} is not a number of seconds", self.seconds),
            });
        }
        Ok(())
    }
}

/// The result of [`Jobs::fail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Queued again; it will not be claimed before this time.
    RetryAt(UnixMillis),
    /// No attempts left: the job is `failed`.
    Failed,
}

const COLUMNS: &str = "id, kind, payload_json, status, priority, progress, progress_seconds, \
                       progress_message, attempts, max_attempts, next_run_at, error, \
                       checkpoint_json, dedupe_key, created_at, updated_at, started_at, \
                       finished_at";

impl Job {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            kind: row.get("kind")?,
            payload: json_column(row, "payload_json")?.unwrap_or(Value::Null),
            status: row.get("status")?,
            priority: row.get("priority")?,
            progress: row.get("progress")?,
            progress_seconds: row.get("progress_seconds")?,
            progress_message: row.get("progress_message")?,
            attempts: row.get("attempts")?,
            max_attempts: row.get("max_attempts")?,
            next_run_at: row.get("next_run_at")?,
            error: row.get("error")?,
            checkpoint: json_column(row, "checkpoint_json")?,
            dedupe_key: row.get("dedupe_key")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
            started_at: row.get("started_at")?,
            finished_at: row.get("finished_at")?,
        })
    }
}

/// The job repository, borrowed from [`Store::jobs`].
pub struct Jobs<'s> {
    store: &'s Store,
}

impl<'s> Jobs<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Queues a job, unless a queued or running job has the same dedupe key.
    pub fn enqueue(&self, new: &NewJob) -> Result<EnqueueOutcome, StoreError> {
        let kind = non_empty("job kind", &new.kind)?;
        if new.max_attempts == 0 {
            return Err(StoreError::Invalid {
                field: "max_attempts",
                problem: "must be at least 1".into(),
            });
        }
        self.store.write("enqueue a job", |tx| {
            let now = now_ms();
            let id = JobId::generate();
            // DO NOTHING only absorbs uniqueness conflicts (the active dedupe key), not CHECKs.
            let inserted = tx.execute(
                "INSERT INTO jobs (id, kind, payload_json, priority, max_attempts, next_run_at,
                                   dedupe_key, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT DO NOTHING",
                params![
                    id,
                    kind,
                    to_json(&new.payload)?,
                    new.priority,
                    new.max_attempts,
                    new.run_at.unwrap_or(now),
                    new.dedupe_key,
                    now
                ],
            )?;
            if inserted == 1 {
                return Ok(EnqueueOutcome::Created(id));
            }
            tx.query_row(
                "SELECT id FROM jobs WHERE dedupe_key = ?1 AND status IN ('queued', 'running')",
                [&new.dedupe_key],
                |row| row.get(0),
            )
            .map(EnqueueOutcome::AlreadyActive)
        })
    }

    /// One job.
    pub fn get(&self, id: &JobId) -> Result<Job, StoreError> {
        self.store
            .read("read a job", |conn| {
                conn.query_row(
                    &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
                    [id],
                    Job::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| StoreError::NotFound {
                entity: "job",
                id: id.to_string(),
            })
    }

    /// Jobs in enqueue order, all of them or only those with `status`.
    pub fn list(&self, status: Option<JobStatus>) -> Result<Vec<Job>, StoreError> {
        self.store.read("list jobs", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM jobs WHERE ?1 IS NULL OR status = ?1 ORDER BY created_at, id"
            ))?
            .query_map([status], Job::from_row)?
            .collect()
        })
    }

    /// Claims the most urgent queued job that is due at `now` (highest priority, then earliest
    /// `next_run_at`, then oldest): it becomes `running` with one more attempt counted.
    pub fn claim_next(&self, now: UnixMillis) -> Result<Option<Job>, StoreError> {
        self.claim(now, None)
    }

    /// [`Jobs::claim_next`] among the jobs whose kind is one of `kinds` only (the kinds one
    /// runner lane handles).
    pub fn claim_next_of(
        &self,
        now: UnixMillis,
        kinds: &[&str],
    ) -> Result<Option<Job>, StoreError> {
        self.claim(now, Some(kinds))
    }

    fn claim(&self, now: UnixMillis, kinds: Option<&[&str]>) -> Result<Option<Job>, StoreError> {
        self.store.write("claim a job", |tx| {
            let kinds = kinds.map(to_json).transpose()?;
            tx.query_row(
                &format!(
                    "UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?1,
                                     updated_at = ?1
                     WHERE id = (SELECT id FROM jobs
                                 WHERE status = 'queued' AND next_run_at <= ?1
                                   AND (?2 IS NULL OR kind IN (SELECT value FROM json_each(?2)))
                                 ORDER BY priority DESC, next_run_at, created_at, id LIMIT 1)
                     RETURNING {COLUMNS}"
                ),
                params![now, kinds],
                Job::from_row,
            )
            .optional()
        })
    }

    /// When the next queued job of one of `kinds` becomes due (it may be in the past), or `None`
    /// when none is queued. A runner sleeps until then.
    pub fn next_due_at(&self, kinds: &[&str]) -> Result<Option<UnixMillis>, StoreError> {
        self.store.read("find the next due job", |conn| {
            let kinds = to_json(&kinds)?;
            conn.query_row(
                "SELECT min(next_run_at) FROM jobs
                 WHERE status = 'queued' AND kind IN (SELECT value FROM json_each(?1))",
                [kinds],
                |row| row.get(0),
            )
        })
    }

    /// Records the progress of a running job and, when given, a new checkpoint to resume from.
    /// Fails with [`StoreError::JobState`] once the job is no longer running, which is how a
    /// worker learns that its job was cancelled.
    pub fn update_progress(
        &self,
        id: &JobId,
        progress: &JobProgress,
        checkpoint: Option<&Value>,
    ) -> Result<(), StoreError> {
        progress.validate()?;
        self.guarded(id, "update the progress of", |tx| {
            let checkpoint = checkpoint.map(to_json).transpose()?;
            write_progress(tx, id, progress, checkpoint.as_deref())
        })
    }

    /// Stores the transcript segments one step of a running transcription job produced
    /// together with the job's progress and its new checkpoint, in one transaction: after a
    /// crash either both are stored or neither, so a resumed job never duplicates or loses
    /// segments. With `replaces_transcript` (the first step of a re-transcription) the
    /// lecture's older transcript is turned into tombstones in the same transaction, so it stays
    /// until the new one has its first segments. Fails with [`StoreError::JobState`] (storing
    /// nothing) once the job is no longer running.
    pub fn checkpoint_with_segments(
        &self,
        id: &JobId,
        progress: &JobProgress,
        checkpoint: &Value,
        lecture_id: &LectureId,
        segments: &[SegmentInput],
        replaces_transcript: bool,
    ) -> Result<(), StoreError> {
        progress.validate()?;
        self.guarded(id, "store transcript segments of", |tx| {
            let checkpoint = to_json(checkpoint)?;
            if write_progress(tx, id, progress, Some(&checkpoint))?.is_none() {
                return Ok(None);
            }
            let now = now_ms();
            if replaces_transcript {
                tombstone_live(tx, "transcript_segments", "lecture_id", lecture_id, now)?;
            }
            for segment in segments {
                insert_segment(tx, lecture_id, segment, now)?;
            }
            Ok(Some(()))
        })
    }

    /// Marks a running job done.
    pub fn finish(&self, id: &JobId) -> Result<(), StoreError> {
        self.guarded(id, "finish", |tx| {
            let now = now_ms();
            tx.execute(
                "UPDATE jobs SET status = 'done', progress = 1, error = NULL, finished_at = ?2,
                                 updated_at = ?2
                 WHERE id = ?1 AND status = 'running'",
                params![id, now],
            )
            .map(|changed| (changed == 1).then_some(()))
        })
    }

    /// Records a failure of a running job. With attempts left it is queued again after an
    /// exponential backoff (10 s, 20 s, 40 s, ... up to an hour), keeping its checkpoint;
    /// otherwise it is `failed` for good.
    pub fn fail(&self, id: &JobId, error: &str) -> Result<FailOutcome, StoreError> {
        self.record_failure(id, error, true)
    }

    /// Records a failure that a retry cannot fix (a damaged file, a missing lecture): the
    /// running job is `failed` at once, whatever attempts it has left.
    pub fn fail_permanently(&self, id: &JobId, error: &str) -> Result<(), StoreError> {
        self.record_failure(id, error, false).map(|_| ())
    }

    fn record_failure(
        &self,
        id: &JobId,
        error: &str,
        retry: bool,
    ) -> Result<FailOutcome, StoreError> {
        self.guarded(id, "fail", |tx| {
            let Some((attempts, max_attempts)) = tx
                .query_row(
                    "SELECT attempts, max_attempts FROM jobs WHERE id = ?1 AND status = 'running'",
                    [id],
                    |row| Ok((row.get::<_, u32>(0)?, row.get::<_, u32>(1)?)),
                )
                .optional()?
            else {
                return Ok(None);
            };
            let now = now_ms();
            if !retry || attempts >= max_attempts {
                tx.execute(
                    "UPDATE jobs SET status = 'failed', error = ?2, finished_at = ?3, updated_at = ?3
                     WHERE id = ?1",
                    params![id, error, now],
                )?;
                return Ok(Some(FailOutcome::Failed));
            }
            let retry_at = now.saturating_add(backoff_ms(attempts));
            tx.execute(
                "UPDATE jobs SET status = 'queued', error = ?2, next_run_at = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![id, error, retry_at, now],
            )?;
            Ok(Some(FailOutcome::RetryAt(retry_at)))
        })
    }

    /// Queues a failed or cancelled job again, now, with its attempts reset and its checkpoint
    /// kept (so a long job resumes where it stopped). Refused with [`StoreError::JobState`] for a
    /// job that is queued, running or done.
    pub fn retry(&self, id: &JobId) -> Result<(), StoreError> {
        self.guarded(id, "retry", |tx| {
            let now = now_ms();
            tx.execute(
                "UPDATE jobs SET status = 'queued', attempts = 0, next_run_at = ?2,
                                 finished_at = NULL, updated_at = ?2
                 WHERE id = ?1 AND status IN ('failed', 'cancelled')",
                params![id, now],
            )
            .map(|changed| (changed == 1).then_some(()))
        })
    }

    /// Gives a running job back to the queue without counting the attempt, keeping its
    /// checkpoint: for a runner that stops cleanly (the app quits) in the middle of a job.
    pub fn release(&self, id: &JobId) -> Result<(), StoreError> {
        self.guarded(id, "release", |tx| {
            tx.execute(
                "UPDATE jobs SET status = 'queued', attempts = max(attempts - 1, 0),
                                 next_run_at = ?2, updated_at = ?2
                 WHERE id = ?1 AND status = 'running'",
                params![id, now_ms()],
            )
            .map(|changed| (changed == 1).then_some(()))
        })
    }

    /// Cancels a queued or running job. A running job's worker notices at its next
    /// [`Jobs::update_progress`].
    pub fn cancel(&self, id: &JobId) -> Result<(), StoreError> {
        self.guarded(id, "cancel", |tx| {
            let now = now_ms();
            tx.execute(
                "UPDATE jobs SET status = 'cancelled', finished_at = ?2, updated_at = ?2
                 WHERE id = ?1 AND status IN ('queued', 'running')",
                params![id, now],
            )
            .map(|changed| (changed == 1).then_some(()))
        })
    }

    /// Puts jobs left `running` by a process that stopped (crash, power cut) back in the queue,
    /// or fails them if that was their last attempt, so a crash-looping job cannot run forever.
    /// Call it at start-up, before any worker claims jobs. Returns how many jobs it touched.
    pub fn recover_interrupted(&self) -> Result<usize, StoreError> {
        self.store.write("recover interrupted jobs", |tx| {
            let now = now_ms();
            tx.execute(
                "UPDATE jobs SET
                     status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                     finished_at = CASE WHEN attempts >= max_attempts THEN ?1 END,
                     error = 'interrupted: the app stopped while this job was running',
                     next_run_at = ?1, updated_at = ?1
                 WHERE status = 'running'",
                [now],
            )
        })
    }

    /// Runs a state-guarded update: `body` returns `None` when the job was not in a state that
    /// allows `operation`, which becomes [`StoreError::JobState`] (or `NotFound`).
    fn guarded<T>(
        &self,
        id: &JobId,
        operation: &'static str,
        body: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<Option<T>>,
    ) -> Result<T, StoreError> {
        let outcome = self.store.write(operation, |tx| match body(tx)? {
            Some(value) => Ok(Ok(value)),
            None => tx
                .query_row("SELECT status FROM jobs WHERE id = ?1", [id], |row| {
                    row.get(0)
                })
                .optional()
                .map(Err),
        })?;
        outcome.map_err(|status: Option<JobStatus>| match status {
            Some(status) => StoreError::JobState {
                id: id.clone(),
                status,
                operation,
            },
            None => StoreError::NotFound {
                entity: "job",
                id: id.to_string(),
            },
        })
    }
}

/// Writes the progress (and checkpoint, when given) of a running job; `None` when it is not
/// running.
fn write_progress(
    tx: &Transaction<'_>,
    id: &JobId,
    progress: &JobProgress,
    checkpoint: Option<&str>,
) -> rusqlite::Result<Option<()>> {
    tx.execute(
        "UPDATE jobs SET progress = ?2, progress_seconds = ?3, progress_message = ?4,
                         checkpoint_json = coalesce(?5, checkpoint_json), updated_at = ?6
         WHERE id = ?1 AND status = 'running'",
        params![
            id,
            progress.fraction,
            progress.seconds,
            progress.message,
            checkpoint,
            now_ms()
        ],
    )
    .map(|changed| (changed == 1).then_some(()))
}

/// The wait before retry number `attempts` (1 after the first failure).
fn backoff_ms(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(16);
    let delay = FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF);
    i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::test_support::{count_rows, temp_store};

    fn enqueue(store: &Store, job: NewJob) -> JobId {
        match store.jobs().enqueue(&job).unwrap() {
            EnqueueOutcome::Created(id) => id,
            other => panic!("expected a new job, got {other:?}"),
        }
    }

    #[test]
    fn claim_order_is_priority_then_due_time_then_age() {
        let (_dir, store) = temp_store();
        let now = now_ms();
        let low = enqueue(&store, NewJob::new("index", json!({"n": 1})));
        let high_later = enqueue(
            &store,
            NewJob {
                priority: 5,
                run_at: Some(now - 10),
                ..NewJob::new("transcribe", json!(2))
            },
        );
        let high_sooner = enqueue(
            &store,
            NewJob {
                priority: 5,
                run_at: Some(now - 20),
                ..NewJob::new("transcribe", json!(3))
            },
        );
        let future = enqueue(
            &store,
            NewJob {
                priority: 9,
                run_at: Some(now + 60_000),
                ..NewJob::new("quiz", json!(4))
            },
        );

        let claim = |at| store.jobs().claim_next(at).unwrap().map(|job| job.id);
        let later = now + 1_000;
        assert_eq!(claim(later), Some(high_sooner.clone()));
        assert_eq!(claim(later), Some(high_later));
        assert_eq!(claim(later), Some(low.clone()));
        assert_eq!(claim(later), None, "the last one is not due yet");
        assert_eq!(claim(now + 60_000), Some(future));

        let job = store.jobs().get(&high_sooner).unwrap();
        assert_eq!(job.status, JobStatus::Running);
        assert_eq!(job.attempts, 1);
        assert_eq!(job.started_at, Some(later));
        assert_eq!(store.jobs().get(&low).unwrap().payload, json!({"n": 1}));
    }

    #[test]
    fn progress_checkpoint_and_finish() {
        let (_dir, store) = temp_store();
        let id = enqueue(&store, NewJob::new("transcribe", json!({"lecture": "l1"})));
        // Progress needs a running job.
        assert!(matches!(
            store
                .jobs()
                .update_progress(&id, &JobProgress::fraction(0.5), None),
            Err(StoreError::JobState {
                status: JobStatus::Queued,
                ..
            })
        ));
        store.jobs().claim_next(now_ms()).unwrap().unwrap();
        store
            .jobs()
            .update_progress(
                &id,
                &JobProgress::fraction(0.25),
                Some(&json!({"segment": 10})),
            )
            .unwrap();
        store
            .jobs()
            .update_progress(&id, &JobProgress::fraction(0.5), None)
            .unwrap();
        let job = store.jobs().get(&id).unwrap();
        assert_eq!(job.progress, 0.5);
        assert_eq!(
            job.checkpoint,
            Some(json!({"segment": 10})),
            "None keeps the last checkpoint"
        );

        for bad in [-0.1, 1.5, f64::NAN] {
            assert!(matches!(
                store
                    .jobs()
                    .update_progress(&id, &JobProgress::fraction(bad), None),
                Err(StoreError::Invalid {
                    field: "progress",
                    ..
                })
            ));
        }

        store.jobs().finish(&id).unwrap();
        let job = store.jobs().get(&id).unwrap();
        assert_eq!((job.status, job.progress), (JobStatus::Done, 1.0));
        assert!(job.finished_at.is_some());
        assert!(matches!(
            store.jobs().finish(&id),
            Err(StoreError::JobState {
                status: JobStatus::Done,
                operation: "finish",
                ..
            })
        ));
    }

    #[test]
    fn failures_back_off_exponentially_then_fail_for_good() {
        let (_dir, store) = temp_store();
        let id = enqueue(
            &store,
            NewJob {
                max_attempts: 3,
                ..NewJob::new("index", json!(null))
            },
        );

        let mut now = now_ms();
        let mut delays = Vec::new();
        for _ in 0..2 {
            store.jobs().claim_next(now).unwrap().unwrap();
            store
                .jobs()
                .update_progress(&id, &JobProgress::fraction(0.3), Some(&json!({"at": 3})))
                .unwrap();
            let before = now_ms();
            let FailOutcome::RetryAt(retry_at) = store.jobs().fail(&id, "worker crashed").unwrap()
            else {
                panic!("attempts were left");
            };
            delays.push(retry_at - before);
            assert_eq!(
                store.jobs().claim_next(retry_at - 1).unwrap(),
                None,
                "not before the backoff"
            );
            now = retry_at;
        }
        // 10 s then 20 s, give or take the milliseconds between the two clock readings.
        assert!((10_000..10_100).contains(&delays[0]), "{delays:?}");
        assert!((20_000..20_100).contains(&delays[1]), "{delays:?}");

        let job = store.jobs().claim_next(now).unwrap().unwrap();
        assert_eq!(job.attempts, 3);
        assert_eq!(job.error.as_deref(), Some("worker crashed"));
        assert_eq!(
            job.checkpoint,
            Some(json!({"at": 3})),
            "a retry resumes from its checkpoint"
        );
        assert_eq!(
            store.jobs().fail(&id, "again").unwrap(),
            FailOutcome::Failed
        );
        let job = store.jobs().get(&id).unwrap();
        assert_eq!(job.status, JobStatus::Failed);
        assert_eq!(job.error.as_deref(), Some("again"));
        assert_eq!(store.jobs().claim_next(i64::MAX).unwrap(), None);
    }

    #[test]
    fn backoff_is_capped() {
        assert_eq!(backoff_ms(1), 10_000);
        assert_eq!(backoff_ms(4), 80_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }

    #[test]
    fn cancel_stops_queued_and_running_jobs_only() {
        let (_dir, store) = temp_store();
        let queued = enqueue(&store, NewJob::new("a", json!(1)));
        let running = enqueue(
            &store,
            NewJob {
                priority: 1,
                ..NewJob::new("b", json!(2))
            },
        );
        assert_eq!(
            store.jobs().claim_next(now_ms()).unwrap().unwrap().id,
            running
        );

        store.jobs().cancel(&queued).unwrap();
        store.jobs().cancel(&running).unwrap();
        assert_eq!(
            store.jobs().list(Some(JobStatus::Cancelled)).unwrap().len(),
            2
        );
        // The running job's worker learns it at its next progress report.
        assert!(matches!(
            store
                .jobs()
                .update_progress(&running, &JobProgress::fraction(0.9), None),
            Err(StoreError::JobState {
                status: JobStatus::Cancelled,
                ..
            })
        ));
        assert!(matches!(
            store.jobs().cancel(&queued),
            Err(StoreError::JobState { .. })
        ));
        assert_eq!(store.jobs().claim_next(i64::MAX).unwrap(), None);
        assert!(matches!(
            store.jobs().cancel(&JobId::from("ghost".to_string())),
            Err(StoreError::NotFound { entity: "job", .. })
        ));
    }

    #[test]
    fn dedupe_key_allows_one_active_job() {
        let (_dir, store) = temp_store();
        let keyed = || NewJob {
            dedupe_key: Some("transcribe:l1".into()),
            ..NewJob::new("transcribe", json!("l1"))
        };
        let first = enqueue(&store, keyed());
        assert_eq!(
            store.jobs().enqueue(&keyed()).unwrap(),
            EnqueueOutcome::AlreadyActive(first.clone())
        );
        store.jobs().claim_next(now_ms()).unwrap().unwrap();
        assert_eq!(
            store.jobs().enqueue(&keyed()).unwrap(),
            EnqueueOutcome::AlreadyActive(first.clone())
        );
        store.jobs().finish(&first).unwrap();
        let second = store.jobs().enqueue(&keyed()).unwrap();
        assert!(matches!(&second, EnqueueOutcome::Created(id) if *id != first));
        assert_eq!(count_rows(&store, "jobs"), 2);
    }

    #[test]
    fn invalid_jobs_are_refused() {
        let (_dir, store) = temp_store();
        assert!(store.jobs().enqueue(&NewJob::new(" ", json!(1))).is_err());
        assert!(
            store
                .jobs()
                .enqueue(&NewJob {
                    max_attempts: 0,
                    ..NewJob::new("a", json!(1))
                })
                .is_err()
        );
        assert_eq!(count_rows(&store, "jobs"), 0);
    }

    #[test]
    fn interrupted_jobs_are_requeued_or_failed_after_a_restart() {
        let (dir, store) = temp_store();
        let retryable = enqueue(
            &store,
            NewJob {
                priority: 1,
                ..NewJob::new("a", json!(1))
            },
        );
        let last_try = enqueue(
            &store,
            NewJob {
                max_attempts: 1,
                ..NewJob::new("b", json!(2))
            },
        );
        let untouched = enqueue(
            &store,
            NewJob {
                run_at: Some(i64::MAX),
                ..NewJob::new("c", json!(3))
            },
        );
        store.jobs().claim_next(now_ms()).unwrap().unwrap();
        store.jobs().claim_next(now_ms()).unwrap().unwrap();
        drop(store); // the "crash"

        let store = Store::open(dir.path().join("profile.db")).unwrap();
        assert_eq!(store.jobs().recover_interrupted().unwrap(), 2);
        let status = |id| store.jobs().get(id).unwrap().status;
        assert_eq!(status(&retryable), JobStatus::Queued);
        assert_eq!(status(&last_try), JobStatus::Failed);
        assert_eq!(status(&untouched), JobStatus::Queued);
        let again = store.jobs().claim_next(now_ms()).unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (retryable, 2));
    }

    #[test]
    fn list_filters_by_status_in_enqueue_order() {
        let (_dir, store) = temp_store();
        let a = enqueue(&store, NewJob::new("a", json!(1)));
        let b = enqueue(&store, NewJob::new("b", json!(2)));
        store.jobs().cancel(&a).unwrap();
        let ids = |status| {
            store
                .jobs()
                .list(status)
                .unwrap()
                .into_iter()
                .map(|j| j.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(None), vec![a.clone(), b.clone()]);
        assert_eq!(ids(Some(JobStatus::Queued)), vec![b]);
        assert_eq!(ids(Some(JobStatus::Cancelled)), vec![a]);
    }
}
