//! Notes by map-reduce with the real SmolLM2-135M worker at a 2048-token context: a generated
//! 60-minute lecture is summarised as a job that is killed midway (the whole process, with
//! SIGKILL) and resumed without redoing finished batches; every citation points at a real chunk;
//! bad scopes are refused with nothing stored.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lm_core::chat::citations;
use lm_core::engines::{ChatMessage, EngineError, GenerateOptions, Generation, Llm};
use lm_core::jobs::JobRunner;
use lm_core::store::{
    ChunkSource, JobStatus, LectureId, NewChunk, NewLecture, SourceLocator, Store,
};
use lm_core::study::notes::{self, NotesCheckpoint, NotesGenerator, NotesJob, NotesRequest};
use lm_core::study::{StudyError, StudyScope};
use lm_core::workers::llm::WorkerLlm;

const CONTEXT: u32 = 2048;
/// The child process runs the job when this names its database.
const CHILD_DB: &str = "LM_NOTES_TEST_CHILD_DB";

fn worker_llm(context: u32) -> WorkerLlm {
    lm_testkit::smollm2_worker(context)
}

/// What one `chat` call asked for and how it ended.
#[derive(Debug, Clone)]
struct Call {
    map: bool,
    prompt_tokens: Option<u32>,
    max_tokens: u32,
    error: Option<String>,
}

/// The real model, with a record of every call.
struct RecordingLlm {
    inner: WorkerLlm,
    calls: Mutex<Vec<Call>>,
}

