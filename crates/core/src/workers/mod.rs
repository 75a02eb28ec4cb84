//! Supervision of the engine worker processes (`lm-stt-worker`, `lm-llm-worker`).
//!
//! whisper.cpp and llama.cpp run in child processes because a failed assertion in them aborts the
//! whole process, and because the two vendor incompatible copies of ggml. A [`Supervisor`] owns one
//! worker process and speaks [`lm_worker_protocol`] with it:
//!
//! - **Start on demand.** The first request checks the model file (exists, non-empty, right format,
//!   via [`crate::models::sniff_format`]) so a wrong file is an [`EngineError::BadModel`] naming it,
//!   not a crash; then spawns `<worker dir>/<binary> --model PATH ...` (see
//!   [`crate::paths::worker_dir`]) and waits for its ready line, up to [`WorkerSpec::ready_timeout`].
//!   A worker that cannot load its model answers with a `fatal` line, mapped to `BadModel` too.
//! - **One request at a time.** Requests are serialised by a mutex; events are delivered to the
//!   caller's callback until the request's result or error.
//! - **Crashes are errors, not panics or hangs.** If the worker dies (exit, signal such as SIGABRT
//!   from a ggml assertion, SIGKILL), writes garbage, or is silent for longer than
//!   [`WorkerSpec::stall_timeout`], the request fails with [`EngineError::WorkerCrashed`] carrying the
//!   exit status or signal name and the last lines of the worker's stderr (captured continuously
//!   by a background thread). The next request starts a fresh worker.
//! - **Cancellation** kills the worker (the only way to stop a C engine mid-computation reliably);
//!   the request returns [`EngineError::Cancelled`] and the next one restarts it.
//! - **Idle unload.** With [`WorkerSpec::idle_timeout`] set, a worker unused that long is stopped to
//!   give its memory back, and restarted on the next request.
//!
//! CPU features: whisper.cpp is built with ggml's default `GGML_NATIVE=ON` (the build machine's
//! CPU); llama.cpp with `GGML_NATIVE=OFF` and the explicit AVX, AVX2, FMA, F16C and BMI2 flags set
//! in `.cargo/config.toml`. Each worker checks at start-up, before touching ggml, that the CPU has
//! every feature its build needs, and otherwise answers with a `fatal` `unsupported_cpu` line (an
//! [`EngineError::Other`] naming the missing features) instead of dying of SIGILL.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread;
use std::time::{Duration, Instant};

use lm_worker_protocol::codec::{CodecError, DEFAULT_MAX_LINE, LineReader, LineWriter};
use lm_worker_protocol::{
    PROTOCOL_VERSION, Protocol, Ready, RequestEnvelope, WorkerError, WorkerMessage,
};

use crate::engines::EngineError;
use crate::models::{ModelError, ModelFormat, sniff_format};

pub mod llm;
pub mod stt;

/// How many of the worker's last stderr lines are kept for crash reports.
pub const STDERR_TAIL_LINES: usize = 40;

/// How often a waiting request looks at its cancel flag.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How long a worker gets to exit after its stdin is closed before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// How to start one kind of worker.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    /// The worker executable.
    pub binary: PathBuf,
    /// The model file, passed as `--model PATH` and checked before spawning.
    pub model: PathBuf,
    /// The format the model file must have.
    pub model_format: ModelFormat,
    /// Further command-line arguments (`--threads 2`, ...).
    pub args: Vec<OsString>,
    /// Extra environment variables for the worker (`OMP_WAIT_POLICY=passive`, ...).
    pub env: Vec<(OsString, OsString)>,
    /// How long to wait for the ready line (model loading included).
    pub ready_timeout: Duration,
    /// A worker that sends nothing for this long during a request is killed and reported as
    /// crashed; `None` waits for as long as the process lives.
    pub stall_timeout: Option<Duration>,
    /// Stop a worker unused for this long (its model's memory is freed); `None` keeps it.
    pub idle_timeout: Option<Duration>,
}

impl WorkerSpec {
    /// A spec for `binary_name` in [`crate::paths::worker_dir`] with default timeouts: 60 s to
    /// get ready, no stall limit, no idle unload.
    pub fn new(binary_name: &str, model: PathBuf, model_format: ModelFormat) -> Self {
        Self {
            binary: crate::paths::worker_dir().join(binary_name),
            model,
            model_format,
            args: Vec::new(),
            env: Vec::new(),
            ready_timeout: Duration::from_secs(60),
            stall_timeout: None,
            idle_timeout: None,
        }
    }
}

