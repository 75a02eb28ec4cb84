//! The `transcribe` job: a lecture's media to stored, timed transcript segments.
//!
//! 1. **Decode** the media (any format `lm-media` reads) once to a 16 kHz mono WAV in the
//!    profile's `cache/` folder; a resumed job re-uses it.
//! 2. **Find speech** with the [`VoiceActivityDetector`], streaming the WAV through it in blocks,
//!    and **plan chunks** ([`plan_chunks`]): silence, music and noise are in no chunk, so they are
//!    never transcribed.
//! 3. For each chunk: cut its audio to a temporary WAV, **transcribe** it (the cancel flag goes
//!    to the engine, which stops mid-chunk), move the timestamps onto the recording's timeline
//!    and **clean** them ([`super::cleanup`]); then store the chunk's segments **and** the job's
//!    checkpoint (next chunk) in one transaction
//!    ([`Jobs::checkpoint_with_segments`](crate::store::Jobs::checkpoint_with_segments)). A killed
//!    process therefore resumes at the first chunk whose segments are not stored: nothing is
//!    transcribed twice, stored twice or lost.
//!
//! 4. **Label speakers** when a speaker model is installed ([`super::speakers`]): one
//!    transaction sets every segment's speaker; a lecture with one voice keeps none. Skipped
//!    quietly without the model; a failure is logged and never fails the transcription.
//!
//! The speech spans and the chunk plan are part of the checkpoint, so a resumed job works on
//! exactly the plan its first attempt made. The lecture goes `imported` → `transcribing` →
//! `transcribed`, or `failed` (the job keeps the error) / back to `imported` when cancelled.
//!
//! Word-level timestamps are not stored yet: the stt worker's protocol carries segments only.

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hound::{SampleFormat, WavReader, WavSpec, WavWriter};
use lm_media::MediaError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cleanup::clean_chunk_segments;
use super::index::IndexRequest;
use super::speakers::{DiarizerFactory, label_speakers};
use crate::chunk_plan::{ChunkPlanSettings, TranscriptionChunk, plan_chunks};
use crate::engines::{
    EngineError, SpeechSpan, TranscribeOptions, Transcriber, VoiceActivityDetector,
};
use crate::jobs::{JobContext, JobError, JobHandler, Lane};
use crate::library::Library;
use crate::store::{
    ChunkSource, Job, JobProgress, JobStatus, Lecture, LectureId, LectureStatus, NewJob,
    SegmentInput, Store, StoreError,
};

/// The job kind of a lecture transcription.
pub const TRANSCRIBE_JOB: &str = "transcribe";

/// Sample rate of the decoded WAV (what Whisper and the detector take).
const SAMPLE_RATE: u32 = 16_000;
/// Samples fed to the detector per call: 10 s.
const VAD_BLOCK_SAMPLES: usize = 160_000;
/// Share of the progress bar given to decoding, then to finding speech; chunks fill the rest.
const DECODE_SHARE: f64 = 0.04;
const VAD_SHARE: f64 = 0.04;

/// The arguments of a `transcribe` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscribeRequest {
    /// The lecture to transcribe.
    pub lecture_id: LectureId,
    /// A fixed language code ("en"), or `None` to detect it (English-only models use English).
    #[serde(default)]
    pub language: Option<String>,
}

impl TranscribeRequest {
    /// The job for this request; at most one is queued or running per lecture.
    pub fn to_job(&self, priority: i64) -> NewJob {
        NewJob {
            priority,
            dedupe_key: Some(format!("{TRANSCRIBE_JOB}:{}", self.lecture_id)),
            ..NewJob::new(TRANSCRIBE_JOB, serde_json::json!(self))
        }
    }
}

/// Where a transcription job stands, stored as its checkpoint after every chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscribeCheckpoint {
    /// Length of the decoded recording.
    pub duration_ms: u64,
    /// The speech the detector found.
    pub speech: Vec<SpeechSpan>,
    /// The chunk plan, `[start_ms, end_ms]` each.
    pub chunks: Vec<[u64; 2]>,
    /// The first chunk whose segments are not stored yet.
    pub next_chunk: usize,
    /// For each finished chunk, the job attempt that transcribed it: after a resume the earlier
    /// chunks keep their first attempt's number.
    pub chunk_attempts: Vec<u32>,
}

