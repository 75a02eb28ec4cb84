//! Grounded chat with the real SmolLM2-135M worker: prompt budgets counted with the model's own
//! tokenizer, answers stored with citations that resolve to a page or a lecture moment.
//!
//! Retrieval here is a plain word-overlap ranking over the stored chunks: these tests are about
//! the chat pipeline; hybrid retrieval is tested in `lm-search`.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::path::PathBuf;
use std::sync::OnceLock;

use lm_core::chat::prompt::{self, PromptError, PromptSource};
use lm_core::chat::{ChatError, ChatService, ChatSettings, NOTHING_FOUND, Passage, Retriever};
use lm_core::engines::{ChatRole, GenerateOptions, Llm};
use lm_core::store::{
    ClassId, DocumentKind, NewChunk, NewDocument, NewLecture, SourceLocator, Store,
};
use lm_core::workers::llm::WorkerLlm;

fn llm(context_size: u32) -> WorkerLlm {
    lm_testkit::smollm2_worker(context_size)
}

fn shared_llm() -> &'static WorkerLlm {
    static SHARED: OnceLock<WorkerLlm> = OnceLock::new();
    SHARED.get_or_init(|| llm(2048))
}

fn source(n: usize) -> PromptSource {
    PromptSource {
        label: format!("Notes p. {n}"),
        text: format!(
            "Fact {n}: the enzyme number {n} speeds up reaction number {n} inside the cell, \
             and without it the reaction would take many hours instead of a few seconds."
        ),
    }
}

#[test]
fn the_prompt_budget_is_an_upper_bound_of_what_the_model_counts() {
    let llm = llm(512);
    let sources: Vec<_> = (1..=20).map(source).collect();
    let assembled = prompt::assemble(&llm, 512, 64, &[], "What do enzymes do?", &sources).unwrap();
    assert!(assembled.sources_used > 0);
    assert!(
        assembled.sources_left_out > 0,
        "20 sources cannot fit in 512 tokens"
    );
    assert_eq!(assembled.sources_used + assembled.sources_left_out, 20);
    assert!(assembled.prompt_tokens + 64 <= 512);

    let generation = llm
        .chat(
            &assembled.messages,
            &GenerateOptions {
                max_tokens: 8,
                temperature: 0.0,
                ..GenerateOptions::default()
            },
            None,
            &mut |_| {},
        )
        .unwrap();
    assert!(
        generation.prompt_tokens as usize <= assembled.prompt_tokens,
        "the model counted {} prompt tokens, more than the budget's {}",
        generation.prompt_tokens,
        assembled.prompt_tokens
    );
}

#[test]
fn a_question_that_cannot_fit_is_refused_not_truncated() {
    let llm = llm(256);
    let question = "Explain the whole cell cycle in detail. ".repeat(60);
    match prompt::assemble(&llm, 256, 64, &[], &question, &[source(1)]) {
        Err(PromptError::QuestionTooLong {
            needed,
            context: 256,
        }) => assert!(needed > 256),
        other => panic!("expected QuestionTooLong, got {other:?}"),
    }
}

/// Ranks the stored chunks of a class by shared words with the question.
struct WordOverlap<'s> {
    store: &'s Store,
    chunks: Vec<(lm_core::store::ChunkId, String, SourceLocator)>,
}

impl Retriever for WordOverlap<'_> {
    fn retrieve(
        &self,
        question: &str,
        _class_id: Option<&ClassId>,
        limit: usize,
    ) -> Result<Vec<Passage>, ChatError> {
        let _ = self.store;
        let words: Vec<String> = lm_testkit::normalize_words(question)
            .into_iter()
            .filter(|w| w.len() > 3)
            .collect();
        let mut scored: Vec<_> = self
            .chunks
            .iter()
            .map(|(id, text, locator)| {
                let text_words = lm_testkit::normalize_words(text);
                let score = words.iter().filter(|w| text_words.contains(w)).count();
                (score, id, text, locator)
            })
            .filter(|(score, ..)| *score > 0)
            .collect();
        scored.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        Ok(scored
            .into_iter()
            .take(limit)
            .map(|(_, id, text, locator)| Passage {
                chunk_id: id.clone(),
                text: text.clone(),
                locator: locator.clone(),
            })
            .collect())
    }
}

struct Material {
    _dir: tempfile::TempDir,
    store: Store,
    class: ClassId,
}

const PHOTOSYNTHESIS: &str = "Photosynthesis happens in the chloroplasts of plant cells. \
    Chloroplasts capture sunlight and turn water and carbon dioxide into sugar and oxygen.";
const VOLCANOES: &str = "Volcanoes form where magma rises through cracks in the crust of the \
    Earth, often at the edges of tectonic plates.";

