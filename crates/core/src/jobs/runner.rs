//! [`JobRunner`]: lanes of threads that claim, run and record jobs.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fs::{File, TryLockError};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::{JobContext, JobError, JobEvent, JobHandler, Lane};
use crate::store::{FailOutcome, Job, JobId, JobStatus, Store, StoreError, UnixMillis};

/// How often the watcher looks for jobs cancelled by another process.
const CANCEL_POLL: Duration = Duration::from_millis(300);
/// The longest an idle lane of a started runner sleeps before looking at the queue again (jobs
/// enqueued by another process wake nobody).
const IDLE_POLL: Duration = Duration::from_secs(2);

/// A failure of the runner itself (a job's own failure is recorded on the job instead).
#[derive(Debug, thiserror::Error)]
pub enum JobRunnerError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another process runs this profile's jobs.
    #[error(
        "another Little Monster process is already running the jobs of this library ({path} is \
         locked); let it finish or close it first"
    )]
    Busy {
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file could not be opened.
    #[error("cannot open the job lock file {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A lane thread died.
    #[error("the {0:?} job lane stopped unexpectedly")]
    LanePanicked(Lane),
    /// Two handlers claim the same job kind.
    #[error("two handlers are registered for job kind {0:?}")]
    DuplicateKind(String),
}

/// What [`JobRunner::run_until_idle`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Jobs recovered from a process that stopped mid-job.
    pub recovered: usize,
    /// Jobs finished.
    pub done: usize,
    /// Jobs failed for good.
    pub failed: usize,
    /// Jobs cancelled.
    pub cancelled: usize,
    /// Failed attempts queued again for a later retry.
    pub retrying: usize,
}

/// State shared by the lanes, the watcher and the handle.
#[derive(Default)]
struct Shared {
    subscribers: Mutex<Vec<Sender<JobEvent>>>,
    /// The cancel flags of the jobs running now.
    running: Mutex<HashMap<JobId, Arc<AtomicBool>>>,
    stopping: AtomicBool,
    wake: (Mutex<u64>, Condvar),
}

impl Shared {
    fn publish(&self, event: JobEvent) {
        lock(&self.subscribers).retain(|subscriber| subscriber.send(event.clone()).is_ok());
    }

