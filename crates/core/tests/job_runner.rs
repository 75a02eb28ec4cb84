//! The job runner on a real SQLite database, with handlers that record what they do.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lm_core::jobs::{JobContext, JobError, JobEvent, JobHandler, JobRunner, JobRunnerError, Lane};
use lm_core::store::{
    EnqueueOutcome, Job, JobId, JobProgress, JobStatus, NewJob, Store, StoreError,
};
use serde_json::json;

/// A handler that logs each run, optionally sleeps, and fails or checks for cancellation as its
/// payload says: `{"name": .., "sleep_ms": .., "fail": "retry"|"permanent", "steps": n}`.
struct Recorder {
    kind: &'static str,
    lane: Lane,
    log: Arc<Mutex<Vec<String>>>,
    /// How many of this handler's jobs run at once now, and the most ever seen.
    active: AtomicUsize,
    most_active: AtomicUsize,
    ended: Arc<Mutex<Vec<(String, JobStatus)>>>,
}

impl Recorder {
    fn new(kind: &'static str, lane: Lane, log: &Arc<Mutex<Vec<String>>>) -> Arc<Self> {
        Arc::new(Self {
            kind,
            lane,
            log: Arc::clone(log),
            active: AtomicUsize::new(0),
            most_active: AtomicUsize::new(0),
            ended: Arc::default(),
        })
    }
}

impl JobHandler for Recorder {
    fn kind(&self) -> &str {
        self.kind
    }

    fn lane(&self) -> Lane {
        self.lane
    }

    fn run(&self, context: &JobContext<'_>) -> Result<(), JobError> {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_active.fetch_max(now, Ordering::SeqCst);
        let payload = &context.job().payload;
        let name = payload["name"].as_str().unwrap_or("?").to_owned();
        self.log.lock().unwrap().push(format!("start {name}"));
        let steps = payload["steps"].as_u64().unwrap_or(1);
        let sleep = Duration::from_millis(payload["sleep_ms"].as_u64().unwrap_or(0));
        let start_step = context
            .job()
            .checkpoint
            .as_ref()
            .and_then(|c| c["step"].as_u64())
            .unwrap_or(0);
        let outcome = (|| {
            for step in start_step..steps {
                std::thread::sleep(sleep);
                context.check_cancelled()?;
                let progress = JobProgress {
                    fraction: (step + 1) as f64 / steps as f64,
                    seconds: Some((step + 1) as f64),
                    message: Some(format!("step {}", step + 1)),
                };
                context.report(&progress, Some(&json!({ "step": step + 1 })))?;
            }
            match payload["fail"].as_str() {
                Some("retry") => Err(JobError::Retryable(format!("{name} hiccup"))),
                Some("permanent") => Err(JobError::Permanent(format!("{name} is broken"))),
                _ => Ok(()),
            }
        })();
        self.log.lock().unwrap().push(format!("end {name}"));
        self.active.fetch_sub(1, Ordering::SeqCst);
        outcome
    }

    fn on_ended(&self, _store: &Store, job: &Job) -> Result<(), StoreError> {
        let name = job.payload["name"].as_str().unwrap_or("?").to_owned();
        self.ended.lock().unwrap().push((name, job.status));
        Ok(())
    }
}

fn enqueue(store: &Store, job: NewJob) -> JobId {
    match store.jobs().enqueue(&job).unwrap() {
        EnqueueOutcome::Created(id) => id,
        other => panic!("{other:?}"),
    }
}

fn job(kind: &str, priority: i64, payload: serde_json::Value) -> NewJob {
    NewJob {
        priority,
        ..NewJob::new(kind, payload)
    }
}

fn temp_db() -> (tempfile::TempDir, std::path::PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite3");
    let store = Store::open(&path).unwrap();
    (dir, path, store)
}