/// Makes a fresh voice-activity detector for each job (they are stateful and not shared).
pub type VadFactory =
    Box<dyn Fn() -> Result<Box<dyn VoiceActivityDetector>, EngineError> + Send + Sync>;

/// Runs `transcribe` jobs on the [`Lane::Stt`] lane. See the module documentation.
pub struct TranscribeHandler {
    /// The profile folder, which recorded media paths are relative to.
    profile_dir: PathBuf,
    cache_dir: PathBuf,
    transcriber: Arc<dyn Transcriber>,
    new_vad: VadFactory,
    new_diarizer: Option<DiarizerFactory>,
    threads: Option<u32>,
    plan: ChunkPlanSettings,
}

impl TranscribeHandler {
    /// A handler for the lectures of `library`, transcribing with `transcriber` (the
    /// worker-backed one in the app) and finding speech with detectors from `new_vad`.
    pub fn new(library: &Library, transcriber: Arc<dyn Transcriber>, new_vad: VadFactory) -> Self {
        Self {
            profile_dir: library.dir().to_path_buf(),
            cache_dir: library.dir().join("cache"),
            transcriber,
            new_vad,
            new_diarizer: None,
            threads: None,
            plan: ChunkPlanSettings::default(),
        }
    }

    /// CPU threads for the transcriber (`None`: the engine's default).
    pub fn with_threads(mut self, threads: Option<u32>) -> Self {
        self.threads = threads;
        self
    }

    /// Label the speakers of each transcribed lecture with diarizers from `new_diarizer` (see
    /// [`super::speakers`]); without this, no speaker labels are made.
    pub fn with_speakers(mut self, new_diarizer: DiarizerFactory) -> Self {
        self.new_diarizer = Some(new_diarizer);
        self
    }

    /// How chunks are planned (tests use short chunks to get many of them).
    pub fn with_chunk_plan(mut self, plan: ChunkPlanSettings) -> Self {
        self.plan = plan;
        self
    }

    /// The decoded 16 kHz WAV of a lecture, kept while its transcription is unfinished.
    pub fn decoded_wav(&self, lecture_id: &LectureId) -> PathBuf {
        self.cache_dir.join(format!("{lecture_id}.16k.wav"))
    }

    /// Decodes the lecture's media to [`Self::decoded_wav`] unless an earlier attempt did.
    fn decode(&self, context: &JobContext<'_>, lecture: &Lecture) -> Result<PathBuf, JobError> {
        let wav = self.decoded_wav(&lecture.id);
        if wav.is_file() {
            return Ok(wav);
        }
        fs::create_dir_all(&self.cache_dir).map_err(|error| {
            JobError::Retryable(format!(
                "cannot create the folder {}: {error}",
                self.cache_dir.display()
            ))
        })?;
        context.report(&progress(0.0, None, "decoding the audio"), None)?;
        let source = self.profile_dir.join(&lecture.media_path);
        let report = lm_media::transcode_to_wav16k(
            &source,
            &wav,
            &mut |decoded| {
                let fraction = decoded
                    .total_seconds
                    .filter(|total| *total > 0.0)
                    .map_or(0.0, |total| (decoded.decoded_seconds / total).min(1.0));
                // A failed report (a cancel) has set the flag the decoder watches.
                let _ = context.report(
                    &progress(fraction * DECODE_SHARE, None, "decoding the audio"),
                    None,
                );
            },
            context.cancel_flag(),
        )
        .map_err(media_error)?;
        for warning in &report.warnings {
            tracing::warn!(lecture = %lecture.id, "{warning}");
        }
        Ok(wav)
    }