    fn wake_all(&self) {
        *lock(&self.wake.0) += 1;
        self.wake.1.notify_all();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the jobs of one profile database. See the [module documentation](super).
pub struct JobRunner {
    database: PathBuf,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    shared: Arc<Shared>,
}

impl JobRunner {
    /// A runner for the profile database at `database`, with no handlers yet.
    pub fn new(database: impl Into<PathBuf>) -> Self {
        Self {
            database: database.into(),
            handlers: HashMap::new(),
            shared: Arc::default(),
        }
    }

    /// Adds the handler of one job kind. Jobs of kinds with no handler stay queued.
    pub fn register(&mut self, handler: Arc<dyn JobHandler>) -> Result<(), JobRunnerError> {
        let kind = handler.kind().to_owned();
        if self.handlers.contains_key(&kind) {
            return Err(JobRunnerError::DuplicateKind(kind));
        }
        self.handlers.insert(kind, handler);
        Ok(())
    }

    /// A channel receiving every [`JobEvent`] from now on.
    pub fn subscribe(&self) -> Receiver<JobEvent> {
        let (sender, receiver) = mpsc::channel();
        lock(&self.shared.subscribers).push(sender);
        receiver
    }

    /// Cancels a queued or running job: the store marks it cancelled, and a job running in this
    /// runner stops at its next check (a job running in another process stops when that
    /// process's watcher sees it). A job that was only queued is ended here.
    pub fn cancel(&self, store: &Store, id: &JobId) -> Result<(), JobRunnerError> {
        let was_running = store.jobs().get(id)?.status == JobStatus::Running;
        store.jobs().cancel(id)?;
        if let Some(flag) = lock(&self.shared.running).get(id) {
            flag.store(true, Ordering::SeqCst);
        }
        if !was_running {
            let job = store.jobs().get(id)?;
            if let Some(handler) = self.handlers.get(&job.kind) {
                handler.on_ended(store, &job)?;
            }
        }
        Ok(())
    }

    /// Runs every due job of the registered kinds, lanes side by side, until no job is due;
    /// jobs waiting for a retry later are left queued. Recovers interrupted jobs first.
    pub fn run_until_idle(&self) -> Result<RunSummary, JobRunnerError> {
        let _lock = self.lock_database()?;
        let store = Store::open(&self.database)?;
        let recovered = self.recover(&store)?;
        let summary = Mutex::new(RunSummary {
            recovered,
            ..RunSummary::default()
        });
        let watcher_stop = AtomicBool::new(false);
        thread::scope(|scope| {
            let watcher = scope.spawn(|| self.watch_cancellations(&watcher_stop));
            let lanes: Vec<_> = self
                .lanes()
                .into_iter()
                .map(|(lane, kinds)| {
                    let summary = &summary;
                    (
                        lane,
                        scope.spawn(move || self.run_lane(&kinds, true, summary)),
                    )
                })
                .collect();
            let mut outcome = Ok(());
            for (lane, thread) in lanes {
                let result = thread
                    .join()
                    .unwrap_or(Err(JobRunnerError::LanePanicked(lane)));
                if outcome.is_ok() {
                    outcome = result;
                }
            }
            watcher_stop.store(true, Ordering::SeqCst);
            // The watcher only reads; its failure cannot have hurt a job.
            let _ = watcher.join();
            outcome
        })?;
        Ok(summary.into_inner().unwrap_or_else(PoisonError::into_inner))
    }

    /// Starts the lanes in the background for as long as the app runs: each lane sleeps until a
    /// job is due, [`RunnerHandle::notify`] is called, or a short poll interval passes.
    pub fn start(self) -> Result<RunnerHandle, JobRunnerError> {
        let lock_file = self.lock_database()?;
        let store = Store::open(&self.database)?;
        self.recover(&store)?;
        let runner = Arc::new(self);
        let summary = Arc::new(Mutex::new(RunSummary::default()));
        let mut threads = Vec::new();
        for (lane, kinds) in runner.lanes() {
            let runner = Arc::clone(&runner);
            let summary = Arc::clone(&summary);
            threads.push((
                Some(lane),
                thread::spawn(move || runner.run_lane(&kinds, false, &summary)),
            ));
        }
        let watcher = Arc::clone(&runner);
        threads.push((
            None,
            thread::spawn(move || watcher.watch_cancellations(&watcher.shared.stopping)),
        ));
        Ok(RunnerHandle {
            runner,
            threads,
            _lock: lock_file,
        })
    }

    /// Puts jobs left running by a stopped process back in the queue (or fails those on their
    /// last attempt, ending them through their handler). Returns how many it touched.
    fn recover(&self, store: &Store) -> Result<usize, JobRunnerError> {
        let interrupted = store.jobs().list(Some(JobStatus::Running))?;
        let touched = store.jobs().recover_interrupted()?;
        for job in interrupted {
            let job = store.jobs().get(&job.id)?;
            if job.status == JobStatus::Failed
                && let Some(handler) = self.handlers.get(&job.kind)
            {
                handler.on_ended(store, &job)?;
            }
        }
        Ok(touched)
    }

    /// The registered kinds, grouped by lane.
    fn lanes(&self) -> BTreeMap<Lane, Vec<String>> {
        let mut lanes: BTreeMap<Lane, Vec<String>> = BTreeMap::new();
        for (kind, handler) in &self.handlers {
            lanes.entry(handler.lane()).or_default().push(kind.clone());
        }
        lanes
    }

    /// Takes the profile's runner lock, held until the returned file is dropped (or the process
    /// dies: the operating system releases it, so a killed runner never blocks the next one).
    fn lock_database(&self) -> Result<File, JobRunnerError> {
        let mut name = OsString::from(self.database.as_os_str());
        name.push(".runner-lock");
        let path = PathBuf::from(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| JobRunnerError::Lock {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(TryLockError::WouldBlock) => Err(JobRunnerError::Busy { path }),
            Err(TryLockError::Error(source)) => Err(JobRunnerError::Lock { path, source }),
        }
    }

    /// One lane: claims and runs its kinds' jobs one at a time.
    fn run_lane(
        &self,
        kinds: &[String],
        until_idle: bool,
        summary: &Mutex<RunSummary>,
    ) -> Result<(), JobRunnerError> {
        let store = Store::open(&self.database)?;
        let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
        loop {
            if self.shared.stopping.load(Ordering::SeqCst) {
                return Ok(());
            }
            match store.jobs().claim_next_of(now_ms(), &kinds)? {
                Some(job) => self.execute(&store, job, summary)?,
                None if until_idle => return Ok(()),
                None => self.sleep_until_due(&store, &kinds)?,
            }
        }
    }

    fn sleep_until_due(&self, store: &Store, kinds: &[&str]) -> Result<(), JobRunnerError> {
        let wait = match store.jobs().next_due_at(kinds)? {
            Some(due) => {
                Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0)).min(IDLE_POLL)
            }
            None => IDLE_POLL,
        };
        let (generation, wake) = &self.shared.wake;
        let seen = *lock(generation);
        let guard = lock(generation);
        // A notify between reading `seen` and waiting bumps the generation: no lost wake-up.
        let _ = wake
            .wait_timeout_while(guard, wait, |current| {
                *current == seen && !self.shared.stopping.load(Ordering::SeqCst)
            })
            .unwrap_or_else(PoisonError::into_inner);
        Ok(())
    }

    /// Runs one claimed job and records how it ended.
    fn execute(
        &self,
        store: &Store,
        job: Job,
        summary: &Mutex<RunSummary>,
    ) -> Result<(), JobRunnerError> {
        let Some(handler) = self.handlers.get(&job.kind).cloned() else {
            store
                .jobs()
                .fail_permanently(&job.id, &format!("no handler for job kind {:?}", job.kind))?;
            return Ok(());
        };
        let flag = Arc::new(AtomicBool::new(false));
        lock(&self.shared.running).insert(job.id.clone(), Arc::clone(&flag));
        let message = if job.checkpoint.is_some() {
            "resuming from its checkpoint"
        } else {
            "started"
        };
        self.shared
            .publish(event(&job, JobStatus::Running, Some(message.into())));
        let publish = |event: JobEvent| self.shared.publish(event);
        let context = JobContext {
            job: job.clone(),
            store,
            cancel: &flag,
            publish: &publish,
        };
        // A bug in one handler fails its job, not the lane (and with it every later job).
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| handler.run(&context)))
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(JobError::Retryable(format!("internal error: {what}")))
            });
        lock(&self.shared.running).remove(&job.id);
        self.record(store, handler.as_ref(), &job, outcome, summary)
    }

    fn record(
        &self,
        store: &Store,
        handler: &dyn JobHandler,
        job: &Job,
        outcome: Result<(), JobError>,
        summary: &Mutex<RunSummary>,
    ) -> Result<(), JobRunnerError> {
        let ended = match outcome {
            Ok(()) => {
                let finished = store.jobs().finish(&job.id);
                if cancelled_meanwhile(&finished) {
                    JobStatus::Cancelled
                } else {
                    finished?;
                    lock(summary).done += 1;
                    let mut done = event(job, JobStatus::Done, None);
                    done.percent = 100.0;
                    self.shared.publish(done);
                    return Ok(());
                }
            }
            Err(JobError::Cancelled) if self.shared.stopping.load(Ordering::SeqCst) => {
                // The app is quitting, not the student cancelling: resume next time.
                let released = store.jobs().release(&job.id);
                if !cancelled_meanwhile(&released) {
                    released?;
                    self.shared.publish(event(
                        job,
                        JobStatus::Queued,
                        Some("stopped; it resumes when the app runs again".into()),
                    ));
                    return Ok(());
                }
                JobStatus::Cancelled
            }
            Err(JobError::Cancelled) => {
                let cancelled = store.jobs().cancel(&job.id);
                if !cancelled_meanwhile(&cancelled) {
                    cancelled?;
                }
                JobStatus::Cancelled
            }
            Err(JobError::Retryable(message)) => {
                let failed = store.jobs().fail(&job.id, &message);
                if cancelled_meanwhile(&failed) {
                    JobStatus::Cancelled
                } else if let FailOutcome::RetryAt(at) = failed? {
                    lock(summary).retrying += 1;
                    let wait_s = (at - now_ms()).max(0) / 1000;
                    self.shared.publish(event(
                        job,
                        JobStatus::Queued,
                        Some(format!("{message} (will retry in {wait_s} s)")),
                    ));
                    return Ok(());
                } else {
                    JobStatus::Failed
                }
            }
            Err(JobError::Permanent(message)) => {
                let failed = store.jobs().fail_permanently(&job.id, &message);
                if cancelled_meanwhile(&failed) {
                    JobStatus::Cancelled
                } else {
                    failed?;
                    JobStatus::Failed
                }
            }
        };
        let stored = store.jobs().get(&job.id)?;
        handler.on_ended(store, &stored)?;
        {
            let mut summary = lock(summary);
            match ended {
                JobStatus::Cancelled => summary.cancelled += 1,
                _ => summary.failed += 1,
            }
        }
        let mut ended_event = event(&stored, ended, stored.error.clone());
        if ended == JobStatus::Cancelled {
            ended_event.message = Some("cancelled".into());
        }
        self.shared.publish(ended_event);
        Ok(())
    }

    /// Sets the cancel flag of running jobs that another process cancelled in the database.
    fn watch_cancellations(&self, stop: &AtomicBool) -> Result<(), JobRunnerError> {
        let store = Store::open(&self.database)?;
        while !stop.load(Ordering::SeqCst) {
            let running: Vec<(JobId, Arc<AtomicBool>)> = lock(&self.shared.running)
                .iter()
                .map(|(id, flag)| (id.clone(), Arc::clone(flag)))
                .collect();
            for (id, flag) in running {
                if store.jobs().get(&id)?.status == JobStatus::Cancelled {
                    flag.store(true, Ordering::SeqCst);
                }
            }
            thread::sleep(CANCEL_POLL);
        }
        Ok(())
    }

    /// The database this runner works on.
    pub fn database(&self) -> &Path {
        &self.database
    }
}

