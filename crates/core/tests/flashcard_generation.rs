//! Flashcards written by the real SmolLM2-135M worker from stored lecture chunks and from a
//! selected passage: over several seeds every stored card passes the checks and cites its chunk.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::collections::HashSet;
use std::path::PathBuf;

use lm_core::store::{Flashcard, NewChunk, NewLecture, SourceLocator, Store};
use lm_core::study::flashcards::{
    self, CardGenerator, CardRequest, CardSource, DraftCard, PassageOrigin,
};
use lm_core::study::{StudyError, StudyScope};
use lm_core::workers::llm::WorkerLlm;

const PASSAGES: [&str; 4] = [
    "Enzymes are proteins that speed up chemical reactions. Each enzyme fits its substrate like \
     a key fits a lock, and high temperatures can change its shape.",
    "The heart pumps blood through two circuits. The right side sends blood to the lungs to pick \
     up oxygen; the left side sends it to the rest of the body.",
    "Neurons carry signals as electrical impulses. At a synapse, the impulse releases chemicals \
     called neurotransmitters that reach the next cell.",
    "Red blood cells carry oxygen bound to haemoglobin, a protein that contains iron. They have \
     no nucleus, which leaves more room for haemoglobin.",
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
    let class = store.classes().create(&profile.id, "Physiology").unwrap();
    let lecture = store
        .lectures()
        .create(&NewLecture {
            class_id: class.id,
            title: "The body".into(),
            media_path: PathBuf::from("media/cd/body.wav"),
            media_hash: "cd".into(),
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

/// Re-checks a stored card as the generator should have: both sides, distinct from each other
/// and from the other fronts, not the passage copied, one citation of a chunk of the lecture.
fn assert_good_card(card: &Flashcard, fronts: &mut HashSet<String>, context: &str) {
    assert_eq!(card.citations.len(), 1, "{context}: {card:?}");
    // Chunk i starts at minute i.
    let passage = match &card.citations[0].locator {
        SourceLocator::LectureSpan { start_ms, .. } => PASSAGES[(*start_ms / 60_000) as usize],
        other => panic!("{context}: a lecture chunk was expected, not {other:?}"),
    };
    let draft = DraftCard {
        front: card.front.clone(),
        back: card.back.clone(),
    };
    flashcards::check(&draft, passage, &[]).unwrap_or_else(|e| panic!("{context}: {e}: {card:?}"));
    assert!(
        card.citations[0].label.starts_with("The body @ "),
        "{context}"
    );
    assert!(
        fronts.insert(card.front.to_lowercase()),
        "{context}: repeated front {:?}",
        card.front
    );
}

#[test]
fn generated_cards_from_a_scope_pass_the_checks_over_several_seeds() {
    let llm = llm();
    for seed in [1_u32, 100] {
        // A fresh library per seed, so fronts of the previous run do not count as taken.
        let lecture = lecture_with_chunks();
        let started = std::time::Instant::now();
        let mut progress = Vec::new();
        let cards = CardGenerator::new(&lecture.store, &llm)
            .generate(
                &CardRequest {
                    source: CardSource::Scope {
                        scope: lecture.scope.clone(),
                    },
                    cards: 4,
                    seed,
                    threads: None,
                },
                None,
                &mut |done, wanted| progress.push((done, wanted)),
            )
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(progress.last(), Some(&(4, 4)));
        assert_eq!(cards.len(), 4);
        let class_id = lecture.scope.class_id(&lecture.store).unwrap();
        assert_eq!(
            lecture.store.flashcards().list_by_class(&class_id).unwrap(),
            cards
        );
        let mut fronts = HashSet::new();
        for card in &cards {
            assert_good_card(card, &mut fronts, &format!("seed {seed}"));
        }
        println!(
            "seed {seed}: 4 cards in {:.1} s: {:?}",
            started.elapsed().as_secs_f64(),
            cards
                .iter()
                .map(|c| (&c.front, &c.back))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn cards_from_a_selected_passage_cite_where_it_was_selected() {
    let lecture = lecture_with_chunks();
    let llm = llm();
    let class_id = lecture.scope.class_id(&lecture.store).unwrap();
    let chunk = lecture
        .store
        .chunks()
        .list_by_source(&lm_core::store::ChunkSource::Lecture(
            match &lecture.scope {
                StudyScope::Lecture(id) => id.clone(),
                _ => unreachable!(),
            },
        ))
        .unwrap()
        .remove(1);
    let cards = CardGenerator::new(&lecture.store, &llm)
        .generate(
            &CardRequest {
                source: CardSource::Passage {
                    class_id: class_id.clone(),
                    text: chunk.text.clone(),
                    origin: Some(PassageOrigin {
                        chunk_id: chunk.id.clone(),
                        locator: chunk.locator.clone(),
                    }),
                },
                cards: 2,
                seed: 7,
                threads: None,
            },
            None,
            &mut |_, _| {},
        )
        .unwrap();
    let mut fronts = HashSet::new();
    for card in &cards {
        assert_eq!(card.citations[0].chunk_id, chunk.id);
        assert_eq!(card.citations[0].label, "The body @ 1:00");
        assert_good_card(card, &mut fronts, "passage");
    }
    println!(
        "passage cards: {:?}",
        cards
            .iter()
            .map(|c| (&c.front, &c.back))
            .collect::<Vec<_>>()
    );
}

#[test]
fn bad_requests_are_refused_before_the_model_is_asked() {
    let lecture = lecture_with_chunks();
    let class_id = lecture.scope.class_id(&lecture.store).unwrap();
    // A model that cannot start: the test fails if the generator tries to use it.
    let mut spec = WorkerLlm::default_spec(PathBuf::from("/nonexistent.gguf"), 512, 1);
    spec.binary = PathBuf::from("/nonexistent/lm-llm-worker");
    let unusable = WorkerLlm::with_spec(spec);
    let generator = CardGenerator::new(&lecture.store, &unusable);
    let passage = |text: &str| CardRequest {
        source: CardSource::Passage {
            class_id: class_id.clone(),
            text: text.to_owned(),
            origin: None,
        },
        cards: 3,
        seed: 1,
        threads: None,
    };
    let cases = [
        (passage("   "), "select some text"),
        (passage(&"word ".repeat(1_000)), "select at most 4000"),
        (
            CardRequest {
                cards: 0,
                ..passage("Enzymes speed up reactions.")
            },
            "1 to 50 cards",
        ),
    ];
    for (request, message) in cases {
        let error = generator
            .generate(&request, None, &mut |_, _| {})
            .unwrap_err();
        assert!(matches!(error, StudyError::Invalid(_)), "{error:?}");
        assert!(error.to_string().contains(message), "{error}");
    }
    assert!(
        lecture
            .store
            .flashcards()
            .list_by_class(&class_id)
            .unwrap()
            .is_empty()
    );
}