impl Llm for RecordingLlm {
    fn chat(
        &self,
        messages: &[ChatMessage],
        options: &GenerateOptions,
        cancel: Option<&AtomicBool>,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<Generation, EngineError> {
        let result = self.inner.chat(messages, options, cancel, on_token);
        self.calls.lock().unwrap().push(Call {
            map: messages
                .last()
                .is_some_and(|m| m.content.starts_with("Passages:")),
            prompt_tokens: result.as_ref().ok().map(|g| g.prompt_tokens),
            max_tokens: options.max_tokens,
            error: result.as_ref().err().map(ToString::to_string),
        });
        result
    }

    fn count_tokens(&self, text: &str) -> Result<usize, EngineError> {
        self.inner.count_tokens(text)
    }

    fn context_size(&self) -> Result<usize, EngineError> {
        self.inner.context_size()
    }
}

/// Facts of five topics, 12 minutes each; the lecture walks through them with varied
/// connecting words, as a lecturer does.
const TOPICS: [(&str, [&str; 8]); 5] = [
    (
        "cells",
        [
            "the cell membrane is a double layer of lipids that controls what enters the cell",
            "mitochondria turn glucose and oxygen into ATP, the energy currency of the cell",
            "the nucleus stores DNA and directs the making of proteins",
            "ribosomes read messenger RNA and join amino acids into chains",
            "the endoplasmic reticulum folds proteins and sends them to the Golgi apparatus",
            "lysosomes contain enzymes that break down worn out parts of the cell",
            "plant cells have a rigid cell wall made of cellulose",
            "the cytoskeleton gives the cell its shape and moves vesicles around",
        ],
    ),
    (
        "photosynthesis",
        [
            "photosynthesis happens in chloroplasts, which contain the green pigment chlorophyll",
            "the light reactions split water and release oxygen as a by-product",
            "the Calvin cycle fixes carbon dioxide into sugar using ATP and NADPH",
            "the enzyme rubisco captures carbon dioxide in the Calvin cycle",
            "stomata on the leaves open to let carbon dioxide in and water vapour out",
            "plants in hot climates use C4 or CAM photosynthesis to save water",
            "the rate of photosynthesis depends on light, temperature and carbon dioxide",
            "glucose made by photosynthesis is stored as starch in many plants",
        ],
    ),
    (
        "genetics",
        [
            "a gene is a stretch of DNA that codes for a protein",
            "Mendel showed that traits are inherited as separate units from each parent",
            "a dominant allele hides the effect of a recessive allele",
            "meiosis makes sex cells with half the number of chromosomes",
            "crossing over during meiosis mixes the genes of the two parents",
            "a mutation is a change in the sequence of DNA bases",
            "a Punnett square predicts the chances of offspring genotypes",
            "sex-linked traits such as colour blindness are carried on the X chromosome",
        ],
    ),
    (
        "evolution",
        [
            "natural selection means individuals better suited to their environment leave more offspring",
            "Darwin studied finches on the Galapagos Islands whose beaks fit their food",
            "fossils show how living things changed over millions of years",
            "homologous structures such as the bones of a human arm and a bat wing suggest common ancestry",
            "genetic drift changes allele frequencies by chance in small populations",
            "speciation happens when populations are isolated and can no longer interbreed",
            "antibiotic resistance in bacteria is natural selection we can watch today",
            "a phylogenetic tree shows how species are related through common ancestors",
        ],
    ),
    (
        "ecology",
        [
            "an ecosystem is a community of living things together with their physical environment",
            "energy flows from producers to consumers and only about ten percent passes each level",
            "decomposers such as fungi return nutrients to the soil",
            "the carbon cycle moves carbon between the air, oceans, rocks and living things",
            "nitrogen-fixing bacteria in root nodules turn nitrogen gas into ammonia",
            "a keystone species has a large effect on its ecosystem compared with its numbers",
            "carrying capacity is the largest population an environment can support",
            "invasive species can crowd out native species that have no defence against them",
        ],
    ),
];

const OPENERS: [&str; 6] = [
    "So,",
    "Remember that",
    "It is important to see that",
    "As I said before,",
    "Now notice that",
    "In other words,",
];

/// About 150 words per minute for `minutes` minutes, in chunks of about 220 words (the size the
/// indexer makes), each with its time span.
fn lecture_chunks(lecture: &LectureId, minutes: u64) -> Vec<NewChunk> {
    let words_total = minutes * 150;
    let mut words: Vec<String> = Vec::new();
    let mut n = 0_usize;
    while (words.len() as u64) < words_total {
        let minute = words.len() as u64 / 150;
        let (topic, facts) = TOPICS[(minute * TOPICS.len() as u64 / minutes) as usize];
        let fact = facts[n % facts.len()];
        let opener = OPENERS[(n / facts.len() + n) % OPENERS.len()];
        let sentence = if n.is_multiple_of(5) {
            format!("Today in {topic}, {fact}.")
        } else {
            format!("{opener} {fact}.")
        };
        words.extend(sentence.split(' ').map(str::to_owned));
        n += 1;
    }
    let ms_per_word = 60_000 / 150;
    words
        .chunks(220)
        .scan(0_u64, |start, chunk| {
            let begin = *start;
            *start += chunk.len() as u64 * ms_per_word;
            Some(NewChunk {
                locator: SourceLocator::LectureSpan {
                    lecture_id: lecture.clone(),
                    start_ms: begin,
                    end_ms: *start,
                },
                text: chunk.join(" "),
            })
        })
        .collect()
}

fn library(dir: &Path, minutes: u64) -> (Store, LectureId) {
    let store = Store::open(dir.join("library.sqlite3")).unwrap();
    let profile = store.profiles().create("Ada").unwrap();
    let class = store.classes().create(&profile.id, "Biology").unwrap();
    let lecture = store
        .lectures()
        .create(&NewLecture {
            class_id: class.id,
            title: "Biology overview".into(),
            media_path: PathBuf::from("media/ab/overview.wav"),
            media_hash: "ab".into(),
        })
        .unwrap();
    if minutes > 0 {
        store
            .chunks()
            .insert_batch(&lecture_chunks(&lecture.id, minutes))
            .unwrap();
    }
    (store, lecture.id)
}

fn request(lecture: &LectureId) -> NotesRequest {
    NotesRequest {
        scope: StudyScope::Lecture(lecture.clone()),
        title: None,
        seed: 11,
        threads: None,
    }
}

fn checkpoint(store: &Store, job: &lm_core::store::JobId) -> NotesCheckpoint {
    store
        .jobs()
        .get(job)
        .unwrap()
        .checkpoint
        .map(|value| serde_json::from_value(value).unwrap())
        .unwrap_or_default()
}

/// The job's process in the kill test: runs the queue of the database named by [`CHILD_DB`];
/// does nothing in a normal test run.
#[test]
fn notes_job_child_process() {
    let Some(database) = std::env::var_os(CHILD_DB) else {
        return;
    };
    let mut runner = JobRunner::new(PathBuf::from(database));
    runner
        .register(Arc::new(NotesJob::new(Arc::new(worker_llm(CONTEXT)))))
        .unwrap();
    runner.run_until_idle().unwrap();
}

#[test]
fn a_sixty_minute_lecture_is_summarised_within_the_context_and_resumes_after_a_kill() {
    const KILL_AFTER_BATCHES: usize = 3;
    let dir = tempfile::tempdir().unwrap();
    let (store, lecture) = library(dir.path(), 60);
    let chunks = store
        .chunks()
        .list_by_source(&ChunkSource::Lecture(lecture.clone()))
        .unwrap();
    let job = notes::enqueue(&store, &request(&lecture)).unwrap();
    // Build the worker before the child starts, so the child does not build it.
    let _ = lm_testkit::built_binary("lm-llm-worker");

    // Run the job in a child process (its own process group, with its llm worker) and kill
    // the group once a few batches are checkpointed.
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "notes_job_child_process", "--nocapture"])
        .env(CHILD_DB, store.path())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .unwrap();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        if checkpoint(&store, &job).batches.len() >= KILL_AFTER_BATCHES {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended before it was killed: {:?}",
            store.jobs().get(&job).unwrap()
        );
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "no progress in 15 minutes"
        );
    }
    let group = format!("-{}", child.id());
    let killed = Command::new("kill")
        .args(["-KILL", "--", &group])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap();
    let child_seconds = started.elapsed().as_secs_f64();
    let before = checkpoint(&store, &job);
    let job_row = store.jobs().get(&job).unwrap();
    assert_eq!(job_row.status, JobStatus::Running, "killed mid-job");
    assert!(job_row.progress > 0.0 && job_row.progress < 1.0);
    assert!(
        job_row
            .progress_message
            .as_deref()
            .is_some_and(|m| m.contains(&format!("of {} chunks", chunks.len()))),
        "{:?}",
        job_row.progress_message
    );
    assert!(store.notes().find_by_job(&job).unwrap().is_none());

    // Resume in this process: the runner recovers the interrupted job.
    let llm = Arc::new(RecordingLlm {
        inner: worker_llm(CONTEXT),
        calls: Mutex::default(),
    });
    let mut runner = JobRunner::new(store.path());
    runner
        .register(Arc::new(NotesJob::new(llm.clone())))
        .unwrap();
    let resumed = Instant::now();
    let summary = runner.run_until_idle().unwrap();
    let resume_seconds = resumed.elapsed().as_secs_f64();
    let job_row = store.jobs().get(&job).unwrap();
    assert_eq!(
        (summary.recovered, summary.done),
        (1, 1),
        "{summary:?} {job_row:?}"
    );
    assert_eq!(job_row.status, JobStatus::Done, "{:?}", job_row.error);

    // Finished batches were not redone: they keep the first attempt's results, and this
    // process made exactly the map calls of the other batches.
    let after = checkpoint(&store, &job);
    for (index, batch) in &before.batches {
        assert_eq!(
            after.batches.get(index),
            Some(batch),
            "batch {index} was redone"
        );
    }
    let redone: Vec<usize> = after
        .batches
        .iter()
        .filter(|(index, batch)| !before.batches.contains_key(index) && batch.attempt == 2)
        .map(|(index, _)| *index)
        .collect();
    assert_eq!(before.batches.len() + redone.len(), after.batches.len());
    let calls = llm.calls.lock().unwrap().clone();
    let map_calls = calls.iter().filter(|c| c.map).count();
    let expected: u32 = redone.iter().map(|i| after.batches[i].model_calls).sum();
    assert_eq!(map_calls, expected as usize);
    let sizes: Vec<usize> = after.batches.values().map(|b| b.chunk_ids.len()).collect();
    assert!(
        sizes[..sizes.len() - 1].iter().all(|&n| n >= 2),
        "batches should hold several chunks at a 2048-token context: {sizes:?}"
    );
    let chunks_in_batches: usize = after.batches.values().map(|b| b.chunk_ids.len()).sum();
    assert_eq!(
        chunks_in_batches,
        chunks.len(),
        "every chunk summarised once"
    );

    // Within the context: no call failed, and every prompt left room for its answer.
    // (An answer cut off at its token limit is drawn again: allowed, and counted.)
    let mut cut_off = 0;
    for call in &calls {
        match &call.error {
            None => assert!(
                call.prompt_tokens.unwrap() + call.max_tokens <= CONTEXT,
                "{call:?}"
            ),
            Some(error) if error.contains("cut off at max_tokens") => cut_off += 1,
            Some(error) => panic!("a model call failed: {error} ({call:?})"),
        }
    }

    // The stored note: sections, and every citation is a real chunk of the lecture.
    let note = store.notes().find_by_job(&job).unwrap().unwrap();
    println!("{}", note.markdown);
    for section in ["# Notes: Biology overview", "## Key points", "## Terms"] {
        assert!(note.markdown.contains(section), "no {section:?}");
    }
    assert!(!note.citations.is_empty());
    for citation in &note.citations {
        let chunk = chunks
            .iter()
            .find(|c| c.id == citation.chunk_id)
            .unwrap_or_else(|| panic!("{citation:?} cites no chunk of the lecture"));
        assert_eq!(citation.locator, chunk.locator);
        assert_eq!(
            citation.label,
            citations::label("Biology overview", &chunk.locator)
        );
    }
    let markers = citations::markers_in(&note.markdown, note.citations.len());
    assert_eq!(
        markers.len(),
        note.citations.len(),
        "every citation is used"
    );
    let key_points: Vec<&str> = note
        .markdown
        .split("## Key points")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("- "))
        .collect();
    assert!(key_points.len() >= 3, "{key_points:?}");
    for line in note.markdown.lines().filter(|l| l.starts_with("- ")) {
        assert!(
            !citations::markers_in(line, note.citations.len()).is_empty() && line.contains(" @ "),
            "a line without its citation: {line}"
        );
    }
    let merges = calls.iter().filter(|c| !c.map).count();
    println!(
        "60-minute lecture ({} chunks, batches of {sizes:?} chunks): child ran {child_seconds:.0} s until killed \
         after {} batches; the resume took {resume_seconds:.0} s ({map_calls} map calls, \
         {merges} merge calls, {cut_off} answers cut off and drawn again); total {:.0} s",
        chunks.len(),
        before.batches.len(),
        child_seconds + resume_seconds
    );
}