#[test]
fn jobs_run_by_priority_one_at_a_time_per_lane_and_lanes_in_parallel() {
    let (_dir, path, store) = temp_db();
    let log = Arc::new(Mutex::new(Vec::new()));
    let stt = Recorder::new("transcribe", Lane::Stt, &log);
    let embed = Recorder::new("index", Lane::Embed, &log);
    for (name, priority) in [("low", 0), ("high", 5), ("mid", 2)] {
        enqueue(
            &store,
            job(
                "transcribe",
                priority,
                json!({"name": name, "sleep_ms": 150}),
            ),
        );
    }
    enqueue(
        &store,
        job("index", 0, json!({"name": "embed", "sleep_ms": 100})),
    );
    // No handler: stays queued.
    let orphan = enqueue(&store, job("quiz", 9, json!({"name": "orphan"})));

    let mut runner = JobRunner::new(&path);
    runner.register(stt.clone()).unwrap();
    runner.register(embed.clone()).unwrap();
    assert!(matches!(
        runner.register(Recorder::new("index", Lane::Llm, &log)),
        Err(JobRunnerError::DuplicateKind(_))
    ));
    let events = runner.subscribe();
    let started = Instant::now();
    let summary = runner.run_until_idle().unwrap();
    let wall = started.elapsed();
    assert_eq!(summary.done, 4, "{summary:?}");

    let log = log.lock().unwrap().clone();
    let stt_order: Vec<&str> = log
        .iter()
        .filter(|l| l.starts_with("start") && !l.ends_with("embed"))
        .map(String::as_str)
        .collect();
    assert_eq!(stt_order, ["start high", "start mid", "start low"]);
    assert_eq!(
        stt.most_active.load(Ordering::SeqCst),
        1,
        "one stt job at a time"
    );
    // The embed lane ran beside the stt lane: its job started before the stt lane was done.
    let embed_start = log.iter().position(|l| l == "start embed").unwrap();
    let last_stt_end = log.iter().rposition(|l| l == "end low").unwrap();
    assert!(embed_start < last_stt_end, "{log:?}");
    assert!(
        wall < Duration::from_millis(450 + 100 + 300),
        "lanes ran in parallel: {wall:?}"
    );
    assert_eq!(store.jobs().get(&orphan).unwrap().status, JobStatus::Queued);

    let events: Vec<JobEvent> = events.try_iter().collect();
    let done = events
        .iter()
        .filter(|e| e.status == JobStatus::Done)
        .count();
    assert_eq!(done, 4);
    let progress = events
        .iter()
        .find(|e| e.status == JobStatus::Running && e.message.as_deref() == Some("step 1"))
        .unwrap();
    assert_eq!(
        (progress.percent, progress.seconds_processed),
        (100.0, Some(1.0))
    );
}

#[test]
fn retryable_failures_back_off_and_permanent_ones_fail_at_once() {
    let (_dir, path, store) = temp_db();
    let log = Arc::new(Mutex::new(Vec::new()));
    let handler = Recorder::new("transcribe", Lane::Stt, &log);
    let flaky = enqueue(
        &store,
        job("transcribe", 1, json!({"name": "flaky", "fail": "retry"})),
    );
    let broken = enqueue(
        &store,
        job(
            "transcribe",
            0,
            json!({"name": "broken", "fail": "permanent"}),
        ),
    );
    let mut runner = JobRunner::new(&path);
    runner.register(handler.clone()).unwrap();

    let before = lm_now();
    let summary = runner.run_until_idle().unwrap();
    assert_eq!((summary.retrying, summary.failed, summary.done), (1, 1, 0));
    let flaky_job = store.jobs().get(&flaky).unwrap();
    assert_eq!(flaky_job.status, JobStatus::Queued);
    assert_eq!(flaky_job.error.as_deref(), Some("flaky hiccup"));
    assert!(
        flaky_job.next_run_at >= before + 10_000,
        "first backoff is 10 s"
    );
    let broken_job = store.jobs().get(&broken).unwrap();
    assert_eq!(broken_job.status, JobStatus::Failed);
    assert_eq!(broken_job.attempts, 1, "not retried");
    assert_eq!(broken_job.error.as_deref(), Some("broken is broken"));
    assert_eq!(
        handler.ended.lock().unwrap().clone(),
        [("broken".to_owned(), JobStatus::Failed)]
    );
    // Not due yet: a second run does nothing.
    assert_eq!(
        runner.run_until_idle().unwrap().done + runner.run_until_idle().unwrap().failed,
        0
    );

    // A retry by hand: queued now, attempts reset.
    store.jobs().retry(&broken).unwrap();
    let again = store.jobs().get(&broken).unwrap();
    assert_eq!((again.status, again.attempts), (JobStatus::Queued, 0));
}