/// A non-final event of a request, passed to the caller's callback.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerEvent<P: Protocol> {
    /// Fraction done, 0.0 to 1.0.
    Progress(f32),
    /// A piece of streamed output.
    Stream(P::Stream),
}

/// Owns one worker process of protocol `P`, starting it on demand and restarting it after a crash.
pub struct Supervisor<P: Protocol> {
    spec: WorkerSpec,
    running: Arc<Mutex<Option<Process<P>>>>,
    /// The running worker's process id, 0 when none; outside the mutex so it can be read while a
    /// request holds the lock.
    pid: Arc<AtomicU32>,
    next_id: AtomicU64,
}

impl<P: Protocol> Supervisor<P> {
    /// A supervisor that starts its worker on the first request.
    pub fn new(spec: WorkerSpec) -> Self {
        let running = Arc::new(Mutex::new(None));
        let pid = Arc::new(AtomicU32::new(0));
        if let Some(idle) = spec.idle_timeout {
            spawn_idle_reaper(Arc::downgrade(&running), pid.clone(), idle);
        }
        Self {
            spec,
            running,
            pid,
            next_id: AtomicU64::new(1),
        }
    }

    /// How this supervisor starts its worker.
    pub fn spec(&self) -> &WorkerSpec {
        &self.spec
    }

    /// The process id of the running worker, if one is running (for diagnostics and tests).
    pub fn pid(&self) -> Option<u32> {
        match self.pid.load(Ordering::SeqCst) {
            0 => None,
            pid => Some(pid),
        }
    }

    /// Starts the worker now if it is not running, and returns its ready line.
    pub fn ensure_started(&self) -> Result<Ready<P>, EngineError> {
        let mut running = self.lock();
        Ok(self.live_process(&mut running)?.ready.clone())
    }

    /// Stops the worker (closing its stdin, then killing it if it lingers). The next request
    /// starts a new one.
    pub fn stop(&self) {
        self.lock().take();
        self.pid.store(0, Ordering::SeqCst);
    }

    /// Sends one request and passes its events to `on_event` until its result, which is returned.
    pub fn request(
        &self,
        request: P::Request,
        on_event: &mut dyn FnMut(WorkerEvent<P>),
    ) -> Result<P::Result, EngineError> {
        self.request_cancellable(request, None, on_event)
    }

