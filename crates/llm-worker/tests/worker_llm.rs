//! The real `lm-llm-worker` binary with the real SmolLM2-135M model, driven through
//! `lm_core::workers::llm::WorkerLlm` exactly as the app drives it.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lm_core::engines::{ChatMessage, ChatRole, EngineError, FinishReason, GenerateOptions, Llm};
use lm_core::workers::llm::{DEFAULT_LLM_THREADS, WorkerLlm};
use serde::Deserialize;
use serde_json::json;

const WORKER: &str = env!("CARGO_BIN_EXE_lm-llm-worker");

fn smollm2() -> PathBuf {
    lm_testkit::require_model("smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// A worker for `model` using the binary cargo just built for these tests.
fn worker(model: &Path, context_size: u32) -> WorkerLlm {
    let mut spec = WorkerLlm::default_spec(model.to_path_buf(), context_size, DEFAULT_LLM_THREADS);
    spec.binary = PathBuf::from(WORKER);
    WorkerLlm::with_spec(spec)
}

/// One worker shared by the tests that need the default context, so they queue on one model
/// instead of fighting over two CPU cores.
fn shared() -> &'static WorkerLlm {
    static SHARED: OnceLock<WorkerLlm> = OnceLock::new();
    SHARED.get_or_init(|| worker(&smollm2(), 2048))
}

fn user(text: &str) -> Vec<ChatMessage> {
    vec![ChatMessage {
        role: ChatRole::User,
        content: text.to_owned(),
    }]
}

fn greedy(max_tokens: u32) -> GenerateOptions {
    GenerateOptions {
        max_tokens,
        temperature: 0.0,
        seed: 1,
        json_schema: None,
        threads: None,
    }
}

#[test]
fn chat_streams_tokens_that_add_up_to_the_reply() {
    let mut pieces = Vec::new();
    let generation = shared()
        .chat(
            &user("What is photosynthesis? Answer in two sentences."),
            &greedy(64),
            None,
            &mut |piece| pieces.push(piece.to_owned()),
        )
        .unwrap();
    assert!(
        pieces.len() > 1,
        "expected several streamed pieces, got {pieces:?}"
    );
    assert_eq!(pieces.concat(), generation.text);
    assert!(!generation.text.trim().is_empty());
    assert!(generation.prompt_tokens > 5, "{generation:?}");
    match generation.finish_reason {
        FinishReason::Length => assert_eq!(generation.completion_tokens, 64),
        FinishReason::Stop => assert!((1..64).contains(&generation.completion_tokens)),
    }
    // Each streamed piece is at least one token; several tokens can merge into one piece only
    // when a character spans them.
    assert!(pieces.len() <= generation.completion_tokens as usize);
    assert!(generation.tokens_per_second > 0.0);
    println!("{generation:?}");
}

#[test]
fn reaching_max_tokens_is_reported_as_length() {
    let generation = shared()
        .chat(
            &user("Write a long story about a dragon."),
            &greedy(5),
            None,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(generation.finish_reason, FinishReason::Length);
    assert_eq!(generation.completion_tokens, 5);
}

/// A multiple-choice question, the shape the study module's quizzes need. Defined here until
/// that module exists; its schema bounds every field so generation always terminates.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizQuestion {
    question: String,
    choices: Vec<String>,
    answer_index: u8,
    explanation: String,
}

fn quiz_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 10, "maxLength": 160},
            "choices": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": 60},
                "minItems": 4,
                "maxItems": 4
            },
            "answer_index": {"type": "integer", "minimum": 0, "maximum": 3},
            "explanation": {"type": "string", "minLength": 1, "maxLength": 200}
        },
        "required": ["question", "choices", "answer_index", "explanation"],
        "additionalProperties": false
    })
}

const PASSAGE: &str = "The mitochondrion is the powerhouse of the cell. It turns glucose and \
oxygen into ATP, the molecule cells use for energy. Mitochondria have their own DNA, inherited \
from the mother.";

#[test]
fn grammar_constrained_quiz_question_parses_and_respects_the_schema() {
    let messages = vec![
        ChatMessage {
            role: ChatRole::System,
            content: "You write multiple-choice quiz questions as JSON.".into(),
        },
        ChatMessage {
            role: ChatRole::User,
            content: format!(
                "Write one quiz question with four choices about this passage:\n\n{PASSAGE}"
            ),
        },
    ];
    for seed in [1, 2, 3] {
        let options = GenerateOptions {
            max_tokens: 400,
            temperature: 0.7,
            seed,
            json_schema: Some(quiz_schema()),
            threads: None,
        };
        let generation = shared()
            .chat(&messages, &options, None, &mut |_| {})
            .unwrap();
        assert_eq!(
            generation.finish_reason,
            FinishReason::Stop,
            "seed {seed}: {generation:?}"
        );
        let quiz: QuizQuestion = serde_json::from_str(&generation.text).unwrap_or_else(|e| {
            panic!("seed {seed}: not a QuizQuestion ({e}): {}", generation.text)
        });
        assert!(
            (10..=160).contains(&quiz.question.chars().count()),
            "seed {seed}: {quiz:?}"
        );
        assert_eq!(quiz.choices.len(), 4, "seed {seed}: {quiz:?}");
        assert!(
            quiz.choices
                .iter()
                .all(|c| (1..=60).contains(&c.chars().count())),
            "{quiz:?}"
        );
        assert!(quiz.answer_index <= 3, "seed {seed}: {quiz:?}");
        assert!(
            (1..=200).contains(&quiz.explanation.chars().count()),
            "seed {seed}: {quiz:?}"
        );
        println!(
            "seed {seed}: {quiz:?} ({:.1} tok/s)",
            generation.tokens_per_second
        );
    }
}

