//! Flashcards, their spaced-repetition memory state, and the log of every review.
//!
//! Scheduling is domain logic ([`crate::study::flashcards`], which drives the `fsrs` crate); this
//! repository stores what it decides. A review and the card's new memory state are written in one
//! transaction, so the history FSRS learns from always agrees with the state it produced.

use rusqlite::{OptionalExtension, Row, params};

use super::{
    Citation, ClassId, Store, StoreError, UnixMillis, json_column, now_ms, to_json, tombstone_live,
};

id_type!(
    /// The id of a [`Flashcard`].
    FlashcardId
);

id_type!(
    /// The id of a [`CardReview`].
    CardReviewId
);

text_enum!(
    /// Where a card is in its learning, as FSRS-based schedulers name it.
    CardState {
        /// Never reviewed.
        New => "new",
        /// Reviewed, but not yet remembered once (failed on its first reviews).
        Learning => "learning",
        /// Remembered; shown again after growing intervals.
        Review => "review",
        /// Forgotten after it had been remembered; shown again soon.
        Relearning => "relearning",
    }
);

/// How well the student recalled a card: the four review buttons (stored as 1 to 4, the numbers
/// FSRS uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Forgot it.
    Again,
    /// Remembered with difficulty.
    Hard,
    /// Remembered.
    Good,
    /// Remembered effortlessly.
    Easy,
}

impl Rating {
    /// The four ratings, in button order.
    pub const ALL: [Self; 4] = [Self::Again, Self::Hard, Self::Good, Self::Easy];

    /// The rating as FSRS and the database number it: 1 again, 2 hard, 3 good, 4 easy.
    pub fn number(self) -> u32 {
        match self {
            Self::Again => 1,
            Self::Hard => 2,
            Self::Good => 3,
            Self::Easy => 4,
        }
    }

    /// The rating numbered `number` (1 to 4), if there is one.
    pub fn from_number(number: u32) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|rating| rating.number() == number)
    }
}

impl rusqlite::ToSql for Rating {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.number()))
    }
}

impl rusqlite::types::FromSql for Rating {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let number = value.as_i64()?;
        u32::try_from(number)
            .ok()
            .and_then(Self::from_number)
            .ok_or_else(|| {
                rusqlite::types::FromSqlError::Other(format!("unknown rating {number}").into())
            })
    }
}

/// A card to store.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewFlashcard {
    /// The prompt side (trimmed; must not be empty).
    pub front: String,
    /// The answer side (trimmed; must not be empty).
    pub back: String,
    /// The chunks the card was made from (generated cards).
    pub citations: Vec<Citation>,
    /// Where the card says it comes from, as free text (imported cards); empty for none.
    pub source_text: String,
}

/// A stored card with its memory state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Flashcard {
    /// Stable global id.
    pub id: FlashcardId,
    /// The class it belongs to.
    pub class_id: ClassId,
    /// The prompt side.
    pub front: String,
    /// The answer side.
    pub back: String,
    /// The chunks it was made from.
    pub citations: Vec<Citation>,
    /// Free-text source (imported cards), when there is one.
    pub source_text: Option<String>,
    /// When it is next due for review (a new card is due when created).
    pub due: UnixMillis,
    /// FSRS stability in days (0 while new).
    pub stability: f64,
    /// FSRS difficulty, 1 to 10 (0 while new).
    pub difficulty: f64,
    /// Where it is in its learning.
    pub state: CardState,
    /// How many times it was reviewed.
    pub reps: u32,
    /// How many times it was forgotten after being remembered.
    pub lapses: u32,
    /// When it was last reviewed.
    pub last_review: Option<UnixMillis>,
    /// Whether the student set it aside (never due while suspended).
    pub suspended: bool,
    /// When it was made.
    pub created_at: UnixMillis,
    /// When it last changed.
    pub updated_at: UnixMillis,
}

const CARD_COLUMNS: &str = "id, class_id, front, back, citations_json, source_text, due, \
                            stability, difficulty, state, reps, lapses, last_review, suspended, \
                            created_at, updated_at";