    /// Like [`Supervisor::request`]; setting `cancel` kills the worker and returns
    /// [`EngineError::Cancelled`] within [`POLL_INTERVAL`].
    pub fn request_cancellable(
        &self,
        request: P::Request,
        cancel: Option<&AtomicBool>,
        on_event: &mut dyn FnMut(WorkerEvent<P>),
    ) -> Result<P::Result, EngineError> {
        let mut running = self.lock();
        let process = self.live_process(&mut running)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let reply = match process
            .io
            .exchange(id, request, &self.spec, cancel, on_event)
        {
            Ok(reply) => reply,
            Err(failure) => {
                // The process is unusable: drop it (killing it if needed) before reporting.
                let process = running.take();
                self.pid.store(0, Ordering::SeqCst);
                return Err(match (failure, process) {
                    (Failure::Cancelled, Some(mut process)) => {
                        // No grace period: the engine is mid-computation and would not notice
                        // its stdin closing until it finished.
                        process.io.kill();
                        EngineError::Cancelled
                    }
                    (Failure::Cancelled, None) => EngineError::Cancelled,
                    (Failure::Crashed(reason), Some(process)) => process.io.crash_report(reason),
                    (Failure::Crashed(reason), None) => crashed(P::WORKER, reason, Vec::new()),
                });
            }
        };
        process.last_used = Instant::now();
        match reply {
            Reply::Result(data) => Ok(data),
            Reply::Error(error) => Err(engine_error(error)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Process<P>>> {
        // A panic in a caller's callback poisons the lock but leaves the state consistent.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The running worker, started (again) if there is none or it has exited.
    fn live_process<'a>(
        &self,
        running: &'a mut Option<Process<P>>,
    ) -> Result<&'a mut Process<P>, EngineError> {
        if running
            .as_mut()
            .is_some_and(|process| !process.io.is_alive())
        {
            running.take();
        }
        if running.is_none() {
            self.pid.store(0, Ordering::SeqCst);
            let process = WorkerIo::<P>::start(&self.spec)?;
            self.pid.store(process.io.child.id(), Ordering::SeqCst);
            *running = Some(process);
        }
        running
            .as_mut()
            .ok_or_else(|| EngineError::Other("worker vanished while starting".into()))
    }
}

/// Stops a supervisor's idle worker; ends when the supervisor is dropped.
fn spawn_idle_reaper<P: Protocol>(
    running: Weak<Mutex<Option<Process<P>>>>,
    pid: Arc<AtomicU32>,
    idle: Duration,
) {
    let interval = (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
    thread::spawn(move || {
        loop {
            thread::sleep(interval);
            let Some(running) = running.upgrade() else {
                return;
            };
            // A busy lock means a request is in progress: the worker is not idle.
            let Ok(mut guard) = running.try_lock() else {
                continue;
            };
            if guard
                .as_ref()
                .is_some_and(|process| process.last_used.elapsed() >= idle)
            {
                tracing::info!(worker = P::WORKER, "stopping idle worker");
                guard.take();
                pid.store(0, Ordering::SeqCst);
            }
        }
    });
}

/// What came back for one request.
enum Reply<P: Protocol> {
    Result(P::Result),
    Error(WorkerError),
}

/// Why a request could not be answered by the process.
enum Failure {
    Cancelled,
    Crashed(String),
}

/// What the stdout reader thread passes on.
enum Incoming<P: Protocol> {
    Message(WorkerMessage<P>),
    Garbled(CodecError),
}

/// A started worker that has announced itself.
struct Process<P: Protocol> {
    io: WorkerIo<P>,
    ready: Ready<P>,
    last_used: Instant,
}

/// A worker process and the threads reading its output.
struct WorkerIo<P: Protocol> {
    child: Child,
    /// `None` once closed (on shutdown).
    stdin: Option<LineWriter<ChildStdin>>,
    /// Messages from the stdout reader thread; disconnected once stdout ends.
    messages: Receiver<Incoming<P>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// Disconnected once the stderr reader has read everything.
    stderr_done: Receiver<()>,
}

impl<P: Protocol> WorkerIo<P> {
    /// Checks the model, spawns the worker and waits for its ready line.
    fn start(spec: &WorkerSpec) -> Result<Process<P>, EngineError> {
        check_model(&spec.model, spec.model_format)?;
        let mut command = Command::new(&spec.binary);
        command
            .arg("--model")
            .arg(&spec.model)
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| {
            EngineError::Other(format!(
                "cannot start the {} worker {}: {e} (set LITTLEMONSTER_WORKER_DIR to the folder holding it)",
                P::WORKER,
                spec.binary.display()
            ))
        })?;
        tracing::info!(worker = P::WORKER, pid = child.id(), model = %spec.model.display(), "worker started");
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(stdin), Some(stdout), Some(stderr)) => (stdin, stdout, stderr),
                _ => return Err(EngineError::Other("worker pipes were not created".into())),
            };
        let messages = spawn_stdout_reader::<P>(stdout);
        let stderr_tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL_LINES)));
        let stderr_done = spawn_stderr_reader(stderr, stderr_tail.clone());
        let process = WorkerIo {
            child,
            stdin: Some(LineWriter::new(stdin)),
            messages,
            stderr_tail,
            stderr_done,
        };
        let first = match process.messages.recv_timeout(spec.ready_timeout) {
            Ok(Incoming::Message(message)) => message,
            Ok(Incoming::Garbled(error)) => {
                return Err(
                    process.crash_report(format!("protocol violation before ready: {error}"))
                );
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(process.crash_report("exited before ready".into()));
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(process
                    .crash_report(format!("not ready after {:?} (killed)", spec.ready_timeout)));
            }
        };
        match first {
            WorkerMessage::Ready(ready) if ready.worker == P::WORKER && ready.protocol == PROTOCOL_VERSION => {
                Ok(Process { io: process, ready, last_used: Instant::now() })
            }
            WorkerMessage::Ready(ready) => Err(process.crash_report(format!(
                "{} is a {:?} worker speaking protocol {}, expected {:?} protocol {PROTOCOL_VERSION}",
                spec.binary.display(),
                ready.worker,
                ready.protocol,
                P::WORKER
            ))),
            WorkerMessage::Fatal { error } => {
                let tail = process.shut_down_and_collect_tail();
                tracing::warn!(worker = P::WORKER, %error, stderr = ?tail, "worker could not start");
                Err(engine_error(error))
            }
            other => Err(process.crash_report(format!("protocol violation: {other:?} before ready"))),
        }
    }

    fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a request and relays its events until its result or error.
    fn exchange(
        &mut self,
        id: u64,
        request: P::Request,
        spec: &WorkerSpec,
        cancel: Option<&AtomicBool>,
        on_event: &mut dyn FnMut(WorkerEvent<P>),
    ) -> Result<Reply<P>, Failure> {
        let envelope = RequestEnvelope::<P> { id, request };
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| Failure::Crashed("stdin already closed".into()))?;
        if let Err(error) = stdin.send(&envelope) {
            return Err(Failure::Crashed(format!(
                "cannot send the request: {error}"
            )));
        }
        let mut last_message = Instant::now();
        loop {
            let incoming = match self.messages.recv_timeout(POLL_INTERVAL) {
                Ok(incoming) => incoming,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Failure::Crashed("stopped answering (stdout closed)".into()));
                }
                Err(RecvTimeoutError::Timeout) => {
                    if cancel.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
                        return Err(Failure::Cancelled);
                    }
                    if let Some(stall) = spec.stall_timeout
                        && last_message.elapsed() >= stall
                    {
                        return Err(Failure::Crashed(format!(
                            "silent for {stall:?} during a request (killed)"
                        )));
                    }
                    continue;
                }
            };
            last_message = Instant::now();
            match incoming {
                Incoming::Message(WorkerMessage::Progress { id: got, fraction }) if got == id => {
                    on_event(WorkerEvent::Progress(fraction));
                }
                Incoming::Message(WorkerMessage::Stream { id: got, data }) if got == id => {
                    on_event(WorkerEvent::Stream(data));
                }
                Incoming::Message(WorkerMessage::Result { id: got, data }) if got == id => {
                    return Ok(Reply::Result(data));
                }
                Incoming::Message(WorkerMessage::Error { id: got, error }) if got == id => {
                    return Ok(Reply::Error(error));
                }
                Incoming::Message(other) => {
                    return Err(Failure::Crashed(format!(
                        "protocol violation: unexpected {other:?}"
                    )));
                }
                Incoming::Garbled(error) => {
                    return Err(Failure::Crashed(format!("protocol violation: {error}")));
                }
            }
        }
    }

    /// Makes sure the process is gone and describes its end as a [`EngineError::WorkerCrashed`].
    fn crash_report(mut self, what: String) -> EngineError {
        let status = self.kill_and_wait();
        let tail = self.collect_tail();
        let reason = match status {
            Some(status) => format!("{what}; {}", describe_exit(status)),
            None => what,
        };
        tracing::warn!(worker = P::WORKER, %reason, "worker crashed");
        crashed(P::WORKER, reason, tail)
    }

    /// Closes stdin, lets the worker exit (or kills it) and returns its stderr tail.
    fn shut_down_and_collect_tail(mut self) -> Vec<String> {
        self.shut_down();
        self.collect_tail()
    }

    /// The captured stderr, after waiting briefly for the reader to drain the pipe.
    fn collect_tail(&self) -> Vec<String> {
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(1));
        self.stderr_tail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Kills the worker if it is still running and reaps it. `None` if it cannot be waited for.
    fn kill_and_wait(&mut self) -> Option<ExitStatus> {
        // It may have exited just now: give a dying process a moment, so its real status (for
        // example SIGABRT) is reported rather than our SIGKILL.
        if let Some(status) = self.wait_for_exit(Duration::from_millis(500)) {
            return Some(status);
        }
        self.kill();
        self.child.try_wait().ok().flatten()
    }

    fn wait_for_exit(&mut self, grace: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + grace;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                _ => return None,
            }
        }
    }

    /// Stops the worker at once.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Orderly stop: close stdin so the worker exits by itself, kill it if it does not.
    fn shut_down(&mut self) {
        self.stdin.take();
        if self.wait_for_exit(EXIT_GRACE).is_none() {
            self.kill();
        }
    }
}

