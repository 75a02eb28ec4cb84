//! Flashcard scheduling against the `fsrs` crate, due queues over simulated days, and CSV import
//! and export, on real SQLite files.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use fsrs::{FSRS, FSRSItem, FSRSReview, MemoryState};
use lm_core::store::{
    CardState, ChunkId, Citation, ClassId, DueCount, Flashcard, NewFlashcard, Rating,
    SourceLocator, Store, StoreError, UnixMillis,
};
use lm_core::study::StudyError;
use lm_core::study::flashcards::{
    self, DAY_MS, DESIRED_RETENTION, RELEARNING_STEP_MS, export_csv, import_csv,
};

const MINUTE_MS: UnixMillis = 60 * 1000;

struct Library {
    _dir: tempfile::TempDir,
    store: Store,
    biology: ClassId,
    history: ClassId,
}

fn library() -> Library {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("library.sqlite3")).unwrap();
    let profile = store.profiles().create("Ada").unwrap();
    let biology = store.classes().create(&profile.id, "Biology").unwrap().id;
    let history = store.classes().create(&profile.id, "History").unwrap().id;
    Library {
        _dir: dir,
        store,
        biology,
        history,
    }
}

fn new_card(front: &str, back: &str) -> NewFlashcard {
    NewFlashcard {
        front: front.into(),
        back: back.into(),
        ..NewFlashcard::default()
    }
}

fn make_cards(library: &Library, class: &ClassId, fronts: &[&str]) -> Vec<Flashcard> {
    let cards: Vec<NewFlashcard> = fronts
        .iter()
        .map(|front| new_card(front, &format!("answer to {front}")))
        .collect();
    library
        .store
        .flashcards()
        .create_batch(class, &cards)
        .unwrap()
}

fn review(library: &Library, card: &Flashcard, rating: Rating, at: UnixMillis) -> Flashcard {
    flashcards::review(&library.store, &card.id, rating, at, Some(4_000))
        .unwrap()
        .card
}

#[test]
fn good_reviews_on_time_make_the_interval_grow() {
    let library = library();
    let card = &make_cards(&library, &library.biology, &["What makes ATP?"])[0];
    let mut card = card.clone();
    let mut now = card.due;
    let mut intervals = Vec::new();
    for _ in 0..6 {
        card = review(&library, &card, Rating::Good, now);
        assert_eq!(card.state, CardState::Review);
        intervals.push(card.due - now);
        now = card.due;
    }
    println!(
        "Good, reviewed when due: intervals in days {:?}",
        intervals.iter().map(|ms| ms / DAY_MS).collect::<Vec<_>>()
    );
    assert!(intervals[0] >= DAY_MS);
    for pair in intervals.windows(2) {
        assert!(pair[1] > pair[0], "intervals must grow: {intervals:?}");
    }
    assert_eq!(card.reps, 6);
    assert_eq!(card.lapses, 0);
    assert_eq!(
        library.store.flashcards().reviews(&card.id).unwrap().len(),
        6
    );
}

#[test]
fn again_after_good_shrinks_the_interval_and_counts_a_lapse() {
    let library = library();
    let mut card = make_cards(&library, &library.biology, &["Where is DNA kept?"])[0].clone();
    let mut now = card.due;
    for _ in 0..3 {
        card = review(&library, &card, Rating::Good, now);
        now = card.due;
    }
    let interval_before = card.due - card.last_review.unwrap();
    let stability_before = card.stability;
    assert_eq!(card.lapses, 0);

    let forgotten = review(&library, &card, Rating::Again, now);
    assert_eq!(forgotten.lapses, 1);
    assert_eq!(forgotten.state, CardState::Relearning);
    assert_eq!(forgotten.due - now, RELEARNING_STEP_MS);
    assert!(forgotten.stability < stability_before);

    // Relearnt ten minutes later: back in review, on a shorter interval than before the lapse.
    let relearnt = review(&library, &forgotten, Rating::Good, forgotten.due);
    assert_eq!(relearnt.state, CardState::Review);
    assert_eq!(relearnt.lapses, 1, "relearning is not another lapse");
    let interval_after = relearnt.due - forgotten.due;
    assert!(
        interval_after < interval_before,
        "{interval_after} ms after the lapse, {interval_before} ms before"
    );
    // Failing a card still being learnt is not a lapse.
    let fresh = &make_cards(&library, &library.biology, &["What is RNA?"])[0];
    let failed = review(&library, fresh, Rating::Again, fresh.due);
    assert_eq!(failed.state, CardState::Learning);
    assert_eq!(failed.lapses, 0);
}