#[test]
fn json_cut_off_by_max_tokens_is_an_error_not_a_result() {
    let options = GenerateOptions {
        max_tokens: 8,
        temperature: 0.0,
        seed: 1,
        json_schema: Some(quiz_schema()),
        threads: None,
    };
    let error = shared()
        .chat(&user(PASSAGE), &options, None, &mut |_| {})
        .unwrap_err();
    assert!(error.to_string().contains("max_tokens"), "{error}");
}

#[test]
fn prompt_larger_than_the_context_is_a_context_overflow() {
    let small = worker(&smollm2(), 256);
    assert_eq!(small.context_size().unwrap(), 256);
    let long_text = "The quick brown fox jumps over the lazy dog. ".repeat(40);
    let prompt_tokens = small.count_tokens(&long_text).unwrap();
    assert!(
        prompt_tokens > 256,
        "test text has only {prompt_tokens} tokens"
    );
    match small.chat(&user(&long_text), &greedy(32), None, &mut |_| {
        panic!("nothing may be generated")
    }) {
        Err(EngineError::ContextOverflow { needed, limit }) => {
            assert_eq!(limit, 256);
            assert!(
                needed >= prompt_tokens + 32,
                "needed {needed}, text alone {prompt_tokens}"
            );
        }
        other => panic!("expected ContextOverflow, got {other:?}"),
    }
    // A prompt that fits on its own but not with its max_tokens overflows too: nothing is cut.
    let medium_text = "The quick brown fox jumps over the lazy dog. ".repeat(15);
    match small.chat(&user(&medium_text), &greedy(200), None, &mut |_| {}) {
        Err(EngineError::ContextOverflow { needed, limit: 256 }) => assert!(needed > 256),
        other => panic!("expected ContextOverflow, got {other:?}"),
    }
    // The worker is still fine afterwards.
    let generation = small
        .chat(&user("Hi"), &greedy(4), None, &mut |_| {})
        .unwrap();
    assert!(generation.completion_tokens >= 1);
}

#[test]
fn count_tokens_matches_the_prompt_tokens_of_a_chat() {
    let llm = shared();
    let short = "Plants make sugar from light.";
    let long = "Plants make sugar from light, water and carbon dioxide in their chloroplasts.";
    let short_count = llm.count_tokens(short).unwrap();
    let long_count = llm.count_tokens(long).unwrap();
    assert!(
        short_count >= 5 && long_count > short_count,
        "{short_count} / {long_count}"
    );
    let short_prompt = llm
        .chat(&user(short), &greedy(1), None, &mut |_| {})
        .unwrap()
        .prompt_tokens as usize;
    let long_prompt = llm
        .chat(&user(long), &greedy(1), None, &mut |_| {})
        .unwrap()
        .prompt_tokens as usize;
    // The chat template adds the same few tokens around any user message.
    let overhead = short_prompt - short_count;
    assert!((1..=40).contains(&overhead), "template overhead {overhead}");
    assert_eq!(long_prompt - long_count, overhead);
    assert_eq!(llm.context_size().unwrap(), 2048);
}

#[test]
fn bad_model_files_are_clear_errors_and_the_caller_survives() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.gguf");
    let empty = dir.path().join("empty.gguf");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.gguf");
    std::fs::write(
        &text,
        "These are my lecture notes, not a model.\n".repeat(100),
    )
    .unwrap();
    let truncated = dir.path().join("truncated.gguf");
    let real = std::fs::read(smollm2()).unwrap();
    std::fs::write(&truncated, &real[..1024 * 1024]).unwrap();

    for (file, expected) in [
        (&missing, "not found"),
        (&empty, "empty"),
        (&text, "not a GGUF"),
        (&truncated, "cannot load"),
    ] {
        let llm = worker(file, 512);
        let error = llm
            .chat(&user("Hi"), &greedy(4), None, &mut |_| {})
            .unwrap_err();
        match &error {
            EngineError::BadModel { path, problem } => {
                assert_eq!(path, file);
                assert!(problem.contains(expected), "{}: {problem}", file.display());
            }
            other => panic!("{}: expected BadModel, got {other:?}", file.display()),
        }
        let message = error.to_string();
        assert!(message.contains(&file.display().to_string()), "{message}");
        println!("{message}");
        // Asking again gives the same clear answer, not a crash report.
        assert!(matches!(
            llm.count_tokens("Hi"),
            Err(EngineError::BadModel { .. })
        ));
    }
}

#[test]
fn a_worker_killed_mid_reply_is_a_crash_report_and_the_next_request_restarts_it() {
    let llm = worker(&smollm2(), 512);
    llm.supervisor().ensure_started().unwrap();
    let first_pid = llm.supervisor().pid().unwrap();
    let mut killed = false;
    let result = llm.chat(
        &user("Tell me about the moon."),
        &greedy(200),
        None,
        &mut |_| {
            if !killed {
                killed = true;
                let status = std::process::Command::new("kill")
                    .args(["-9", &first_pid.to_string()])
                    .status()
                    .unwrap();
                assert!(status.success());
            }
        },
    );
    match result {
        Err(EngineError::WorkerCrashed { worker, reason, .. }) => {
            assert_eq!(worker, "llm");
            assert!(reason.contains("SIGKILL"), "{reason}");
        }
        other => panic!("expected WorkerCrashed, got {other:?}"),
    }
    let generation = llm
        .chat(&user("Hi"), &greedy(4), None, &mut |_| {})
        .unwrap();
    assert!(generation.completion_tokens >= 1);
    assert_ne!(llm.supervisor().pid(), Some(first_pid));
}