impl<P: Protocol> Drop for WorkerIo<P> {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.shut_down();
        }
    }
}

/// Reads the worker's stdout into a channel until it ends.
fn spawn_stdout_reader<P: Protocol>(stdout: impl Read + Send + 'static) -> Receiver<Incoming<P>> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = LineReader::new(BufReader::new(stdout), DEFAULT_MAX_LINE);
        loop {
            let incoming = match lines.read::<WorkerMessage<P>>() {
                Ok(Some(message)) => Incoming::Message(message),
                Ok(None) | Err(CodecError::Io(_)) => return,
                Err(error) => Incoming::Garbled(error),
            };
            if sender.send(incoming).is_err() {
                return;
            }
        }
    });
    receiver
}

/// Keeps the last [`STDERR_TAIL_LINES`] lines of the worker's stderr (also logged at debug level).
fn spawn_stderr_reader(
    stderr: impl Read + Send + 'static,
    tail: Arc<Mutex<VecDeque<String>>>,
) -> Receiver<()> {
    let (done, done_receiver) = mpsc::channel::<()>();
    thread::spawn(move || {
        let _done = done; // Dropped when this thread ends, which the receiver observes.
        let mut reader = BufReader::new(stderr);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            // Bounded per line so a worker printing without newlines cannot exhaust memory.
            match (&mut reader).take(64 * 1024).read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buffer).trim_end().to_owned();
            tracing::debug!(target: "lm_core::workers::stderr", "{line}");
            let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
            if tail.len() == STDERR_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    });
    done_receiver
}