#[test]
fn stored_states_match_the_fsrs_crate_driven_directly() {
    let library = library();
    let card = &make_cards(&library, &library.history, &["When did Rome fall?"])[0];
    let start = card.due;
    // Reviews on time, early, late and on the same day, with every rating.
    let history = [
        (Rating::Good, start),
        (Rating::Hard, start + DAY_MS + 3 * MINUTE_MS),
        (Rating::Good, start + 4 * DAY_MS),
        (Rating::Again, start + 15 * DAY_MS),
        (Rating::Good, start + 15 * DAY_MS + 11 * MINUTE_MS),
        (Rating::Easy, start + 19 * DAY_MS + 5 * 60 * MINUTE_MS),
        (Rating::Good, start + 60 * DAY_MS),
    ];
    let fsrs = FSRS::default();
    let mut expected_state: Option<MemoryState> = None;
    let mut last_review: Option<UnixMillis> = None;
    let mut current = card.clone();
    for (rating, at) in history {
        let elapsed = last_review.map_or(0, |last| u32::try_from((at - last) / DAY_MS).unwrap());
        let next = fsrs
            .next_states(expected_state, DESIRED_RETENTION, elapsed)
            .unwrap();
        let item = match rating {
            Rating::Again => next.again,
            Rating::Hard => next.hard,
            Rating::Good => next.good,
            Rating::Easy => next.easy,
        };
        let expected_due = if rating == Rating::Again {
            at + RELEARNING_STEP_MS
        } else {
            at + i64::from(item.interval.round().max(1.0) as u32) * DAY_MS
        };

        current = review(&library, &current, rating, at);
        assert_eq!(
            current.stability as f32, item.memory.stability,
            "{rating:?} at {at}"
        );
        assert_eq!(
            current.difficulty as f32, item.memory.difficulty,
            "{rating:?} at {at}"
        );
        assert_eq!(current.due, expected_due, "{rating:?} at {at}");
        assert_eq!(current.last_review, Some(at));
        expected_state = Some(item.memory);
        last_review = Some(at);
    }
    assert_eq!(current.reps, 7);
    assert_eq!(current.lapses, 1);

    // The stored review log replays, through the crate's own history function, to the stored
    // memory state.
    let reviews = library.store.flashcards().reviews(&card.id).unwrap();
    assert_eq!(
        reviews
            .iter()
            .map(|r| (r.rating, r.reviewed_at))
            .collect::<Vec<_>>(),
        history
    );
    assert!(reviews.iter().all(|r| r.duration_ms == Some(4_000)));
    let mut previous: Option<UnixMillis> = None;
    let item = FSRSItem {
        reviews: reviews
            .iter()
            .map(|r| {
                let delta_t =
                    previous.map_or(0, |p| u32::try_from((r.reviewed_at - p) / DAY_MS).unwrap());
                previous = Some(r.reviewed_at);
                FSRSReview {
                    rating: r.rating.number(),
                    delta_t,
                }
            })
            .collect(),
    };
    let replayed = fsrs.memory_state(item, None).unwrap();
    assert!(
        (replayed.stability - current.stability as f32).abs() < 1e-3
            && (replayed.difficulty - current.difficulty as f32).abs() < 1e-3,
        "replayed {replayed:?}, stored {} / {}",
        current.stability,
        current.difficulty
    );
}

#[test]
fn the_preview_shows_what_each_button_would_do() {
    let library = library();
    let card = &make_cards(&library, &library.biology, &["What is osmosis?"])[0];
    let now = card.due;
    let choices = flashcards::preview(card, now).unwrap();
    assert_eq!(choices.map(|c| c.rating), Rating::ALL);
    assert_eq!(choices[0].interval_ms, RELEARNING_STEP_MS);
    for pair in choices.windows(2) {
        assert!(pair[0].interval_ms <= pair[1].interval_ms, "{choices:?}");
    }
    // The preview is exactly what pressing the button does.
    let reviewed = review(&library, card, Rating::Easy, now);
    assert_eq!(reviewed.due, choices[3].due);
}

