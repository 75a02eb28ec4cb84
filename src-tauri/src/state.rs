//! The state the shell shares with its commands: where things live, the active profile's library
//! and its background job runner, and the sessions in flight (recording, answers, read-aloud).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use lm_core::jobs::RunnerHandle;
use lm_core::library::{Library, LibraryRoot};
use lm_core::models::{ModelCatalog, ModelStore};
use lm_core::store::{JobId, Store};
use lm_core::study::StudyError;
use lm_services::Services;

use crate::commands::settings::Settings;
use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::events::{self, Shell};

/// The name of the profile created on first start.
const DEFAULT_PROFILE: &str = "Student";

/// Where this installation keeps its files, and whether jobs run in the background.
#[derive(Debug, Clone)]
pub struct ShellConfig {
    /// The root folder for user data (profiles, databases, media).
    pub data_dir: PathBuf,
    /// The folder that holds model files, laid out as `<model id>/<file>`.
    pub models_dir: PathBuf,
    /// Start the active profile's job runner (off in tests that only look at the queue).
    pub run_jobs: bool,
}

impl ShellConfig {
    /// Resolves the folders through `lm_core::paths`, which honours the `LITTLEMONSTER_*`
    /// environment variables; jobs run.
    pub fn from_environment() -> Self {
        Self {
            data_dir: lm_core::paths::data_dir(),
            models_dir: lm_core::paths::models_dir(),
            run_jobs: true,
        }
    }
}

/// The profile the window works on: its library with its engines, and its running job queue.
pub struct ActiveProfile {
    /// The profile's library (its database connection for quick commands) and engines.
    pub services: Services,
    /// The background job runner; `None` when jobs are off or it could not start.
    runner: Option<RunnerHandle>,
    /// Why the runner is not running, for diagnostics.
    pub runner_problem: Option<String>,
}

impl ActiveProfile {
    /// Stops the job runner; running jobs go back to the queue and resume on the next start.
    fn shut_down(&mut self) {
        if let Some(runner) = self.runner.take()
            && let Err(error) = runner.shutdown()
        {
            tracing::warn!("stopping the job runner: {error}");
        }
    }
}

/// Everything the commands share; managed by Tauri.
pub struct ShellState {
    config: ShellConfig,
    root: LibraryRoot,
    active: Mutex<Option<ActiveProfile>>,
    shell: OnceLock<Arc<dyn Shell>>,
    settings: Mutex<Settings>,
    /// Read-aloud audio, deleted when the app ends.
    scratch: tempfile::TempDir,
    /// Cancel flags of the answers being written, by request id.
    pub(crate) answers: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// Stop flags of the read-aloud sessions, by session id.
    pub(crate) readers: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// The recording in progress.
    pub(crate) recording: Mutex<Option<crate::commands::record::ActiveRecording>>,
}