/// Rejects a missing, empty or wrong-format model file before a worker tries to load it.
fn check_model(path: &Path, expected: ModelFormat) -> Result<(), EngineError> {
    let bad = |problem: String| EngineError::BadModel {
        path: path.to_owned(),
        problem,
    };
    match sniff_format(path) {
        Ok(format) if format == expected => Ok(()),
        Ok(format) => Err(bad(format!(
            "is a {format} file, expected a {expected} model"
        ))),
        Err(ModelError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Err(
            bad("file not found: run scripts/fetch-models or choose another model".into()),
        ),
        Err(ModelError::Io { source, .. }) => Err(bad(format!("cannot read: {source}"))),
        Err(ModelError::EmptyFile { .. }) => {
            Err(bad("file is empty (an interrupted download?)".into()))
        }
        Err(ModelError::UnknownFormat { head, .. }) => Err(bad(format!(
            "not a {expected} model file (starts with bytes {head})"
        ))),
        Err(other) => Err(bad(other.to_string())),
    }
}

/// Maps a worker's error to the engine error the core reports.
fn engine_error(error: WorkerError) -> EngineError {
    match error {
        WorkerError::BadInput { path, message } => EngineError::BadInput {
            path,
            problem: message,
        },
        WorkerError::BadModel { path, message } => EngineError::BadModel {
            path,
            problem: message,
        },
        WorkerError::ContextOverflow { needed, limit } => {
            EngineError::ContextOverflow { needed, limit }
        }
        WorkerError::OutputCutOff { max_tokens } => EngineError::OutputCutOff { max_tokens },
        other @ (WorkerError::UnsupportedCpu { .. }
        | WorkerError::BadRequest { .. }
        | WorkerError::Internal { .. }) => EngineError::Other(other.to_string()),
    }
}

fn crashed(worker: &str, reason: String, stderr_tail: Vec<String>) -> EngineError {
    EngineError::WorkerCrashed {
        worker: worker.to_owned(),
        reason,
        stderr_tail,
    }
}

/// "exited with status 3", "killed by SIGABRT".
fn describe_exit(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                4 => "SIGILL (the CPU lacks an instruction the worker was built for)",
                6 => "SIGABRT",
                7 => "SIGBUS",
                8 => "SIGFPE",
                9 => "SIGKILL",
                11 => "SIGSEGV",
                13 => "SIGPIPE",
                15 => "SIGTERM",
                _ => return format!("killed by signal {signal}"),
            };
            return format!("killed by {name}");
        }
    }
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("ended: {status}"),
    }
}
