//! `littlemonster import`: lecture and document files and folders into a class; lectures are
//! transcribed, and both are indexed for search.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use lm_core::document_import::import_document;
use lm_core::ingest::{
    FileKind, INDEX_JOB, ImportOptions, ImportOutcome, IndexRequest, files_to_import,
    import_lecture,
};
use lm_core::library::Library;
use lm_core::store::{ChunkSource, JobId, JobStatus, LectureId, LectureStatus};

use super::jobs::{ProgressTo, run_with_progress, summary_line};
use crate::ModelArgs;
use crate::library::open_services;
use crate::stats::Stats;

/// Arguments of `littlemonster import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Audio, video or document files (PDF, DOCX, Markdown, text, pictures), or folders to
    /// import everything under (recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The class the lectures and documents belong to (created if new).
    #[arg(long)]
    class: String,
    /// The lecture title (only with a single file; default: from the file name).
    #[arg(long)]
    title: Option<String>,
    /// Language of the lectures ("en"); detected when omitted.
    #[arg(long)]
    language: Option<String>,
    /// Queue the transcriptions and indexing and return instead of running them now.
    #[arg(long)]
    no_wait: bool,
    #[command(flatten)]
    model: ModelArgs,
}

/// One line per file (imported / duplicate / failed), then the queue runs until the new
/// transcriptions finish (unless `--no-wait`). Fails when any file or transcription failed.
pub fn run(args: ImportArgs, stats: Stats) -> anyhow::Result<()> {
    let services = open_services(args.model.whisper_settings())?;
    let library = services.library();
    let class = library.class_named(&args.class)?;
    let files = files_to_import(&args.paths);
    if args.title.is_some() && files.len() != 1 {
        anyhow::bail!(
            "--title names one lecture, but {} files were given",
            files.len()
        );
    }
    let options = ImportOptions {
        title: args.title.clone(),
        language: args.language.clone(),
        priority: 0,
    };
    let mut failures = 0;
    let mut queued: Vec<(JobId, LectureId, PathBuf)> = Vec::new();
    let mut indexing: Vec<(JobId, PathBuf)> = Vec::new();
    for file in files {
        let path = match file {
            Ok(path) => path,
            Err(error) => {
                failures += 1;
                println!("failed: {error}");
                continue;
            }
        };
        match FileKind::of(&path) {
            FileKind::Document => match import_document(library, &class.id, &path) {
                Ok(imported) => {
                    let document = &imported.document;
                    let verb = if imported.already_present {
                        "duplicate"
                    } else {
                        "imported"
                    };
                    println!(
                        "{verb}: {} as \"{}\" (document {}, {} pages, {} chunks)",
                        path.display(),
                        document.title,
                        document.id,
                        imported.pages,
                        imported.chunks
                    );
                    for notice in &imported.notices {
                        println!("  note: {notice}");
                    }
                    // A duplicate is indexed again too: that finishes an index job that failed
                    // before, and costs nothing when the document is already indexed.
                    let request = IndexRequest {
                        source: ChunkSource::Document(document.id.clone()),
                    };
                    let job = request.enqueue(library.store())?.id().clone();
                    indexing.push((job, path));
                }
                Err(error) => {
                    failures += 1;
                    println!("failed: {}: {error}", path.display());
                }
            },
            FileKind::Media | FileKind::Other => {
                match import_lecture(library, &class, &path, &options) {
                    Ok(ImportOutcome::Imported { lecture, job }) => {
                        println!(
                            "imported: {} as \"{}\" (lecture {}, transcription job {job})",
                            path.display(),
                            lecture.title,
                            lecture.id
                        );
                        queued.push((job, lecture.id, path));
                    }
                    Ok(ImportOutcome::AlreadyImported { lecture, job }) => {
                        println!(
                            "duplicate: {}: already imported as \"{}\" (lecture {})",
                            path.display(),
                            lecture.title,
                            lecture.id
                        );
                        if let Some(job) = job {
                            queued.push((job, lecture.id, path));
                        }
                    }
                    Err(error) => {
                        failures += 1;
                        println!("failed: {}: {error}", path.display());
                    }
                }
            }
        }
    }

    let mut audio_ms = 0;
    let mut segments = 0;
    let nothing_queued = queued.is_empty() && indexing.is_empty();
    if !args.no_wait && !nothing_queued {
        let watched: HashSet<JobId> = queued.iter().map(|(job, ..)| job.clone()).collect();
        // Index jobs show too: a transcription queues its lecture's when it finishes.
        let summary =
            run_with_progress(services.job_runner()?, ProgressTo::Stdout, move |event| {
                watched.contains(&event.job_id) || event.kind == INDEX_JOB
            })?;
        println!("{}", summary_line(&summary));
        for (job, path) in &indexing {
            let job = library.store().jobs().get(job)?;
            match job.status {
                JobStatus::Done => println!("indexed: {}", path.display()),
                status => {
                    failures += 1;
                    println!(
                        "not indexed: {}: indexing is {status}{}",
                        path.display(),
                        job.error.map(|e| format!(": {e}")).unwrap_or_default()
                    );
                }
            }
        }
        for (job, lecture, path) in &queued {
            let (ok, ms, count) = report_transcription(library, job, lecture, path)?;
            failures += usize::from(!ok);
            audio_ms += ms;
            segments += count;
        }
    }
    stats.report(
        "import",
        serde_json::json!({
            "files": queued.len() + indexing.len(),
            "documents": indexing.len(),
            "failed": failures,
            "audio_ms": audio_ms,
            "segments": segments,
            "threads": args.model.threads,
        }),
    );
    if failures > 0 {
        anyhow::bail!("{failures} file(s) could not be imported or transcribed (see above)");
    }
    Ok(())
}

/// Prints how a watched transcription ended; returns (success, audio ms, segments).
fn report_transcription(
    library: &Library,
    job: &JobId,
    lecture: &LectureId,
    path: &Path,
) -> anyhow::Result<(bool, u64, usize)> {
    let store = library.store();
    let job = store.jobs().get(job)?;
    let lecture = store.lectures().get(lecture)?;
    let segments = store.transcripts().list(&lecture.id)?.len();
    let audio_ms = lecture.duration_ms.unwrap_or(0);
    match job.status {
        JobStatus::Done => {
            let indexed = if lecture.status == LectureStatus::Indexed {
                ", indexed"
            } else {
                ", not indexed yet (`littlemonster jobs list`)"
            };
            println!(
                "transcribed: {} ({:.0} s of audio, {segments} segments{indexed}; `littlemonster transcript {}`)",
                path.display(),
                audio_ms as f64 / 1000.0,
                lecture.id
            );
            Ok((true, audio_ms, segments))
        }
        JobStatus::Failed => {
            println!(
                "failed: {}: {}",
                path.display(),
                job.error.as_deref().unwrap_or("unknown error")
            );
            Ok((false, audio_ms, segments))
        }
        other => {
            println!("{}: transcription is {other}", path.display());
            Ok((other != JobStatus::Cancelled, audio_ms, segments))
        }
    }
}