#[test]
fn cancel_stops_a_running_job_between_steps_even_from_another_connection() {
    let (_dir, path, store) = temp_db();
    let log = Arc::new(Mutex::new(Vec::new()));
    let handler = Recorder::new("transcribe", Lane::Stt, &log);
    let long = enqueue(
        &store,
        job(
            "transcribe",
            0,
            json!({"name": "long", "steps": 100, "sleep_ms": 50}),
        ),
    );
    let mut runner = JobRunner::new(&path);
    runner.register(handler.clone()).unwrap();
    let events = runner.subscribe();
    let path_for_canceller = path.clone();
    let canceller = std::thread::spawn(move || {
        // Another connection (as `littlemonster jobs cancel` in another process would be).
        let other = Store::open(&path_for_canceller).unwrap();
        for event in events {
            if event.message.as_deref() == Some("step 3") {
                other.jobs().cancel(&event.job_id).unwrap();
                return;
            }
        }
    });
    let started = Instant::now();
    let summary = runner.run_until_idle().unwrap();
    canceller.join().unwrap();
    assert_eq!(summary.cancelled, 1, "{summary:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "stopped early");
    let job = store.jobs().get(&long).unwrap();
    assert_eq!(job.status, JobStatus::Cancelled);
    assert!(job.progress < 0.1, "{}", job.progress);
    assert_eq!(
        handler.ended.lock().unwrap().clone(),
        [("long".to_owned(), JobStatus::Cancelled)]
    );
}

#[test]
fn a_restart_recovers_the_interrupted_job_from_its_checkpoint() {
    let (_dir, path, store) = temp_db();
    let id = enqueue(
        &store,
        job("transcribe", 0, json!({"name": "resumable", "steps": 5})),
    );
    // A previous process claimed it, got through two steps and died.
    store.jobs().claim_next(lm_now()).unwrap().unwrap();
    store
        .jobs()
        .update_progress(&id, &JobProgress::fraction(0.4), Some(&json!({"step": 2})))
        .unwrap();
    drop(store);

    let log = Arc::new(Mutex::new(Vec::new()));
    let mut runner = JobRunner::new(&path);
    runner
        .register(Recorder::new("transcribe", Lane::Stt, &log))
        .unwrap();
    let events = runner.subscribe();
    let summary = runner.run_until_idle().unwrap();
    assert_eq!((summary.recovered, summary.done), (1, 1));
    let steps: Vec<String> = events
        .try_iter()
        .filter_map(|e| e.message)
        .filter(|m| m.starts_with("step") || m.starts_with("resum"))
        .collect();
    assert_eq!(
        steps,
        ["resuming from its checkpoint", "step 3", "step 4", "step 5"]
    );
    let store = Store::open(&path).unwrap();
    let job = store.jobs().get(&id).unwrap();
    assert_eq!((job.status, job.attempts), (JobStatus::Done, 2));
}

#[test]
fn a_second_runner_on_the_same_library_is_refused_and_a_started_one_shuts_down_cleanly() {
    let (_dir, path, store) = temp_db();
    let log = Arc::new(Mutex::new(Vec::new()));
    let id = enqueue(
        &store,
        job(
            "transcribe",
            0,
            json!({"name": "bg", "steps": 200, "sleep_ms": 20}),
        ),
    );
    let mut runner = JobRunner::new(&path);
    runner
        .register(Recorder::new("transcribe", Lane::Stt, &log))
        .unwrap();
    let events = runner.subscribe();
    let handle = runner.start().unwrap();
    handle.notify();
    let mut second = JobRunner::new(&path);
    second
        .register(Recorder::new("transcribe", Lane::Stt, &log))
        .unwrap();
    assert!(matches!(
        second.run_until_idle(),
        Err(JobRunnerError::Busy { .. })
    ));
    // Wait until it made progress, then stop the app.
    for event in events.iter() {
        if event.message.as_deref() == Some("step 2") {
            break;
        }
    }
    handle.shutdown().unwrap();
    let job = store.jobs().get(&id).unwrap();
    assert_eq!(job.status, JobStatus::Queued, "given back, not cancelled");
    assert_eq!(job.attempts, 0, "a clean stop costs no attempt");
    assert!(job.checkpoint.is_some());
}

fn lm_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