#[test]
fn due_queues_and_counts_follow_simulated_days() {
    let library = library();
    let cards = library.store.flashcards();
    let bio = make_cards(&library, &library.biology, &["B1?", "B2?", "B3?"]);
    let hist = make_cards(&library, &library.history, &["H1?", "H2?"]);
    let day0 = bio.iter().chain(&hist).map(|c| c.due).max().unwrap();
    let ids = |due: Vec<Flashcard>| due.into_iter().map(|c| c.front).collect::<Vec<_>>();
    let counts = |at: UnixMillis| {
        cards
            .due_counts(at)
            .unwrap()
            .into_iter()
            .map(
                |DueCount {
                     class_id,
                     due,
                     total,
                 }| {
                    let name = if class_id == library.biology {
                        "bio"
                    } else {
                        "hist"
                    };
                    (name, (due, total))
                },
            )
            .collect::<std::collections::BTreeMap<_, _>>()
    };

    // Day 0: every new card is due.
    assert_eq!(
        ids(cards.due(&library.biology, day0).unwrap()),
        ["B1?", "B2?", "B3?"]
    );
    assert_eq!(counts(day0)["bio"], (3, 3));
    assert_eq!(counts(day0)["hist"], (2, 2));

    let b1_good = flashcards::preview(&bio[0], day0).unwrap()[2].due;
    let h1_easy = flashcards::preview(&hist[0], day0).unwrap()[3].due;
    review(&library, &bio[0], Rating::Good, day0);
    review(&library, &bio[1], Rating::Again, day0);
    review(&library, &hist[0], Rating::Easy, day0);
    cards.set_suspended(&bio[2].id, true).unwrap();

    // A minute later only the untouched history card is due.
    let soon = day0 + MINUTE_MS;
    assert!(cards.due(&library.biology, soon).unwrap().is_empty());
    assert_eq!(ids(cards.due(&library.history, soon).unwrap()), ["H2?"]);
    assert_eq!(counts(soon)["bio"], (0, 3));
    assert_eq!(counts(soon)["hist"], (1, 2));

    // After the relearning step the forgotten card is back.
    let later = day0 + RELEARNING_STEP_MS;
    assert_eq!(ids(cards.due(&library.biology, later).unwrap()), ["B2?"]);

    // Advance day by day: each card comes due on the day its rating scheduled, most overdue
    // first, and the suspended card never does.
    for day in 1..=30 {
        let now = day0 + day * DAY_MS;
        let mut expected_bio = vec!["B2?"];
        if now >= b1_good {
            expected_bio.push("B1?");
        }
        let mut expected_hist = vec!["H2?"];
        if now >= h1_easy {
            expected_hist.push("H1?");
        }
        assert_eq!(
            ids(cards.due(&library.biology, now).unwrap()),
            expected_bio,
            "day {day}"
        );
        assert_eq!(
            ids(cards.due(&library.history, now).unwrap()),
            expected_hist,
            "day {day}"
        );
        let count_now = counts(now);
        assert_eq!(
            count_now["bio"],
            (expected_bio.len() as u32, 3),
            "day {day}"
        );
        assert_eq!(
            count_now["hist"],
            (expected_hist.len() as u32, 2),
            "day {day}"
        );
    }
    assert!(b1_good < day0 + 30 * DAY_MS && h1_easy < day0 + 30 * DAY_MS);
    assert!(b1_good < h1_easy, "Easy schedules further out than Good");
}

#[test]
fn suspended_cards_are_never_due_and_cannot_be_reviewed() {
    let library = library();
    let cards = library.store.flashcards();
    let card = &make_cards(&library, &library.biology, &["What is a gene?"])[0];
    cards.set_suspended(&card.id, true).unwrap();
    for day in [0, 1, 10, 1_000] {
        let now = card.due + day * DAY_MS;
        assert!(cards.due(&library.biology, now).unwrap().is_empty());
        assert_eq!(cards.due_counts(now).unwrap()[0].due, 0);
    }
    let error =
        flashcards::review(&library.store, &card.id, Rating::Good, card.due, None).unwrap_err();
    assert!(error.to_string().contains("suspended"), "{error}");
    assert!(cards.reviews(&card.id).unwrap().is_empty());
    cards.set_suspended(&card.id, false).unwrap();
    assert_eq!(cards.due(&library.biology, card.due).unwrap().len(), 1);
}

#[test]
fn a_card_with_an_empty_side_is_refused() {
    let library = library();
    let cards = library.store.flashcards();
    for (front, back, side) in [("  ", "ATP", "front"), ("What is ATP?", "\n\t", "back")] {
        let error = cards
            .create(&library.biology, &new_card(front, back))
            .unwrap_err();
        assert!(matches!(error, StoreError::Invalid { .. }), "{error:?}");
        assert!(
            error.to_string().contains(&format!("the {side}")),
            "{error}"
        );
    }
    let card = &make_cards(&library, &library.biology, &["Kept?"])[0];
    assert!(cards.edit(&card.id, "Kept?", "").is_err());
    assert_eq!(
        cards.list_by_class(&library.biology).unwrap(),
        std::slice::from_ref(card)
    );
}