    /// Finds the speech in `wav`, plans the chunks, clears any older transcript and stores the
    /// plan as the job's first checkpoint.
    fn plan(
        &self,
        context: &JobContext<'_>,
        lecture: &Lecture,
        wav: &Path,
    ) -> Result<TranscribeCheckpoint, JobError> {
        let mut reader = open_wav(wav)?;
        let total_samples = reader.duration();
        let duration_ms = u64::from(total_samples) * 1000 / u64::from(SAMPLE_RATE);
        let store = context.store();
        store.lectures().set_duration(&lecture.id, duration_ms)?;

        let mut vad = (self.new_vad)()?;
        let mut speech = Vec::new();
        let mut block = Vec::with_capacity(VAD_BLOCK_SAMPLES);
        let mut samples = reader.samples::<i16>();
        let mut seen: u64 = 0;
        loop {
            block.clear();
            for sample in samples.by_ref().take(VAD_BLOCK_SAMPLES) {
                block.push(f32::from(sample.map_err(|e| bad_cache(wav, &e))?) / 32_768.0);
            }
            if block.is_empty() {
                break;
            }
            seen += block.len() as u64;
            speech.extend(vad.push(&block)?);
            context.check_cancelled()?;
            let fraction = seen as f64 / f64::from(total_samples.max(1));
            context.report(
                &progress(
                    DECODE_SHARE + fraction * VAD_SHARE,
                    None,
                    "finding the speech",
                ),
                None,
            )?;
        }
        speech.extend(vad.finish()?);
        let chunks = plan_chunks(&speech, duration_ms, &self.plan)
            .iter()
            .map(|chunk| [chunk.start_ms, chunk.end_ms])
            .collect();
        let checkpoint = TranscribeCheckpoint {
            duration_ms,
            speech,
            chunks,
            next_chunk: 0,
            chunk_attempts: Vec::new(),
        };
        // A recording with no speech at all has an empty transcript. Otherwise an older
        // transcript (a recording's live one, a re-transcribe) stays until the first chunk of
        // the new one is stored with it, in one transaction.
        if checkpoint.chunks.is_empty() {
            store.transcripts().replace(&lecture.id, &[])?;
        }
        context.report(
            &progress(DECODE_SHARE + VAD_SHARE, Some(0.0), "speech found"),
            Some(&to_value(&checkpoint)?),
        )?;
        Ok(checkpoint)
    }

    /// Transcribes the chunks from `checkpoint.next_chunk` on, storing each with the checkpoint.
    fn transcribe_chunks(
        &self,
        context: &JobContext<'_>,
        lecture: &Lecture,
        wav: &Path,
        mut checkpoint: TranscribeCheckpoint,
        language: Option<String>,
    ) -> Result<(), JobError> {
        let store = context.store();
        let job = context.job();
        let options = TranscribeOptions {
            language,
            threads: self.threads,
        };
        let mut reader = open_wav(wav)?;
        let chunk_total: u64 = checkpoint.chunks.iter().map(|[s, e]| e - s).sum();
        let mut chunk_done: u64 = checkpoint.chunks
            [..checkpoint.next_chunk.min(checkpoint.chunks.len())]
            .iter()
            .map(|[s, e]| e - s)
            .sum();
        // The last segment kept so far, to catch a loop repeated across a chunk boundary; a
        // job that has not stored a chunk yet must not look at an older transcript.
        let mut previous = if checkpoint.next_chunk == 0 {
            None
        } else {
            store
                .transcripts()
                .list(&lecture.id)?
                .pop()
                .map(|row| row.segment.text)
        };
        let count = checkpoint.chunks.len();
        for index in checkpoint.next_chunk..count {
            context.check_cancelled()?;
            let [start_ms, end_ms] = checkpoint.chunks[index];
            let chunk = TranscriptionChunk { start_ms, end_ms };
            let chunk_wav = self.cut_chunk(&mut reader, &chunk, wav)?;
            let segments = self.transcriber.transcribe_cancellable(
                chunk_wav.path(),
                &options,
                Some(context.cancel_flag()),
                &mut |_| {},
            )?;
            let kept =
                clean_chunk_segments(&chunk, segments, &checkpoint.speech, previous.as_deref());
            if let Some(last) = kept.last() {
                previous = Some(last.text.clone());
            }
            chunk_done += chunk.duration_ms();
            checkpoint.next_chunk = index + 1;
            checkpoint.chunk_attempts.push(job.attempts);
            let fraction = DECODE_SHARE
                + VAD_SHARE
                + (1.0 - DECODE_SHARE - VAD_SHARE) * chunk_done as f64 / chunk_total.max(1) as f64;
            let report = progress(
                fraction.min(1.0),
                Some(end_ms as f64 / 1000.0),
                &format!("transcribed chunk {} of {count}", index + 1),
            );
            let inputs: Vec<SegmentInput> = kept.into_iter().map(SegmentInput::from).collect();
            store.jobs().checkpoint_with_segments(
                &job.id,
                &report,
                &to_value(&checkpoint)?,
                &lecture.id,
                &inputs,
                index == 0,
            )?;
            context.published(&report);
        }
        Ok(())
    }