/// A lane (or watcher) thread of a started runner.
type LaneThread = JoinHandle<Result<(), JobRunnerError>>;

/// A runner started with [`JobRunner::start`]; dropping it without [`RunnerHandle::shutdown`]
/// leaves the lanes running until the process ends.
pub struct RunnerHandle {
    runner: Arc<JobRunner>,
    threads: Vec<(Option<Lane>, LaneThread)>,
    _lock: File,
}

impl RunnerHandle {
    /// Wakes idle lanes to look at the queue now (call after enqueueing).
    pub fn notify(&self) {
        self.runner.shared.wake_all();
    }

    /// A channel receiving every [`JobEvent`] from now on.
    pub fn subscribe(&self) -> Receiver<JobEvent> {
        self.runner.subscribe()
    }

    /// See [`JobRunner::cancel`].
    pub fn cancel(&self, store: &Store, id: &JobId) -> Result<(), JobRunnerError> {
        self.runner.cancel(store, id)
    }

    /// Stops the lanes: running jobs stop at their next check and go back to the queue
    /// without losing an attempt, to resume from their checkpoint on the next start.
    pub fn shutdown(self) -> Result<(), JobRunnerError> {
        let shared = &self.runner.shared;
        shared.stopping.store(true, Ordering::SeqCst);
        for flag in lock(&shared.running).values() {
            flag.store(true, Ordering::SeqCst);
        }
        shared.wake_all();
        let mut outcome = Ok(());
        for (lane, thread) in self.threads {
            let result = thread
                .join()
                .unwrap_or(Err(JobRunnerError::LanePanicked(lane.unwrap_or(Lane::Stt))));
            if outcome.is_ok() {
                outcome = result;
            }
        }
        outcome
    }
}

fn event(job: &Job, status: JobStatus, message: Option<String>) -> JobEvent {
    JobEvent {
        job_id: job.id.clone(),
        kind: job.kind.clone(),
        status,
        percent: job.progress * 100.0,
        seconds_processed: job.progress_seconds,
        message,
    }
}

/// Whether a store call failed because the job was cancelled meanwhile (by another process or
/// [`JobRunner::cancel`]).
fn cancelled_meanwhile<T>(result: &Result<T, StoreError>) -> bool {
    matches!(
        result,
        Err(StoreError::JobState {
            status: JobStatus::Cancelled,
            ..
        })
    )
}

/// The wall clock in the store's unit; the queue's due times are wall-clock times too.
fn now_ms() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            UnixMillis::try_from(elapsed.as_millis()).unwrap_or(UnixMillis::MAX)
        })
}
