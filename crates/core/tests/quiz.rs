//! Quizzes written by the real SmolLM2-135M worker from stored lecture chunks: every generated
//! quiz parses and passes the checks over several seeds, and grading is exact.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::PathBuf;

use lm_core::store::{NewChunk, NewLecture, QuestionKind, SourceLocator, Store};
use lm_core::study::quiz::{self, Degenerate, DraftQuestion, QuizGenerator, QuizRequest};
use lm_core::study::{StudyError, StudyScope};
use lm_core::workers::llm::WorkerLlm;

const PASSAGES: [&str; 5] = [
    "The mitochondrion is the powerhouse of the cell. It turns glucose and oxygen into ATP, the \
     molecule that cells use for energy.",
    "Photosynthesis takes place in the chloroplasts. Plants use sunlight, water and carbon \
     dioxide to make glucose, and release oxygen.",
    "The nucleus holds the cell's DNA. DNA carries the instructions for building proteins, which \
     do most of the work in the cell.",
    "Ribosomes read messenger RNA and join amino acids into proteins. Some ribosomes float in the \
     cytoplasm; others sit on the rough endoplasmic reticulum.",
    "The cell membrane is a double layer of lipids. It lets water and small molecules pass but \
     keeps most large molecules out.",
];

struct Lecture {
    _dir: tempfile::TempDir,
    store: Store,
    scope: StudyScope,
}

fn lecture_with_chunks() -> Lecture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("library.sqlite3")).unwrap();
    let profile = store.profiles().create("Ada").unwrap();
    let class = store.classes().create(&profile.id, "Biology").unwrap();
    let lecture = store
        .lectures()
        .create(&NewLecture {
            class_id: class.id,
            title: "The cell".into(),
            media_path: PathBuf::from("media/ab/cell.wav"),
            media_hash: "ab".into(),
        })
        .unwrap();
    let chunks: Vec<NewChunk> = PASSAGES
        .iter()
        .zip(0_u64..)
        .map(|(text, i)| NewChunk {
            locator: SourceLocator::LectureSpan {
                lecture_id: lecture.id.clone(),
                start_ms: i * 60_000,
                end_ms: i * 60_000 + 20_000,
            },
            text: (*text).to_owned(),
        })
        .collect();
    store.chunks().insert_batch(&chunks).unwrap();
    Lecture {
        _dir: dir,
        store,
        scope: StudyScope::Lecture(lecture.id),
    }
}

fn llm() -> WorkerLlm {
    lm_testkit::smollm2_worker(2048)
}

#[test]
fn generated_quizzes_always_pass_the_checks_over_several_seeds() {
    let lecture = lecture_with_chunks();
    let llm = llm();
    let generator = QuizGenerator::new(&lecture.store, &llm);
    for seed in [1_u32, 100, 2024] {
        let started = std::time::Instant::now();
        let mut progress = Vec::new();
        let stored = generator
            .generate(
                &QuizRequest {
                    scope: lecture.scope.clone(),
                    questions: 5,
                    kinds: vec![QuestionKind::MultipleChoice],
                    title: Some(format!("Cells, seed {seed}")),
                    seed,
                    threads: None,
                },
                None,
                &mut |done, wanted| progress.push((done, wanted)),
            )
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(progress.last(), Some(&(5, 5)));
        let questions = lecture.store.quizzes().questions(&stored.id).unwrap();
        assert_eq!(questions.len(), 5, "seed {seed}");
        let mut prompts = std::collections::HashSet::new();
        for question in &questions {
            assert_eq!(question.choices.len(), 4, "seed {seed}: {question:?}");
            let distinct: std::collections::HashSet<_> =
                question.choices.iter().map(|c| c.to_lowercase()).collect();
            assert_eq!(distinct.len(), 4, "seed {seed}: {question:?}");
            let index: usize = question.answer.parse().unwrap();
            assert!(index < 4);
            assert!(!question.explanation.is_empty());
            assert_eq!(question.citations.len(), 1);
            assert!(question.citations[0].label.starts_with("The cell @ "));
            assert!(
                prompts.insert(question.prompt.to_lowercase()),
                "repeated question"
            );
        }
        println!(
            "seed {seed}: 5 questions in {:.1} s ({:.1} s/question); first: {:?}",
            started.elapsed().as_secs_f64(),
            started.elapsed().as_secs_f64() / 5.0,
            questions[0].prompt
        );
    }
}