impl Flashcard {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            class_id: row.get("class_id")?,
            front: row.get("front")?,
            back: row.get("back")?,
            citations: json_column(row, "citations_json")?.unwrap_or_default(),
            source_text: row.get("source_text")?,
            due: row.get("due")?,
            stability: row.get("stability")?,
            difficulty: row.get("difficulty")?,
            state: row.get("state")?,
            reps: row.get("reps")?,
            lapses: row.get("lapses")?,
            last_review: row.get("last_review")?,
            suspended: row.get("suspended")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// A card's memory state and due date after a review, as the scheduler computed them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CardSchedule {
    /// When it is next due.
    pub due: UnixMillis,
    /// FSRS stability in days.
    pub stability: f64,
    /// FSRS difficulty.
    pub difficulty: f64,
    /// Where it is in its learning.
    pub state: CardState,
    /// Reviews so far, this one included.
    pub reps: u32,
    /// Lapses so far, this one included.
    pub lapses: u32,
}

/// A review to record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewReview {
    /// The button pressed.
    pub rating: Rating,
    /// When.
    pub reviewed_at: UnixMillis,
    /// How long the student looked at the card, when known.
    pub duration_ms: Option<u32>,
}

/// A stored review.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CardReview {
    /// Stable global id.
    pub id: CardReviewId,
    /// The card reviewed.
    pub card_id: FlashcardId,
    /// The button pressed.
    pub rating: Rating,
    /// When.
    pub reviewed_at: UnixMillis,
    /// How long the student looked at the card, when known.
    pub duration_ms: Option<u32>,
}

impl CardReview {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            card_id: row.get("card_id")?,
            rating: row.get("rating")?,
            reviewed_at: row.get("reviewed_at")?,
            duration_ms: row.get("duration_ms")?,
        })
    }
}

/// How many cards of a class are due.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DueCount {
    /// The class.
    pub class_id: ClassId,
    /// Cards due now (not suspended).
    pub due: u32,
    /// All its live cards, suspended ones included.
    pub total: u32,
}

/// The flashcard repository, borrowed from [`Store::flashcards`].
pub struct Flashcards<'s> {
    store: &'s Store,
}