#[test]
fn an_empty_scope_is_refused_before_anything_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let (store, lecture) = library(dir.path(), 0);
    let error = notes::enqueue(&store, &request(&lecture)).unwrap_err();
    assert!(matches!(error, StudyError::EmptyScope(_)), "{error}");
    assert!(error.to_string().contains("no transcript yet"), "{error}");
    assert!(store.jobs().list(None).unwrap().is_empty());
}

#[test]
fn a_chunk_larger_than_the_context_is_a_clear_error_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, lecture) = library(dir.path(), 0);
    let long: Vec<String> = (0..1500).map(|i| format!("cell{i}")).collect();
    store
        .chunks()
        .insert_batch(&[NewChunk {
            locator: SourceLocator::LectureSpan {
                lecture_id: lecture.clone(),
                start_ms: 754_000,
                end_ms: 1_354_000,
            },
            text: long.join(" "),
        }])
        .unwrap();
    let llm = worker_llm(CONTEXT);
    let error = NotesGenerator::new(&store, &llm)
        .generate(
            &request(&lecture),
            None,
            NotesCheckpoint::default(),
            None,
            &mut |_, _| panic!("no batch can run"),
            &mut |_| {},
        )
        .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, StudyError::ChunkTooLong { .. }),
        "{message}"
    );
    assert!(
        message.contains("Biology overview @ 12:34") && message.contains("2048-token context"),
        "{message}"
    );
    let class_id = store.lectures().get(&lecture).unwrap().class_id;
    assert!(store.notes().list_by_class(&class_id).unwrap().is_empty());
}
