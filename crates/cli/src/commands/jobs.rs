//! `littlemonster jobs`: the durable job queue (list, run, cancel, retry), and the runner setup
//! that `littlemonster import` shares.

use std::collections::HashMap;
use std::thread::{self, JoinHandle};

use anyhow::{Context, bail};
use lm_core::jobs::{JobEvent, JobRunner, RunSummary};
use lm_core::store::{Job, JobId, JobStatus};
use lm_services::{DEFAULT_LLM_MODEL, EngineSettings, Services};

use crate::ModelArgs;
use crate::library::open_services;
use crate::stats::Stats;

/// What `littlemonster jobs` does.
#[derive(Debug, clap::Subcommand)]
pub enum JobsAction {
    /// List the jobs (unfinished ones, or all with --all).
    List {
        /// Also list finished, failed and cancelled jobs.
        #[arg(long)]
        all: bool,
    },
    /// Run every due job until the queue is idle, printing progress.
    Run {
        /// `--model` names the speech-to-text model; notes, quizzes and cards use this one.
        #[arg(long)]
        llm_model: Option<String>,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Cancel a queued or running job (a running one stops at its next chunk).
    Cancel {
        /// The job id.
        id: String,
    },
    /// Queue a failed or cancelled job again; it resumes from its last checkpoint.
    Retry {
        /// The job id.
        id: String,
    },
}

/// Runs a `jobs` subcommand.
pub fn run(action: JobsAction, stats: Stats) -> anyhow::Result<()> {
    let settings = match &action {
        JobsAction::Run { llm_model, model } => EngineSettings {
            llm_model: llm_model.clone().unwrap_or(DEFAULT_LLM_MODEL.into()),
            ..model.whisper_settings()
        },
        _ => EngineSettings::default(),
    };
    let services = open_services(settings)?;
    let library = services.library();
    match action {
        JobsAction::List { all } => {
            for job in library.store().jobs().list(None)? {
                if all || matches!(job.status, JobStatus::Queued | JobStatus::Running) {
                    println!("{}", job_line(&job));
                }
            }
            Ok(())
        }
        JobsAction::Run { .. } => {
            let summary = run_with_progress(services.job_runner()?, ProgressTo::Stdout, |_| true)?;
            println!("{}", summary_line(&summary));
            stats.report(
                "jobs run",
                serde_json::json!({ "done": summary.done, "failed": summary.failed }),
            );
            Ok(())
        }
        JobsAction::Cancel { id } => {
            let id = JobId::from(id);
            services.job_runner()?.cancel(library.store(), &id)?;
            println!("cancelled job {id}");
            Ok(())
        }
        JobsAction::Retry { id } => {
            let id = JobId::from(id);
            library.store().jobs().retry(&id)?;
            println!("job {id} is queued again; run `littlemonster jobs run` to run it");
            Ok(())
        }
    }
}

/// Where progress lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressTo {
    /// With the command's other output (`import`, `jobs run`).
    Stdout,
    /// Apart from it, for commands whose stdout is their result (`notes` prints Markdown).
    Stderr,
}

/// Runs the queue until idle, printing the progress of job `id` to stderr, and returns that job once it
/// is done; an error with the job's own message when it failed, was cancelled or waits for a
/// retry.
pub fn run_job(services: &Services, id: &JobId) -> anyhow::Result<Job> {
    let watched = id.clone();
    run_with_progress(services.job_runner()?, ProgressTo::Stderr, move |event| {
        event.job_id == watched
    })?;
    let job = services.library().store().jobs().get(id)?;
    let error = job.error.as_deref().unwrap_or("no reason given");
    match job.status {
        JobStatus::Done => Ok(job),
        JobStatus::Failed => bail!("the {} job failed: {error}", job.kind),
        JobStatus::Cancelled => bail!("the {} job was cancelled", job.kind),
        JobStatus::Queued if job.attempts > 0 => bail!(
            "the {} job failed and will be retried (`littlemonster jobs run`): {error}",
            job.kind
        ),
        status => bail!("the {} job is still {status}", job.kind),
    }
}

/// Runs the queue until idle, printing a progress line whenever a job for which `show` holds
/// moves by a percent or changes what it is doing.
pub fn run_with_progress(
    runner: JobRunner,
    output: ProgressTo,
    show: impl Fn(&JobEvent) -> bool + Send + 'static,
) -> anyhow::Result<RunSummary> {
    let events = runner.subscribe();
    let printer: JoinHandle<()> = thread::spawn(move || {
        let mut last: HashMap<JobId, (JobStatus, i64, Option<String>)> = HashMap::new();
        for event in events {
            if !show(&event) {
                continue;
            }
            let key = (
                event.status,
                event.percent.floor() as i64,
                event.message.clone(),
            );
            if last.get(&event.job_id) == Some(&key) {
                continue;
            }
            last.insert(event.job_id.clone(), key);
            match output {
                ProgressTo::Stdout => println!("{}", event_line(&event)),
                ProgressTo::Stderr => eprintln!("{}", event_line(&event)),
            }
        }
    });
    let summary = run_follow_ups(&runner).context("running the job queue");
    // Dropping the runner closes the event channel: the printer ends after the last event.
    drop(runner);
    let _ = printer.join();
    summary
}

/// Runs the queue until a pass finds nothing to do. One pass is not enough: each lane stops as
/// soon as it finds no job of its own, so a job that another lane queues later (a finished
/// transcription queues its lecture's indexing) waits for the next pass.
fn run_follow_ups(runner: &JobRunner) -> Result<RunSummary, lm_core::jobs::JobRunnerError> {
    let mut total = RunSummary::default();
    loop {
        let pass = runner.run_until_idle()?;
        total.recovered += pass.recovered;
        total.done += pass.done;
        total.failed += pass.failed;
        total.cancelled += pass.cancelled;
        total.retrying += pass.retrying;
        if pass.done + pass.failed + pass.cancelled + pass.retrying == 0 {
            return Ok(total);
        }
    }
}

fn event_line(event: &JobEvent) -> String {
    let seconds = event
        .seconds_processed
        .map(|s| format!(", {s:.0} s of audio"))
        .unwrap_or_default();
    let message = event
        .message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    format!(
        "job {} ({}) {} {:.0}%{seconds}{message}",
        event.job_id, event.kind, event.status, event.percent
    )
}

fn job_line(job: &Job) -> String {
    let seconds = job
        .progress_seconds
        .map(|s| format!(" {s:.0} s"))
        .unwrap_or_default();
    let detail = job
        .error
        .as_deref()
        .filter(|_| job.status != JobStatus::Done)
        .or(job.progress_message.as_deref())
        .map(|m| format!("  {m}"))
        .unwrap_or_default();
    format!(
        "{}  {:<10} {:<9} {:>3.0}%{seconds}  attempt {}/{}{detail}",
        job.id,
        job.kind,
        job.status,
        job.progress * 100.0,
        job.attempts,
        job.max_attempts
    )
}

/// One line about a finished run.
pub fn summary_line(summary: &RunSummary) -> String {
    let mut line = format!(
        "jobs: {} done, {} failed, {} cancelled",
        summary.done, summary.failed, summary.cancelled
    );
    if summary.recovered > 0 {
        line.push_str(&format!(
            ", {} resumed after an interruption",
            summary.recovered
        ));
    }
    if summary.retrying > 0 {
        line.push_str(&format!(
            ", {} waiting to retry (run `littlemonster jobs run` again later)",
            summary.retrying
        ));
    }
    line
}