fn material() -> Material {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("library.sqlite3")).unwrap();
    let profile = store.profiles().create("Ada").unwrap();
    let class = store.classes().create(&profile.id, "Science").unwrap().id;
    let lecture = store
        .lectures()
        .create(&NewLecture {
            class_id: class.clone(),
            title: "Plants".into(),
            media_path: PathBuf::from("media/ab/plants.wav"),
            media_hash: "ab12".into(),
        })
        .unwrap();
    let document = store
        .documents()
        .create(&NewDocument {
            class_id: class.clone(),
            title: "Earth science".into(),
            file_path: PathBuf::from("media/cd/earth.pdf"),
            content_hash: "cd34".into(),
            kind: DocumentKind::Pdf,
            mime: "application/pdf".into(),
        })
        .unwrap();
    store
        .chunks()
        .insert_batch(&[
            NewChunk {
                locator: SourceLocator::LectureSpan {
                    lecture_id: lecture.id.clone(),
                    start_ms: 754_000,
                    end_ms: 768_000,
                },
                text: PHOTOSYNTHESIS.into(),
            },
            NewChunk {
                locator: SourceLocator::DocumentPage {
                    document_id: document.id.clone(),
                    page: 7,
                },
                text: VOLCANOES.into(),
            },
        ])
        .unwrap();
    Material {
        _dir: dir,
        store,
        class,
    }
}

fn retriever(material: &Material) -> WordOverlap<'_> {
    let store = &material.store;
    let lecture = &store.lectures().list_by_class(&material.class).unwrap()[0];
    let document = &store.documents().list_by_class(&material.class).unwrap()[0];
    let mut chunks = Vec::new();
    for source in [
        lm_core::store::ChunkSource::Lecture(lecture.id.clone()),
        lm_core::store::ChunkSource::Document(document.id.clone()),
    ] {
        for chunk in store.chunks().list_by_source(&source).unwrap() {
            chunks.push((chunk.id, chunk.text, chunk.locator));
        }
    }
    WordOverlap { store, chunks }
}

#[test]
fn an_answer_cites_the_lecture_moment_it_came_from_and_is_stored() {
    let material = material();
    let retriever = retriever(&material);
    let chat = ChatService::new(
        &material.store,
        shared_llm(),
        &retriever,
        ChatSettings {
            temperature: 0.0,
            answer_tokens: 96,
            ..ChatSettings::default()
        },
    );
    let mut streamed = String::new();
    let answer = chat
        .ask(
            None,
            Some(&material.class),
            "Where does photosynthesis happen in plant cells?",
            None,
            &mut |piece| streamed.push_str(piece),
        )
        .unwrap();
    assert!(answer.grounded);
    assert_eq!(streamed.trim(), answer.message.content);
    assert!(
        !answer.message.citations.is_empty(),
        "no citation in {:?}",
        answer.message.content
    );
    let first = &answer.message.citations[0];
    assert_eq!(first.label, "Plants @ 12:34");
    match &first.locator {
        SourceLocator::LectureSpan { start_ms, .. } => assert_eq!(*start_ms, 754_000),
        other => panic!("expected the lecture, got {other:?}"),
    }
    let cited = material
        .store
        .chunks()
        .list_by_source(&first.locator.source())
        .unwrap();
    assert!(
        cited
            .iter()
            .any(|chunk| chunk.id == first.chunk_id && chunk.text.contains("chloroplasts"))
    );

    let stored = material
        .store
        .conversations()
        .messages(&answer.conversation_id)
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].role, ChatRole::User);
    assert_eq!(stored[1], answer.message);
    assert!(answer.message.prompt_tokens.unwrap() > 0);

    // A follow-up in the same conversation keeps going there.
    let follow_up = chat
        .ask(
            Some(&answer.conversation_id),
            Some(&material.class),
            "What do chloroplasts capture?",
            None,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(follow_up.conversation_id, answer.conversation_id);
    assert_eq!(follow_up.turns_left_out, 0);
    assert_eq!(
        material
            .store
            .conversations()
            .messages(&answer.conversation_id)
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn with_nothing_relevant_the_assistant_says_so_without_asking_the_model() {
    let material = material();
    let retriever = retriever(&material);
    // A model that cannot start: the test fails if the service tries to use it.
    let mut spec = WorkerLlm::default_spec(PathBuf::from("/nonexistent.gguf"), 512, 1);
    spec.binary = PathBuf::from("/nonexistent/lm-llm-worker");
    let unusable = WorkerLlm::with_spec(spec);
    let chat = ChatService::new(
        &material.store,
        &unusable,
        &retriever,
        ChatSettings::default(),
    );
    let answer = chat
        .ask(
            None,
            Some(&material.class),
            "Who won the 1998 world cup?",
            None,
            &mut |_| {},
        )
        .unwrap();
    assert!(!answer.grounded);
    assert_eq!(answer.message.content, NOTHING_FOUND);
    assert!(answer.message.citations.is_empty());
    assert!(matches!(
        chat.ask(None, None, "   ", None, &mut |_| {}),
        Err(ChatError::EmptyQuestion)
    ));
}