#[test]
fn cards_survive_a_csv_round_trip() {
    let library = library();
    let lecture_id = lm_core::store::LectureId::from("lecture-1".to_owned());
    let cited = NewFlashcard {
        citations: vec![Citation {
            marker: 1,
            chunk_id: ChunkId::from("chunk-1".to_owned()),
            locator: SourceLocator::LectureSpan {
                lecture_id,
                start_ms: 60_000,
                end_ms: 80_000,
            },
            label: "The cell @ 1:00".into(),
        }],
        ..new_card("What do ribosomes build?", "Proteins")
    };
    let originals = vec![
        new_card("Plain?", "Plain answer"),
        NewFlashcard {
            source_text: "Campbell, ch. 7".into(),
            ..new_card("Quotes \"and\", commas?", "Line one\nline two")
        },
        new_card("Ünïcödé — ΔG?", "Gibbs free energy, ΔG = ΔH − TΔS"),
        cited,
    ];
    library
        .store
        .flashcards()
        .create_batch(&library.biology, &originals)
        .unwrap();
    let mut exported = Vec::new();
    assert_eq!(
        export_csv(&library.store, &library.biology, &mut exported).unwrap(),
        4
    );
    let text = String::from_utf8(exported.clone()).unwrap();
    assert!(text.starts_with("front,back,source\n"), "{text}");
    assert!(text.contains("The cell @ 1:00"), "{text}");

    let imported = import_csv(&library.store, &library.history, exported.as_slice()).unwrap();
    let triple = |c: &Flashcard| (c.front.clone(), c.back.clone(), c.source_text.clone());
    assert_eq!(
        imported.iter().map(triple).collect::<Vec<_>>(),
        [
            ("Plain?".into(), "Plain answer".into(), None),
            (
                "Quotes \"and\", commas?".into(),
                "Line one\nline two".into(),
                Some("Campbell, ch. 7".into())
            ),
            (
                "Ünïcödé — ΔG?".into(),
                "Gibbs free energy, ΔG = ΔH − TΔS".into(),
                None
            ),
            (
                "What do ribosomes build?".into(),
                "Proteins".into(),
                Some("The cell @ 1:00".into())
            ),
        ]
    );
    assert!(imported.iter().all(|c| c.state == CardState::New));
    // Exporting the imported class gives the same file.
    let mut again = Vec::new();
    export_csv(&library.store, &library.history, &mut again).unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), text);

    // Two-column rows, no header, a byte-order mark and surrounding spaces are accepted.
    let two_columns = "\u{feff}Mitosis?, Cell division \nMeiosis?,Makes gametes\n";
    let plain = import_csv(&library.store, &library.history, two_columns.as_bytes()).unwrap();
    assert_eq!(
        plain.iter().map(triple).collect::<Vec<_>>(),
        [
            ("Mitosis?".into(), "Cell division".into(), None),
            ("Meiosis?".into(), "Makes gametes".into(), None)
        ]
    );
}

#[test]
fn a_malformed_csv_names_its_row_and_stores_nothing() {
    let library = library();
    let good = |n: u32| format!("Question {n}?,Answer {n}\n");
    let with_bad_row_3 = |bad: &[u8]| {
        let mut file = Vec::new();
        for n in 1..=2 {
            file.extend(good(n).as_bytes());
        }
        file.extend(bad);
        for n in 4..=5 {
            file.extend(good(n).as_bytes());
        }
        file
    };
    let cases: [(&[u8], &str); 5] = [
        (b"Question 3?,  \n", "the back is empty"),
        (b",Answer 3\n", "the front is empty"),
        (b"Only one column\n", "it has 1 column(s)"),
        (b"Q3?,A3,source,extra\n", "it has 4 column(s)"),
        (b"Question \xff3?,Answer 3\n", "column 1 is not UTF-8 text"),
    ];
    for (bad, problem) in cases {
        let error = import_csv(
            &library.store,
            &library.biology,
            with_bad_row_3(bad).as_slice(),
        )
        .unwrap_err();
        match &error {
            StudyError::CsvRow { row, .. } => assert_eq!(*row, 3, "{error}"),
            other => panic!("expected a row error, got {other:?}"),
        }
        let message = error.to_string();
        assert!(message.starts_with("row 3 of the CSV file: "), "{message}");
        assert!(message.contains(problem), "{message}");
        assert!(message.ends_with("Nothing was imported"), "{message}");
        assert!(
            library
                .store
                .flashcards()
                .list_by_class(&library.biology)
                .unwrap()
                .is_empty()
        );
    }
    // With a header row, rows are numbered as a spreadsheet shows them.
    let mut with_header = b"front,back\n".to_vec();
    with_header.extend(with_bad_row_3(b"Question 3?,\n"));
    let error = import_csv(&library.store, &library.biology, with_header.as_slice()).unwrap_err();
    assert!(
        error.to_string().starts_with("row 4 of the CSV file"),
        "{error}"
    );
    // An empty file is refused too.
    let error = import_csv(&library.store, &library.biology, &b"front,back\n"[..]).unwrap_err();
    assert!(error.to_string().contains("no cards"), "{error}");
    assert!(
        library
            .store
            .flashcards()
            .list_by_class(&library.biology)
            .unwrap()
            .is_empty()
    );
}