#[test]
fn grading_is_exact_and_attempts_build_the_history() {
    let lecture = lecture_with_chunks();
    let llm = llm();
    let stored = QuizGenerator::new(&lecture.store, &llm)
        .generate(
            &QuizRequest {
                scope: lecture.scope.clone(),
                questions: 3,
                kinds: vec![QuestionKind::MultipleChoice, QuestionKind::TrueFalse],
                title: None,
                seed: 7,
                threads: None,
            },
            None,
            &mut |_, _| {},
        )
        .unwrap();
    let questions = lecture.store.quizzes().questions(&stored.id).unwrap();
    assert_eq!(questions[1].kind, QuestionKind::TrueFalse);
    assert_eq!(questions[1].choices, ["True", "False"]);

    // Right, wrong, skipped.
    let right = questions[0].answer.clone();
    let wrong = ((questions[1].answer.parse::<usize>().unwrap() + 1) % 2).to_string();
    let responses = vec![
        (questions[0].id.clone(), right),
        (questions[1].id.clone(), wrong),
    ];
    let result = quiz::submit(&lecture.store, &stored.id, 1_000, &responses).unwrap();
    assert!((result.attempt.score - 1.0 / 3.0).abs() < 1e-9);
    let verdicts: Vec<bool> = result.feedback.iter().map(|f| f.correct).collect();
    assert_eq!(verdicts, [true, false, false]);
    assert_eq!(result.feedback[2].given, "");

    // A choice that does not exist is refused and nothing is stored.
    let bad = vec![(questions[0].id.clone(), "9".to_owned())];
    assert!(matches!(
        quiz::submit(&lecture.store, &stored.id, 1_000, &bad),
        Err(StudyError::Invalid(_))
    ));
    let class_id = lecture.scope.class_id(&lecture.store).unwrap();
    let history = lecture.store.quizzes().history(&class_id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].id, result.attempt.id);
}

#[test]
fn a_degenerate_question_injected_among_good_ones_is_rejected() {
    let passage = PASSAGES[0];
    let good = DraftQuestion {
        question: "What do mitochondria produce for the cell?".into(),
        choices: vec!["ATP".into(), "DNA".into(), "Light".into(), "Salt".into()],
        answer_index: Some(0),
        answer: None,
        explanation: "They turn glucose and oxygen into ATP.".into(),
    };
    let accepted = vec![quiz::check(QuestionKind::MultipleChoice, &good, passage, &[]).unwrap()];
    let injected = DraftQuestion {
        choices: vec!["ATP".into(), "ATP".into(), "DNA".into(), "RNA".into()],
        question: "Which molecule gives cells energy?".into(),
        ..good.clone()
    };
    assert!(matches!(
        quiz::check(QuestionKind::MultipleChoice, &injected, passage, &accepted),
        Err(Degenerate::DuplicateChoices(_))
    ));
}

#[test]
fn an_empty_scope_is_a_clear_error_before_the_model_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("library.sqlite3")).unwrap();
    let profile = store.profiles().create("Ada").unwrap();
    let class = store.classes().create(&profile.id, "Empty").unwrap();
    // A model that cannot start: the test fails if the generator tries to use it.
    let mut spec = WorkerLlm::default_spec(PathBuf::from("/nonexistent.gguf"), 512, 1);
    spec.binary = PathBuf::from("/nonexistent/lm-llm-worker");
    let unusable = WorkerLlm::with_spec(spec);
    let error = QuizGenerator::new(&store, &unusable)
        .generate(
            &QuizRequest {
                scope: StudyScope::Class(class.id),
                questions: 5,
                kinds: Vec::new(),
                title: None,
                seed: 1,
                threads: None,
            },
            None,
            &mut |_, _| {},
        )
        .unwrap_err();
    assert!(
        error.to_string().contains("no transcribed lectures"),
        "{error}"
    );
    assert_eq!(
        store
            .quizzes()
            .list_by_class(&class_id_of(&store))
            .unwrap()
            .len(),
        0
    );
}

fn class_id_of(store: &Store) -> lm_core::store::ClassId {
    let profile = &store.profiles().list().unwrap()[0];
    store.classes().list(&profile.id).unwrap()[0].id.clone()
}