/// Locks `mutex`, taking over a lock poisoned by a panicking command (the data it guards stays
/// consistent: every change is one assignment).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ShellState {
    /// The state for `config`; no profile is opened until a command needs one.
    pub fn new(config: ShellConfig) -> std::io::Result<Self> {
        let scratch = tempfile::Builder::new()
            .prefix("littlemonster-")
            .tempdir()?;
        Ok(Self {
            settings: Mutex::new(Settings::load(&config.data_dir)),
            root: LibraryRoot::new(&config.data_dir),
            config,
            active: Mutex::new(None),
            shell: OnceLock::new(),
            scratch,
            answers: Mutex::default(),
            readers: Mutex::default(),
            recording: Mutex::default(),
        })
    }

    /// The configuration the state was made with.
    pub fn config(&self) -> &ShellConfig {
        &self.config
    }

    /// Every profile's library folder.
    pub fn root(&self) -> &LibraryRoot {
        &self.root
    }

    /// The folder for read-aloud audio (served to the window).
    pub fn scratch_dir(&self) -> &Path {
        self.scratch.path()
    }

    /// The engine settings (models, voice, threads) in force.
    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Saves `settings` and restarts the active profile's engines and jobs with them.
    pub fn save_settings(&self, settings: Settings) -> CommandResult<()> {
        settings.save(&self.config.data_dir)?;
        *lock(&self.settings) = settings;
        let profile_id = {
            let active = lock(&self.active);
            match active.as_ref() {
                Some(profile) => profile.services.library().profile_id().clone(),
                None => return Ok(()),
            }
        };
        // A fresh connection for the new engines; switching stops the old ones first.
        self.switch_to(self.root.open(profile_id.as_str())?)
    }

    /// The models folder with the bundled catalog.
    pub fn model_store(&self) -> CommandResult<ModelStore> {
        Ok(ModelStore::new(
            self.config.models_dir.clone(),
            ModelCatalog::bundled()?,
        ))
    }

    /// Connects the state to the running app (events, asset scope); called once at set-up.
    pub fn attach(&self, shell: Arc<dyn Shell>) {
        shell.allow_folder(self.scratch_dir());
        if self.shell.set(shell).is_err() {
            tracing::warn!("the shell state was attached twice");
        }
    }

    /// The app connection, once attached.
    pub(crate) fn shell(&self) -> Option<Arc<dyn Shell>> {
        self.shell.get().cloned()
    }

    /// Sends an event to the window (nothing before the app is attached).
    pub(crate) fn emit(&self, event: &str, payload: &impl serde::Serialize) {
        if let Some(shell) = self.shell.get() {
            events::emit(shell.as_ref(), event, payload);
        }
    }

    /// Runs `body` with the active profile, opening the default one first if none is.
    pub fn with_profile<T>(
        &self,
        body: impl FnOnce(&mut ActiveProfile) -> CommandResult<T>,
    ) -> CommandResult<T> {
        let mut active = lock(&self.active);
        if active.is_none() {
            let library = self.root.open_or_create_default(DEFAULT_PROFILE)?;
            *active = Some(self.activate(library));
        }
        match active.as_mut() {
            Some(profile) => body(profile),
            None => Err(CommandError::internal("no profile is open")),
        }
    }

    /// Runs `body` with the active profile's library.
    pub fn with_library<T>(
        &self,
        body: impl FnOnce(&Library) -> CommandResult<T>,
    ) -> CommandResult<T> {
        self.with_profile(|profile| body(profile.services.library()))
    }

    /// Runs `body` with the active profile's engines.
    pub fn with_services<T>(
        &self,
        body: impl FnOnce(&Services) -> CommandResult<T>,
    ) -> CommandResult<T> {
        self.with_profile(|profile| body(&profile.services))
    }

    /// A second connection to the active profile's database, for work that takes a while
    /// (imports, exports) so that quick commands are not kept waiting.
    pub fn open_library(&self) -> CommandResult<Library> {
        let id = self.with_library(|library| Ok(library.profile_id().clone()))?;
        Ok(self.root.open(id.as_str())?)
    }

    /// Makes `library` the active profile: the previous one's job runner stops, the new one's
    /// starts, and the window may read media from the new profile's folder only.
    pub fn switch_to(&self, library: Library) -> CommandResult<()> {
        let mut active = lock(&self.active);
        if let Some(mut previous) = active.take() {
            previous.shut_down();
            if let Some(shell) = self.shell() {
                shell.forbid_folder(previous.services.library().dir());
            }
        }
        *active = Some(self.activate(library));
        Ok(())
    }

    /// Stops the job runner of the active profile (at app exit).
    pub fn shut_down(&self) {
        if let Some(profile) = lock(&self.active).as_mut() {
            profile.shut_down();
        }
    }

    /// Queues the study job `enqueue` makes from the settings' thread count in the active
    /// library, wakes the runner, and returns the job's id.
    pub fn queue_study_job(
        &self,
        enqueue: impl FnOnce(&Store, Option<u32>) -> Result<JobId, StudyError>,
    ) -> CommandResult<String> {
        let threads = self.settings().threads;
        let job = self.with_library(|library| Ok(enqueue(library.store(), threads)?))?;
        self.notify_jobs();
        Ok(job.to_string())
    }

    /// Wakes the job runner after something was queued.
    pub fn notify_jobs(&self) {
        if let Some(runner) = lock(&self.active)
            .as_ref()
            .and_then(|profile| profile.runner.as_ref())
        {
            runner.notify();
        }
    }

    /// Cancels a job: through the runner when one runs (a running job stops at its next check),
    /// else in the database.
    pub fn cancel_job(&self, id: &lm_core::store::JobId) -> CommandResult<()> {
        self.with_profile(|profile| {
            let store = profile.services.library().store();
            match &profile.runner {
                Some(runner) => runner.cancel(store, id)?,
                None => store.jobs().cancel(id)?,
            }
            Ok(())
        })
    }

    /// Opens `library` as the active profile: repairs interrupted recordings, allows its folder
    /// in the asset scope and starts its job runner.
    fn activate(&self, library: Library) -> ActiveProfile {
        match lm_core::recording::recover_interrupted_recordings(&library) {
            Ok(recovered) => {
                for recording in recovered {
                    tracing::info!(
                        "recovered the interrupted recording \"{}\" ({})",
                        recording.lecture.title,
                        recording.lecture.id
                    );
                }
            }
            Err(error) => tracing::warn!("recovering interrupted recordings: {error}"),
        }
        if let Some(shell) = self.shell() {
            shell.allow_folder(library.dir());
        }
        let services = Services::new(library, self.settings().engine_settings());
        let (runner, runner_problem) = if self.config.run_jobs {
            match self.start_runner(&services) {
                Ok(runner) => (Some(runner), None),
                Err(error) => (None, Some(error.message)),
            }
        } else {
            (None, Some("background jobs are turned off".to_owned()))
        };
        ActiveProfile {
            services,
            runner,
            runner_problem,
        }
    }

    /// Starts the job runner of `library` and forwards its events to the window.
    fn start_runner(&self, services: &Services) -> CommandResult<RunnerHandle> {
        let library = services.library();
        let runner = services.job_runner()?;
        let events = runner.subscribe();
        let handle = runner.start()?;
        let database = library.store().path().to_path_buf();
        let shell = self.shell();
        std::thread::Builder::new()
            .name("job-events".into())
            .spawn(move || {
                if let Some(shell) = shell {
                    match Store::open(&database) {
                        Ok(store) => events::forward_jobs(&events, &store, shell.as_ref()),
                        Err(error) => tracing::warn!("job events are not forwarded: {error}"),
                    }
                }
            })
            .map_err(|error| {
                CommandError::new(
                    ErrorKind::Internal,
                    format!("cannot start the job event thread: {error}"),
                )
            })?;
        Ok(handle)
    }
}