    /// Writes `chunk` of the decoded recording to a temporary WAV beside it.
    fn cut_chunk(
        &self,
        reader: &mut WavReader<BufReader<fs::File>>,
        chunk: &TranscriptionChunk,
        wav: &Path,
    ) -> Result<tempfile::NamedTempFile, JobError> {
        let range = chunk.sample_range(SAMPLE_RATE);
        let start = u32::try_from(range.start).map_err(|_| bad_cache(wav, &"too long"))?;
        reader.seek(start).map_err(|e| bad_cache(wav, &e))?;
        let io_error = |e: &dyn std::fmt::Display| {
            JobError::Retryable(format!("cannot write a chunk of {}: {e}", wav.display()))
        };
        let file = tempfile::Builder::new()
            .prefix(".chunk-")
            .suffix(".wav")
            .tempfile_in(&self.cache_dir)
            .map_err(|e| io_error(&e))?;
        let spec = WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        };
        let mut writer = WavWriter::new(std::io::BufWriter::new(file.as_file()), spec)
            .map_err(|e| io_error(&e))?;
        for sample in reader.samples::<i16>().take(range.len()) {
            writer
                .write_sample(sample.map_err(|e| bad_cache(wav, &e))?)
                .map_err(|e| io_error(&e))?;
        }
        writer.finalize().map_err(|e| io_error(&e))?;
        Ok(file)
    }

    /// Labels the speakers of the finished transcript, when a speaker model is installed. Only a
    /// cancel stops the job here: every other failure is logged and the transcript is kept
    /// without labels.
    fn label_speakers(
        &self,
        context: &JobContext<'_>,
        lecture: &Lecture,
        wav: &Path,
    ) -> Result<(), JobError> {
        let Some(new_diarizer) = &self.new_diarizer else {
            return Ok(());
        };
        let diarizer = match new_diarizer() {
            Ok(Some(diarizer)) => diarizer,
            Ok(None) => {
                tracing::info!(lecture = %lecture.id, "no speaker model installed: no speaker labels");
                return Ok(());
            }
            Err(error) => {
                tracing::warn!(lecture = %lecture.id, "speaker labels skipped: {error}");
                return Ok(());
            }
        };
        context.report(&progress(1.0, None, "telling the speakers apart"), None)?;
        let started = std::time::Instant::now();
        match label_speakers(
            context.store(),
            &lecture.id,
            wav,
            diarizer.as_ref(),
            &|| context.check_cancelled(),
        ) {
            Ok(outcome) => {
                tracing::info!(
                    lecture = %lecture.id,
                    speakers = outcome.speakers,
                    labelled = outcome.labelled,
                    seconds = started.elapsed().as_secs_f64(),
                    "speaker labels"
                );
                Ok(())
            }
            Err(JobError::Cancelled) => Err(JobError::Cancelled),
            Err(error) => {
                tracing::warn!(lecture = %lecture.id, "speaker labels failed: {error}");
                Ok(())
            }
        }
    }

    fn remove_decoded(&self, lecture_id: &LectureId) {
        let wav = self.decoded_wav(lecture_id);
        if let Err(error) = fs::remove_file(&wav)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {error}", wav.display());
        }
    }
}