impl<'s> Flashcards<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Stores one new card in class `class_id`, due at once.
    pub fn create(&self, class_id: &ClassId, card: &NewFlashcard) -> Result<Flashcard, StoreError> {
        let mut created = self.create_batch(class_id, std::slice::from_ref(card))?;
        created.pop().ok_or_else(|| StoreError::Invalid {
            field: "flashcard",
            problem: "no card was stored".into(),
        })
    }

    /// Stores new cards in class `class_id`, all or nothing, due at once; every card is checked
    /// before anything is written.
    pub fn create_batch(
        &self,
        class_id: &ClassId,
        cards: &[NewFlashcard],
    ) -> Result<Vec<Flashcard>, StoreError> {
        // A clear "class not found" rather than a foreign-key failure.
        self.store.classes().get(class_id)?;
        let now = now_ms();
        let numbered = cards.len() > 1;
        let stored = (1..)
            .zip(cards)
            .map(|(number, card)| {
                let (front, back) = sides(&card.front, &card.back, numbered.then_some(number))?;
                let source_text = card.source_text.trim();
                Ok(Flashcard {
                    id: FlashcardId::generate(),
                    class_id: class_id.clone(),
                    front: front.to_owned(),
                    back: back.to_owned(),
                    citations: card.citations.clone(),
                    source_text: (!source_text.is_empty()).then(|| source_text.to_owned()),
                    due: now,
                    stability: 0.0,
                    difficulty: 0.0,
                    state: CardState::New,
                    reps: 0,
                    lapses: 0,
                    last_review: None,
                    suspended: false,
                    created_at: now,
                    updated_at: now,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.store.write("save flashcards", |tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO flashcards (id, class_id, front, back, citations_json, source_text,
                                         due, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7)",
            )?;
            for card in &stored {
                let citations = if card.citations.is_empty() {
                    None
                } else {
                    Some(to_json(&card.citations)?)
                };
                insert.execute(params![
                    card.id,
                    card.class_id,
                    card.front,
                    card.back,
                    citations,
                    card.source_text,
                    now
                ])?;
            }
            Ok(())
        })?;
        Ok(stored)
    }

    /// One live card.
    pub fn get(&self, id: &FlashcardId) -> Result<Flashcard, StoreError> {
        self.store
            .read("read a flashcard", |conn| {
                conn.query_row(
                    &format!(
                        "SELECT {CARD_COLUMNS} FROM flashcards WHERE id = ?1 AND deleted_at IS NULL"
                    ),
                    [id],
                    Flashcard::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| not_found(id))
    }

    /// The live cards of a class, oldest first, suspended ones included.
    pub fn list_by_class(&self, class_id: &ClassId) -> Result<Vec<Flashcard>, StoreError> {
        self.store.read("list flashcards", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {CARD_COLUMNS} FROM flashcards WHERE class_id = ?1 AND deleted_at IS NULL
                 ORDER BY created_at, id"
            ))?
            .query_map([class_id], Flashcard::from_row)?
            .collect()
        })
    }

    /// The cards of a class due at `now`: live, not suspended, `due <= now`, most overdue first.
    pub fn due(&self, class_id: &ClassId, now: UnixMillis) -> Result<Vec<Flashcard>, StoreError> {
        self.store.read("list due flashcards", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {CARD_COLUMNS} FROM flashcards
                 WHERE class_id = ?1 AND deleted_at IS NULL AND suspended = 0 AND due <= ?2
                 ORDER BY due, id"
            ))?
            .query_map(params![class_id, now], Flashcard::from_row)?
            .collect()
        })
    }

    /// For every live class with live cards: how many are due at `now`, and how many there are.
    pub fn due_counts(&self, now: UnixMillis) -> Result<Vec<DueCount>, StoreError> {
        self.store.read("count due flashcards", |conn| {
            conn.prepare_cached(
                "SELECT f.class_id,
                        coalesce(sum(f.suspended = 0 AND f.due <= ?1), 0) AS due,
                        count(*) AS total
                 FROM flashcards f JOIN classes c ON c.id = f.class_id
                 WHERE f.deleted_at IS NULL AND c.deleted_at IS NULL
                 GROUP BY f.class_id ORDER BY f.class_id",
            )?
            .query_map([now], |row| {
                Ok(DueCount {
                    class_id: row.get(0)?,
                    due: row.get(1)?,
                    total: row.get(2)?,
                })
            })?
            .collect()
        })
    }

    /// Replaces both sides of a live card (trimmed, not empty); its schedule is kept.
    pub fn edit(&self, id: &FlashcardId, front: &str, back: &str) -> Result<Flashcard, StoreError> {
        let (front, back) = sides(front, back, None)?;
        let changed = self.store.write("edit a flashcard", |tx| {
            tx.execute(
                "UPDATE flashcards SET front = ?2, back = ?3, updated_at = ?4
                 WHERE id = ?1 AND deleted_at IS NULL",
                params![id, front, back, now_ms()],
            )
        })?;
        if changed == 0 {
            return Err(not_found(id));
        }
        self.get(id)
    }

    /// Suspends (`true`) or unsuspends a live card. A suspended card keeps its schedule and
    /// history but is never due.
    pub fn set_suspended(&self, id: &FlashcardId, suspended: bool) -> Result<(), StoreError> {
        let changed = self.store.write("suspend a flashcard", |tx| {
            tx.execute(
                "UPDATE flashcards SET suspended = ?2, updated_at = ?3
                 WHERE id = ?1 AND deleted_at IS NULL",
                params![id, suspended, now_ms()],
            )
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }

    /// Deletes a card and its reviews (as tombstones, so sync peers delete them too).
    pub fn delete(&self, id: &FlashcardId) -> Result<(), StoreError> {
        let changed = self.store.write("delete a flashcard", |tx| {
            let now = now_ms();
            let changed = tombstone_live(tx, "flashcards", "id", id, now)?;
            tombstone_live(tx, "card_reviews", "card_id", id, now)?;
            Ok(changed)
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }

    /// Records a review of `card` (as read before scheduling) and its new schedule, in one
    /// transaction. Refused, with nothing stored, when the card was deleted, or reviewed by
    /// someone else since it was read (the schedule would be computed from a stale state).
    pub fn record_review(
        &self,
        card: &Flashcard,
        review: &NewReview,
        next: &CardSchedule,
    ) -> Result<CardReview, StoreError> {
        let finite = |value: f64| value.is_finite() && value >= 0.0;
        if !finite(next.stability) || !finite(next.difficulty) {
            return Err(StoreError::Invalid {
                field: "card schedule",
                problem: format!(
                    "stability {} and difficulty {} must be finite and not negative",
                    next.stability, next.difficulty
                ),
            });
        }
        let stored = CardReview {
            id: CardReviewId::generate(),
            card_id: card.id.clone(),
            rating: review.rating,
            reviewed_at: review.reviewed_at,
            duration_ms: review.duration_ms,
        };
        let updated = self.store.write("save a flashcard review", |tx| {
            let now = now_ms();
            // The card must still be in the state the schedule was computed from.
            let updated = tx.execute(
                "UPDATE flashcards
                 SET due = ?2, stability = ?3, difficulty = ?4, state = ?5, reps = ?6,
                     lapses = ?7, last_review = ?8, updated_at = ?9
                 WHERE id = ?1 AND deleted_at IS NULL AND reps = ?10 AND last_review IS ?11",
                params![
                    card.id,
                    next.due,
                    next.stability,
                    next.difficulty,
                    next.state,
                    next.reps,
                    next.lapses,
                    review.reviewed_at,
                    now,
                    card.reps,
                    card.last_review
                ],
            )?;
            if updated == 0 {
                return Ok(0);
            }
            tx.execute(
                "INSERT INTO card_reviews (id, card_id, rating, reviewed_at, duration_ms,
                                           created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    stored.id,
                    stored.card_id,
                    stored.rating,
                    stored.reviewed_at,
                    stored.duration_ms,
                    now
                ],
            )?;
            Ok(updated)
        })?;
        if updated == 0 {
            // Deleted (NotFound from `get`) or changed under us.
            self.get(&card.id)?;
            return Err(StoreError::Invalid {
                field: "review",
                problem: "the card was reviewed elsewhere in the meantime; show it again".into(),
            });
        }
        Ok(stored)
    }

    /// The reviews of a live card, oldest first.
    pub fn reviews(&self, id: &FlashcardId) -> Result<Vec<CardReview>, StoreError> {
        self.get(id)?;
        self.store.read("read flashcard reviews", |conn| {
            conn.prepare_cached(
                "SELECT id, card_id, rating, reviewed_at, duration_ms FROM card_reviews
                 WHERE card_id = ?1 AND deleted_at IS NULL
                 ORDER BY reviewed_at, id",
            )?
            .query_map([id], CardReview::from_row)?
            .collect()
        })
    }
}

/// Both sides of a card, trimmed; an error naming the empty side (and the card's 1-based
/// `number` in a batch).
fn sides<'c>(
    front: &'c str,
    back: &'c str,
    number: Option<usize>,
) -> Result<(&'c str, &'c str), StoreError> {
    let (front, back) = (front.trim(), back.trim());
    let empty = if front.is_empty() {
        "front"
    } else if back.is_empty() {
        "back"
    } else {
        return Ok((front, back));
    };
    let card = number.map_or_else(|| "the card".to_owned(), |n| format!("card {n}"));
    Err(StoreError::Invalid {
        field: "flashcard",
        problem: format!("the {empty} of {card} is empty; both sides need text"),
    })
}

fn not_found(id: &FlashcardId) -> StoreError {
    StoreError::NotFound {
        entity: "flashcard",
        id: id.as_str().to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::lectures::tests::store_with_lecture;
    use crate::store::test_support::count_rows;

    fn card(front: &str, back: &str) -> NewFlashcard {
        NewFlashcard {
            front: front.into(),
            back: back.into(),
            ..NewFlashcard::default()
        }
    }

    fn schedule(due: UnixMillis, reps: u32) -> CardSchedule {
        CardSchedule {
            due,
            stability: 2.5,
            difficulty: 4.0,
            state: CardState::Review,
            reps,
            lapses: 0,
        }
    }

    #[test]
    fn cards_are_stored_trimmed_edited_and_listed() {
        let (_dir, store, lecture) = store_with_lecture();
        let cards = store.flashcards();
        let made = cards
            .create(
                &lecture.class_id,
                &NewFlashcard {
                    source_text: "  Campbell ch. 7 ".into(),
                    ..card("  What makes ATP? ", " Mitochondria\n")
                },
            )
            .unwrap();
        assert_eq!(made.front, "What makes ATP?");
        assert_eq!(made.back, "Mitochondria");
        assert_eq!(made.source_text.as_deref(), Some("Campbell ch. 7"));
        assert_eq!(made.state, CardState::New);
        assert_eq!(cards.get(&made.id).unwrap(), made);

        let edited = cards
            .edit(&made.id, "What makes most ATP?", "The mitochondria")
            .unwrap();
        assert_eq!(edited.front, "What makes most ATP?");
        assert_eq!(edited.due, made.due, "editing keeps the schedule");
        assert!(cards.edit(&made.id, "Front", "  ").is_err());
        assert_eq!(cards.get(&made.id).unwrap().back, "The mitochondria");
        assert_eq!(cards.list_by_class(&lecture.class_id).unwrap(), [edited]);
    }

    #[test]
    fn an_empty_side_stores_nothing_and_names_the_card() {
        let (_dir, store, lecture) = store_with_lecture();
        let error = store
            .flashcards()
            .create_batch(&lecture.class_id, &[card("A?", "a"), card("B?", " \t")])
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid flashcard: the back of card 2 is empty; both sides need text"
        );
        let error = store
            .flashcards()
            .create(&lecture.class_id, &card("", "answer"))
            .unwrap_err();
        assert!(
            error.to_string().contains("the front of the card is empty"),
            "{error}"
        );
        assert_eq!(count_rows(&store, "flashcards"), 0);
    }

    #[test]
    fn a_review_and_the_new_state_are_stored_together() {
        let (_dir, store, lecture) = store_with_lecture();
        let cards = store.flashcards();
        let made = cards.create(&lecture.class_id, &card("Q?", "A")).unwrap();
        let review = NewReview {
            rating: Rating::Good,
            reviewed_at: made.due + 5,
            duration_ms: Some(3_000),
        };
        let stored = cards
            .record_review(&made, &review, &schedule(made.due + 86_400_000, 1))
            .unwrap();
        let after = cards.get(&made.id).unwrap();
        assert_eq!(after.reps, 1);
        assert_eq!(after.state, CardState::Review);
        assert_eq!(after.last_review, Some(made.due + 5));
        assert_eq!(cards.reviews(&made.id).unwrap(), [stored]);

        // A second review computed from the stale card is refused and stores nothing.
        let error = cards
            .record_review(&made, &review, &schedule(made.due + 2 * 86_400_000, 1))
            .unwrap_err();
        assert!(error.to_string().contains("reviewed elsewhere"), "{error}");
        assert_eq!(cards.get(&made.id).unwrap(), after);
        assert_eq!(count_rows(&store, "card_reviews"), 1);

        // A broken schedule is refused before anything is written.
        let bad = CardSchedule {
            stability: f64::NAN,
            ..schedule(0, 2)
        };
        assert!(cards.record_review(&after, &review, &bad).is_err());
        assert_eq!(count_rows(&store, "card_reviews"), 1);
    }

    #[test]
    fn suspended_and_deleted_cards_are_never_due() {
        let (_dir, store, lecture) = store_with_lecture();
        let cards = store.flashcards();
        let made = cards
            .create_batch(
                &lecture.class_id,
                &[card("One?", "1"), card("Two?", "2"), card("Three?", "3")],
            )
            .unwrap();
        let now = made[0].due;
        assert_eq!(cards.due(&lecture.class_id, now).unwrap().len(), 3);
        cards.set_suspended(&made[0].id, true).unwrap();
        assert!(cards.get(&made[0].id).unwrap().suspended);
        cards
            .record_review(
                &made[1],
                &NewReview {
                    rating: Rating::Good,
                    reviewed_at: now,
                    duration_ms: None,
                },
                &schedule(now + 1_000, 1),
            )
            .unwrap();
        cards.delete(&made[2].id).unwrap();
        assert_eq!(count_rows(&store, "card_reviews"), 1);
        assert!(cards.due(&lecture.class_id, now).unwrap().is_empty());
        let later = cards.due(&lecture.class_id, now + 1_000).unwrap();
        assert_eq!(
            later.iter().map(|c| &c.id).collect::<Vec<_>>(),
            [&made[1].id]
        );
        assert_eq!(
            cards.due_counts(now + 1_000).unwrap(),
            [DueCount {
                class_id: lecture.class_id.clone(),
                due: 1,
                total: 2
            }]
        );

        // Deleting tombstones the card's reviews too.
        cards.delete(&made[1].id).unwrap();
        let live_reviews: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM card_reviews WHERE deleted_at IS NULL",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(live_reviews, 0);
        assert!(matches!(
            cards.reviews(&made[1].id),
            Err(StoreError::NotFound { .. })
        ));
        cards.set_suspended(&made[0].id, false).unwrap();
        assert_eq!(cards.due(&lecture.class_id, now).unwrap().len(), 1);
    }

    #[test]
    fn ratings_round_trip_their_numbers() {
        for rating in Rating::ALL {
            assert_eq!(Rating::from_number(rating.number()), Some(rating));
        }
        assert_eq!(Rating::from_number(0), None);
        assert_eq!(Rating::from_number(5), None);
    }
}
