//! `Services` over a real library in a temporary folder: the job runner has a handler for every
//! job kind the core queues, and a quiz and a flashcards job run end to end with SmolLM2-135M.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use lm_core::document_import::import_document;
use lm_core::ingest::transcribe::TranscribeRequest;
use lm_core::ingest::{INDEX_JOB, IndexRequest, TRANSCRIBE_JOB};
use lm_core::library::{Library, LibraryRoot};
use lm_core::store::{ChunkSource, DocumentId, JobStatus, LectureId, NewJob};
use lm_core::study::StudyScope;
use lm_core::study::flashcards::{self, CARDS_JOB_KIND, CardRequest, CardSource};
use lm_core::study::notes::{self, NOTES_JOB_KIND, NotesRequest};
use lm_core::study::quiz::{self, QUIZ_JOB_KIND, QuizRequest};
use lm_services::{EngineSettings, Services};

fn library(dir: &std::path::Path) -> Library {
    LibraryRoot::new(dir)
        .open_or_create_default("Student")
        .unwrap()
}

/// One attempt only, so a handler's failure is final and visible after one run.
fn once(mut job: NewJob) -> NewJob {
    job.max_attempts = 1;
    job
}

#[test]
fn the_runner_has_a_handler_for_every_job_kind() {
    let dir = tempfile::tempdir().unwrap();
    let library = library(dir.path());
    let class = library.class_named("Biology").unwrap();
    let empty_class = StudyScope::Class(class.id.clone());

    // The enqueue functions refuse an empty scope themselves, with nothing queued...
    let notes_request = NotesRequest {
        scope: empty_class.clone(),
        title: None,
        seed: 1,
        threads: None,
    };
    let quiz_request = QuizRequest {
        scope: empty_class.clone(),
        questions: 2,
        kinds: Vec::new(),
        title: None,
        seed: 1,
        threads: None,
    };
    let card_request = CardRequest {
        source: CardSource::Scope {
            scope: empty_class.clone(),
        },
        cards: 2,
        seed: 1,
        threads: None,
    };
    let store = library.store();
    for refused in [
        notes::enqueue(store, &notes_request).map(drop),
        quiz::enqueue(store, &quiz_request).map(drop),
        flashcards::enqueue(store, &card_request).map(drop),
    ] {
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("nothing to work from"), "{message}");
    }
    assert!(store.jobs().list(None).unwrap().is_empty());

    // ...so jobs with nothing to work on are queued by hand, one per kind.
    let transcribe = TranscribeRequest {
        lecture_id: LectureId::from("no-such-lecture".to_owned()),
        language: None,
    };
    let index = IndexRequest {
        source: ChunkSource::Document(DocumentId::from("no-such-document".to_owned())),
    };
    let jobs = [
        once(transcribe.to_job(0)),
        once(index.to_job()),
        once(NewJob::new(
            NOTES_JOB_KIND,
            serde_json::to_value(&notes_request).unwrap(),
        )),
        once(NewJob::new(
            QUIZ_JOB_KIND,
            serde_json::to_value(&quiz_request).unwrap(),
        )),
        once(NewJob::new(
            CARDS_JOB_KIND,
            serde_json::to_value(&card_request).unwrap(),
        )),
    ];
    let ids: Vec<_> = jobs
        .iter()
        .map(|job| store.jobs().enqueue(job).unwrap().id().clone())
        .collect();

    // Models that do not exist: no handler may need one to see there is nothing to do.
    let settings = EngineSettings {
        whisper_model: "no-such-whisper".into(),
        llm_model: "no-such-llm".into(),
        ..EngineSettings::default()
    };
    let services = Services::new(library, settings);
    let summary = services.job_runner().unwrap().run_until_idle().unwrap();
    // Indexing a document deleted after it was queued has nothing to do and succeeds (it only
    // makes sure none of it stays searchable); every other kind fails for want of its source.
    assert_eq!((summary.done, summary.failed), (1, 4), "{summary:?}");

    let store = services.library().store();
    for (id, kind) in ids.iter().zip([
        TRANSCRIBE_JOB,
        INDEX_JOB,
        NOTES_JOB_KIND,
        QUIZ_JOB_KIND,
        CARDS_JOB_KIND,
    ]) {
        let job = store.jobs().get(id).unwrap();
        assert_eq!(job.kind, kind);
        // A kind without a handler would still be queued, never claimed.
        assert_eq!(job.attempts, 1, "{kind}");
        if kind == INDEX_JOB {
            assert_eq!(job.status, JobStatus::Done, "{kind}: {job:?}");
            continue;
        }
        assert_eq!(job.status, JobStatus::Failed, "{kind}: {job:?}");
        let error = job.error.unwrap_or_default();
        assert!(!error.is_empty(), "{kind} failed without a reason");
        if [NOTES_JOB_KIND, QUIZ_JOB_KIND, CARDS_JOB_KIND].contains(&kind) {
            assert!(error.contains("nothing to work from"), "{kind}: {error}");
        }
    }
}

#[test]
fn quiz_and_flashcard_jobs_store_their_results_with_smollm2() {
    let model = lm_testkit::require_model("smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf");
    let worker = lm_testkit::built_binary("lm-llm-worker");
    let dir = tempfile::tempdir().unwrap();
    let library = library(dir.path());
    let class = library.class_named("Biology").unwrap();
    let text = dir.path().join("cells.txt");
    std::fs::write(
        &text,
        "The mitochondrion is the powerhouse of the cell. It turns glucose and oxygen into ATP, \
         the molecule cells use for energy.\n\nThe nucleus holds the cell's DNA, which carries \
         the instructions for making proteins. Ribosomes read those instructions and build the \
         proteins.\n",
    )
    .unwrap();
    let document = import_document(&library, &class.id, &text)
        .unwrap()
        .document;
    let scope = StudyScope::Document(document.id);

    let store = library.store();
    let quiz_job = quiz::enqueue(
        store,
        &QuizRequest {
            scope: scope.clone(),
            questions: 1,
            kinds: Vec::new(),
            title: Some("Cells".into()),
            seed: 7,
            threads: None,
        },
    )
    .unwrap();
    let cards_job = flashcards::enqueue(
        store,
        &CardRequest {
            source: CardSource::Scope { scope },
            cards: 1,
            seed: 7,
            threads: None,
        },
    )
    .unwrap();

    let settings = EngineSettings {
        llm_model: model.display().to_string(),
        worker_dir: worker.parent().map(ToOwned::to_owned),
        ..EngineSettings::default()
    };
    let services = Services::new(library, settings);
    let runner = services.job_runner().unwrap();
    let events = runner.subscribe();
    let summary = runner.run_until_idle().unwrap();
    assert_eq!(summary.done, 2, "{summary:?}");

    let store = services.library().store();
    let job = store.jobs().get(&quiz_job).unwrap();
    let quiz_id = quiz::quiz_of_job(&job).expect("the quiz job records its quiz");
    assert_eq!(store.quizzes().get(&quiz_id).unwrap().title, "Cells");
    assert_eq!(store.quizzes().questions(&quiz_id).unwrap().len(), 1);

    let job = store.jobs().get(&cards_job).unwrap();
    let cards = flashcards::cards_of_job(&job);
    assert_eq!(cards.len(), 1);
    assert_eq!(
        store.flashcards().get(&cards[0]).unwrap().class_id,
        class.id
    );

    drop(runner);
    let messages: Vec<String> = events.iter().filter_map(|event| event.message).collect();
    assert!(
        messages.iter().any(|m| m == "question 1 of 1 written"),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m == "card 1 of 1 written"),
        "{messages:?}"
    );
}