impl JobHandler for TranscribeHandler {
    fn kind(&self) -> &str {
        TRANSCRIBE_JOB
    }

    fn lane(&self) -> Lane {
        Lane::Stt
    }

    fn run(&self, context: &JobContext<'_>) -> Result<(), JobError> {
        let job = context.job();
        let request = request_of(job)?;
        let store = context.store();
        let lecture = store
            .lectures()
            .get(&request.lecture_id)
            .map_err(|error| match error {
                StoreError::NotFound { .. } => {
                    JobError::Permanent(format!("lecture {} no longer exists", request.lecture_id))
                }
                other => JobError::from(other),
            })?;
        store
            .lectures()
            .set_status(&lecture.id, LectureStatus::Transcribing)?;
        let wav = self.decode(context, &lecture)?;
        // A checkpoint this version cannot read (written by an older one) means starting over.
        let checkpoint = match job
            .checkpoint
            .clone()
            .and_then(|value| serde_json::from_value::<TranscribeCheckpoint>(value).ok())
        {
            Some(checkpoint) => checkpoint,
            None => self.plan(context, &lecture, &wav)?,
        };
        self.transcribe_chunks(context, &lecture, &wav, checkpoint, request.language)?;
        self.label_speakers(context, &lecture, &wav)?;
        store
            .lectures()
            .set_status(&lecture.id, LectureStatus::Transcribed)?;
        // The transcript is complete: make it searchable. Queued before this job is marked done,
        // so a crash in between re-runs this (finished) job, which queues it then.
        IndexRequest {
            source: ChunkSource::Lecture(lecture.id.clone()),
        }
        .enqueue(store)?;
        self.remove_decoded(&lecture.id);
        Ok(())
    }

    fn on_ended(&self, store: &Store, job: &Job) -> Result<(), StoreError> {
        let Ok(request) = request_of(job) else {
            return Ok(());
        };
        self.remove_decoded(&request.lecture_id);
        let status = if job.status == JobStatus::Cancelled {
            LectureStatus::Imported
        } else {
            LectureStatus::Failed
        };
        match store.lectures().set_status(&request.lecture_id, status) {
            Err(StoreError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}

fn request_of(job: &Job) -> Result<TranscribeRequest, JobError> {
    serde_json::from_value(job.payload.clone()).map_err(|error| {
        JobError::Permanent(format!(
            "job {} is not a transcription request: {error}",
            job.id
        ))
    })
}

fn progress(fraction: f64, seconds: Option<f64>, message: &str) -> JobProgress {
    JobProgress {
        fraction,
        seconds,
        message: Some(message.to_owned()),
    }
}

fn to_value(checkpoint: &TranscribeCheckpoint) -> Result<Value, JobError> {
    serde_json::to_value(checkpoint)
        .map_err(|error| JobError::Retryable(format!("cannot save the checkpoint: {error}")))
}

fn open_wav(wav: &Path) -> Result<WavReader<BufReader<fs::File>>, JobError> {
    WavReader::open(wav).map_err(|error| bad_cache(wav, &error))
}

/// Our own decoded WAV is unreadable: remove it so the retry decodes again.
fn bad_cache(wav: &Path, error: &dyn std::fmt::Display) -> JobError {
    let _ = fs::remove_file(wav);
    JobError::Retryable(format!(
        "the decoded audio {} is damaged: {error}",
        wav.display()
    ))
}

/// A decoding failure as a job failure: a damaged or unsupported file fails at once (with the
/// decoder's message, which names the file and the problem); a disk problem is retried.
fn media_error(error: MediaError) -> JobError {
    match error {
        MediaError::Cancelled { .. } => JobError::Cancelled,
        MediaError::Read { .. } | MediaError::Write { .. } => {
            JobError::Retryable(error.to_string())
        }
        other => JobError::Permanent(other.to_string()),
    }
}
