//! Flashcards: generated from the material (or a selected passage) under a JSON schema and
//! checked, reviewed on the FSRS schedule of the `fsrs` crate, and moved in and out as CSV.
//!
//! Scheduling: the card's stored memory state (stability, difficulty) and the whole days since
//! its last review go to [`fsrs::FSRS::next_states`] with the default parameters and a desired
//! retention of [`DESIRED_RETENTION`]. Hard, Good and Easy schedule the card that many days
//! later (the crate's interval rounded to whole days, at least one); Again keeps the crate's new
//! memory state but shows the card again after [`RELEARNING_STEP_MS`], in the same session, as
//! Anki-style schedulers do, and a forgotten review card counts a lapse.
//!
//! Generation also runs as a job ([`CardsJob`], kind [`CARDS_JOB_KIND`]) with progress per card.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fsrs::{FSRS, ItemState, MemoryState};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::quiz::{normalized, spread};
use super::{StudyError, StudyScope, ask_json};
use crate::chat::citations;
use crate::engines::{ChatMessage, ChatRole, EngineError, GenerateOptions, Llm};
use crate::jobs::{JobContext, JobError, JobHandler, Lane};
use crate::store::{
    CardReview, CardSchedule, CardState, ChunkId, ClassId, Flashcard, FlashcardId, Job, JobId,
    NewFlashcard, NewReview, Rating, SourceLocator, Store, UnixMillis,
};

/// The job kind of flashcard generation.
pub const CARDS_JOB_KIND: &str = "flashcards";

/// The probability of recalling a card when it comes due that the schedule aims for.
pub const DESIRED_RETENTION: f32 = 0.9;

/// How soon a card rated Again is shown again: ten minutes.
pub const RELEARNING_STEP_MS: UnixMillis = 10 * 60 * 1000;

/// A day in milliseconds; FSRS counts elapsed time and intervals in whole days.
pub const DAY_MS: UnixMillis = 24 * 60 * 60 * 1000;

/// Model calls allowed per card asked, rejected drafts included.
const DRAWS_PER_CARD: usize = 4;

/// The most cards one request may ask for.
pub const MAX_CARDS: usize = 50;

/// The longest selected passage cards are made from, in characters: the small models' context
/// holds the passage, the instructions and the answer.
pub const MAX_PASSAGE_CHARS: usize = 4_000;

/// What one review button would do: when the card would next be due.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ReviewChoice {
    /// The button.
    pub rating: Rating,
    /// When the card would be due after it.
    pub due: UnixMillis,
    /// `due` minus the review time, for the button's label ("10 min", "3 days").
    pub interval_ms: UnixMillis,
}

/// A recorded review and the card as it now stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReviewOutcome {
    /// The card with its new schedule.
    pub card: Flashcard,
    /// The stored review.
    pub review: CardReview,
}

/// Whole days from the card's last review to `now` (0 for a new card, a review earlier the same
/// day, or a clock that went backwards).
pub fn elapsed_days(card: &Flashcard, now: UnixMillis) -> u32 {
    card.last_review.map_or(0, |last| {
        let days = now.saturating_sub(last).max(0) / DAY_MS;
        u32::try_from(days).unwrap_or(u32::MAX)
    })
}

/// The card's memory state as FSRS sees it: none while it is new.
pub fn memory_state(card: &Flashcard) -> Option<MemoryState> {
    // The store keeps the crate's f32 values in REAL (f64) columns, so this is exact.
    (card.state != CardState::New).then_some(MemoryState {
        stability: card.stability as f32,
        difficulty: card.difficulty as f32,
    })
}

/// The schedule after each of the four ratings of `card` at `now`, in [`Rating::ALL`] order.
pub fn next_schedules(card: &Flashcard, now: UnixMillis) -> Result<[CardSchedule; 4], StudyError> {
    let fsrs = FSRS::new(&[])?;
    let next = fsrs.next_states(
        memory_state(card),
        DESIRED_RETENTION,
        elapsed_days(card, now),
    )?;
    Ok([
        schedule(card, Rating::Again, &next.again, now),
        schedule(card, Rating::Hard, &next.hard, now),
        schedule(card, Rating::Good, &next.good, now),
        schedule(card, Rating::Easy, &next.easy, now),
    ])
}

/// The interval the crate suggests, as whole days of at least one.
pub fn interval_days(item: &ItemState) -> u32 {
    // Intervals are bounded by the crate's maximum stability (36,500 days), so this cannot wrap.
    item.interval.round().max(1.0) as u32
}

/// The schedule FSRS's `item` gives `card` rated `rating` at `now`.
fn schedule(card: &Flashcard, rating: Rating, item: &ItemState, now: UnixMillis) -> CardSchedule {
    let (state, due, lapses) = if rating == Rating::Again {
        let state = match card.state {
            CardState::New | CardState::Learning => CardState::Learning,
            CardState::Review | CardState::Relearning => CardState::Relearning,
        };
        let lapsed = u32::from(card.state == CardState::Review);
        (state, now + RELEARNING_STEP_MS, card.lapses + lapsed)
    } else {
        let due = now + UnixMillis::from(interval_days(item)) * DAY_MS;
        (CardState::Review, due, card.lapses)
    };
    CardSchedule {
        due,
        stability: f64::from(item.memory.stability),
        difficulty: f64::from(item.memory.difficulty),
        state,
        reps: card.reps + 1,
        lapses,
    }
}

/// What each of the four buttons would do to `card` at `now`, for the review screen.
pub fn preview(card: &Flashcard, now: UnixMillis) -> Result<[ReviewChoice; 4], StudyError> {
    let schedules = next_schedules(card, now)?;
    Ok(Rating::ALL.map(|rating| {
        let due = schedules[rating_index(rating)].due;
        ReviewChoice {
            rating,
            due,
            interval_ms: due - now,
        }
    }))
}

fn rating_index(rating: Rating) -> usize {
    match rating {
        Rating::Again => 0,
        Rating::Hard => 1,
        Rating::Good => 2,
        Rating::Easy => 3,
    }
}

/// Records that the student rated card `card_id` `rating` at `now` (after looking at it for
/// `duration_ms`), computing its next schedule with FSRS; the review and the new state are
/// stored together. A suspended card cannot be reviewed.
pub fn review(
    store: &Store,
    card_id: &FlashcardId,
    rating: Rating,
    now: UnixMillis,
    duration_ms: Option<u32>,
) -> Result<ReviewOutcome, StudyError> {
    let cards = store.flashcards();
    let card = cards.get(card_id)?;
    if card.suspended {
        return Err(StudyError::Invalid(
            "this card is suspended; unsuspend it to review it".to_owned(),
        ));
    }
    let next = next_schedules(&card, now)?[rating_index(rating)];
    let review = cards.record_review(
        &card,
        &NewReview {
            rating,
            reviewed_at: now,
            duration_ms,
        },
        &next,
    )?;
    Ok(ReviewOutcome {
        card: cards.get(card_id)?,
        review,
    })
}

/// A card as the model writes it, before checks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DraftCard {
    /// The question side.
    pub front: String,
    /// The answer side.
    pub back: String,
}

/// Why a drafted card was thrown away.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardDefect {
    /// A side without text.
    #[error("the {0} is empty")]
    Empty(&'static str),
    /// Both sides say the same thing.
    #[error("the back repeats the front")]
    SameSides,
    /// The front was already used (in this batch or by a card of the class).
    #[error("the front repeats another card's")]
    Repeated,
    /// The back is the passage copied whole, not an answer.
    #[error("the back copies the whole passage")]
    CopiedPassage,
    /// The back only restates words of the front ("Why do cells have a nucleus?" / "Cells have
    /// a nucleus").
    #[error("the back only repeats the front")]
    EchoesFront,
    /// The front is a sentence of the passage, not a question about it.
    #[error("the front copies the passage word for word")]
    FrontCopied,
}

/// Checks a draft against the passage it came from and the fronts already taken, and turns it
/// into a card to store.
pub fn check(
    draft: &DraftCard,
    passage: &str,
    taken_fronts: &[&str],
) -> Result<NewFlashcard, CardDefect> {
    let (front, back) = (draft.front.trim(), draft.back.trim());
    let (front_words, back_words) = (normalized(front), normalized(back));
    if front_words.is_empty() {
        return Err(CardDefect::Empty("front"));
    }
    if back_words.is_empty() {
        return Err(CardDefect::Empty("back"));
    }
    if front_words == back_words {
        return Err(CardDefect::SameSides);
    }
    if echoes(&back_words, &front_words) {
        return Err(CardDefect::EchoesFront);
    }
    if taken_fronts
        .iter()
        .any(|taken| normalized(taken) == front_words)
    {
        return Err(CardDefect::Repeated);
    }
    let passage_words = normalized(passage);
    // A short front ("What is ATP?") may well appear in a passage; a long one copied whole is a
    // statement, not a question.
    if front_words.split(' ').count() >= 6 && passage_words.contains(&front_words) {
        return Err(CardDefect::FrontCopied);
    }
    // A back holding (nearly) all of the passage's words is a copy, reworded or not, not an
    // answer; a sentence of it is fine.
    let passage_set: HashSet<&str> = passage_words.split(' ').collect();
    let back_set: HashSet<&str> = back_words.split(' ').collect();
    if passage_set.intersection(&back_set).count() * 5 >= passage_set.len() * 4 {
        return Err(CardDefect::CopiedPassage);
    }
    Ok(NewFlashcard {
        front: front.to_owned(),
        back: back.to_owned(),
        ..NewFlashcard::default()
    })
}

/// Whether (nearly) every word of `back` but filler is a word of `front` or shares its stem, so
/// the back adds nothing: all of a short back, four in five of a longer one ("has" for "have").
/// Both are [`normalized`].
fn echoes(back: &str, front: &str) -> bool {
    const FILLER: [&str; 8] = ["the", "a", "an", "is", "are", "it", "its", "s"];
    // Words match on their first five letters ("contain", "contains"), or whole when shorter.
    let stem_match = |a: &str, b: &str| {
        let stem = 5.min(a.len()).min(b.len());
        a == b || (stem >= 3 && a.get(..stem).is_some() && a.get(..stem) == b.get(..stem))
    };
    let words: Vec<&str> = back
        .split(' ')
        .filter(|word| !FILLER.contains(word))
        .collect();
    let repeated = words
        .iter()
        .filter(|word| front.split(' ').any(|known| stem_match(word, known)))
        .count();
    !words.is_empty() && repeated * 5 >= words.len() * 4
}

/// The JSON schema the model's card is held to, by grammar; both sides are bounded so
/// generation cannot run on until `max_tokens`.
pub fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "front": {"type": "string", "minLength": 5, "maxLength": 120},
            "back": {"type": "string", "minLength": 1, "maxLength": 120}
        },
        "required": ["front", "back"],
        "additionalProperties": false
    })
}

/// Where a selected passage was taken from, so its cards can cite it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PassageOrigin {
    /// The chunk the selection lies in.
    pub chunk_id: ChunkId,
    /// Its page or lecture moment.
    pub locator: SourceLocator,
}

/// What cards are made from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardSource {
    /// A lecture, a document or a class, spread over its chunks.
    Scope {
        /// The scope.
        scope: StudyScope,
    },
    /// Text the student selected.
    Passage {
        /// The class the cards go to.
        class_id: ClassId,
        /// The selected text.
        text: String,
        /// Where it was selected, when it was selected in the library (cards then cite it).
        origin: Option<PassageOrigin>,
    },
}

/// What to generate; also the payload of a flashcards job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardRequest {
    /// Where the cards come from.
    pub source: CardSource,
    /// How many cards (1 to [`MAX_CARDS`]).
    pub cards: usize,
    /// Base sampling seed (each draw uses the next one), for reproducible cards.
    #[serde(default)]
    pub seed: u32,
    /// CPU threads for the model; `None` for the engine's default.
    #[serde(default)]
    pub threads: Option<u32>,
}

impl CardRequest {
    /// Refuses a card count out of range.
    fn check_count(&self) -> Result<(), StudyError> {
        if self.cards == 0 || self.cards > MAX_CARDS {
            return Err(StudyError::Invalid(format!(
                "ask for 1 to {MAX_CARDS} cards, not {}",
                self.cards
            )));
        }
        Ok(())
    }
}

/// Queues a flashcards job for `request` and returns its id. A card count out of range, an
/// empty scope or an unusable selection is refused here, with nothing queued.
pub fn enqueue(store: &Store, request: &CardRequest) -> Result<JobId, StudyError> {
    super::enqueue_generation(store, CARDS_JOB_KIND, request, || {
        request.check_count()?;
        material(store, &request.source, request.cards).map(drop)
    })
}

/// The cards a finished flashcards job stored (empty while it has not stored them).
pub fn cards_of_job(job: &Job) -> Vec<FlashcardId> {
    super::job_result(job).unwrap_or_default()
}

/// Runs flashcards jobs on the language-model lane: progress per accepted card, cancel between
/// model calls; the cards are stored together at the end and their ids kept in the job's
/// checkpoint ([`cards_of_job`]).
pub struct CardsJob {
    llm: Arc<dyn Llm>,
}

impl CardsJob {
    /// A handler writing cards with `llm`.
    pub fn new(llm: Arc<dyn Llm>) -> Self {
        Self { llm }
    }
}

impl JobHandler for CardsJob {
    fn kind(&self) -> &str {
        CARDS_JOB_KIND
    }

    fn lane(&self) -> Lane {
        Lane::Llm
    }

    fn run(&self, context: &JobContext<'_>) -> Result<(), JobError> {
        super::run_generation_job(
            context,
            "card",
            |request: &CardRequest, cancel, on_progress| {
                let generator = CardGenerator::new(context.store(), self.llm.as_ref());
                let cards = generator.generate(request, Some(cancel), on_progress)?;
                Ok(cards.into_iter().map(|card| card.id).collect::<Vec<_>>())
            },
        )
    }
}

/// A passage to draw cards from, and the citation its cards carry.
struct Material {
    text: String,
    origin: Option<PassageOrigin>,
}

const CARD_INSTRUCTIONS: &str = "Write one flashcard about a key fact of this passage: a short \
    question on the front, and its answer in a few words on the back.";

/// The worked example the model is shown before the real passage.
const EXAMPLE_PASSAGE: &str = "Water boils at 100 degrees Celsius at sea level. Higher up, the \
    air pressure is lower, so water boils at a lower temperature.";
const EXAMPLE_FRONT: &str = "Why does water boil at a lower temperature on a mountain?";
const EXAMPLE_BACK: &str = "The air pressure is lower";

/// Writes flashcards with a local model.
pub struct CardGenerator<'a> {
    store: &'a Store,
    llm: &'a dyn Llm,
}

impl<'a> CardGenerator<'a> {
    /// A generator over one profile's store.
    pub fn new(store: &'a Store, llm: &'a dyn Llm) -> Self {
        Self { store, llm }
    }

    /// Generates, checks and stores cards. `on_progress(done, wanted)` follows each accepted
    /// card; `cancel` stops between model calls. Nothing is stored unless all the cards are.
    pub fn generate(
        &self,
        request: &CardRequest,
        cancel: Option<&AtomicBool>,
        on_progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Flashcard>, StudyError> {
        request.check_count()?;
        let (class_id, material) = material(self.store, &request.source, request.cards)?;
        // Fronts the class already has count as taken, so a second batch does not repeat them.
        let existing = self.store.flashcards().list_by_class(&class_id)?;
        let mut taken: Vec<String> = existing.into_iter().map(|card| card.front).collect();
        // A small model sometimes hands the worked example back.
        taken.push(EXAMPLE_FRONT.to_owned());

        let mut accepted: Vec<NewFlashcard> = Vec::new();
        let mut seed = request.seed;
        let mut draws = 0;
        while accepted.len() < request.cards && draws < request.cards * DRAWS_PER_CARD {
            // A rejected draft moves on to the next passage (going round when needed), so one
            // awkward passage cannot sink the batch.
            let passage = &material[draws % material.len()];
            draws += 1;
            if cancel.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                return Err(EngineError::Cancelled.into());
            }
            seed = seed.wrapping_add(1);
            let Some(draft) = self.draft(&passage.text, seed, request.threads, cancel)? else {
                continue;
            };
            let taken_fronts: Vec<&str> = taken.iter().map(String::as_str).collect();
            match check(&draft, &passage.text, &taken_fronts) {
                Ok(mut card) => {
                    if let Some(origin) = &passage.origin {
                        card.citations = vec![citations::cite(
                            self.store,
                            1,
                            &origin.chunk_id,
                            &origin.locator,
                        )?];
                    }
                    taken.push(card.front.clone());
                    accepted.push(card);
                    on_progress(accepted.len(), request.cards);
                }
                Err(reason) => {
                    tracing::debug!(%reason, "flashcard rejected; generating again");
                }
            }
        }
        if accepted.len() < request.cards {
            return Err(StudyError::NotEnoughCards {
                made: accepted.len(),
                wanted: request.cards,
            });
        }
        Ok(self.store.flashcards().create_batch(&class_id, &accepted)?)
    }

    /// Asks the model for one card about `passage`; `None` when the output is unusable.
    fn draft(
        &self,
        passage: &str,
        seed: u32,
        threads: Option<u32>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Option<DraftCard>, StudyError> {
        let ask = |passage: &str| ChatMessage {
            role: ChatRole::User,
            content: format!("Passage:\n{}\n\n{CARD_INSTRUCTIONS}", passage.trim()),
        };
        // One worked example shows a small model what a card is far better than words do.
        let messages = [
            ChatMessage {
                role: ChatRole::System,
                content: "You write study flashcards about passages from a student's class \
                          material, as JSON."
                    .to_owned(),
            },
            ask(EXAMPLE_PASSAGE),
            ChatMessage {
                role: ChatRole::Assistant,
                content: json!({"front": EXAMPLE_FRONT, "back": EXAMPLE_BACK}).to_string(),
            },
            ask(passage),
        ];
        let options = GenerateOptions {
            max_tokens: 160,
            temperature: 0.7,
            seed,
            json_schema: Some(schema()),
            threads,
        };
        Ok(ask_json(self.llm, &messages, &options, cancel)?)
    }
}

/// The class the cards go to and the passages to draw them from, in drawing order.
fn material(
    store: &Store,
    source: &CardSource,
    cards: usize,
) -> Result<(ClassId, Vec<Material>), StudyError> {
    match source {
        CardSource::Scope { scope } => {
            let class_id = scope.class_id(store)?;
            let chunks = scope.chunks(store)?;
            let material = spread(&chunks, cards)
                .into_iter()
                .map(|chunk| Material {
                    text: chunk.text.clone(),
                    origin: Some(PassageOrigin {
                        chunk_id: chunk.id.clone(),
                        locator: chunk.locator.clone(),
                    }),
                })
                .collect();
            Ok((class_id, material))
        }
        CardSource::Passage {
            class_id,
            text,
            origin,
        } => {
            let class_id = store.classes().get(class_id)?.id;
            let text = text.trim();
            if text.is_empty() {
                return Err(StudyError::Invalid(
                    "select some text to make cards from".to_owned(),
                ));
            }
            let length = text.chars().count();
            if length > MAX_PASSAGE_CHARS {
                return Err(StudyError::Invalid(format!(
                    "the selection has {length} characters; select at most \
                     {MAX_PASSAGE_CHARS} (about a page) to make cards from"
                )));
            }
            let material = vec![Material {
                text: text.to_owned(),
                origin: origin.clone(),
            }];
            Ok((class_id, material))
        }
    }
}

/// The header row [`export_csv`] writes and [`import_csv`] skips.
const CSV_HEADER: [&str; 3] = ["front", "back", "source"];

/// Writes the live cards of a class as CSV (`front,back,source`, with a header row) and returns
/// how many. The source is the card's free-text source, or else the labels of its citations.
pub fn export_csv(
    store: &Store,
    class_id: &ClassId,
    writer: impl Write,
) -> Result<usize, StudyError> {
    let cards = store.flashcards().list_by_class(class_id)?;
    let write_error = |source| StudyError::Csv {
        action: "write",
        source,
    };
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(CSV_HEADER).map_err(write_error)?;
    for card in &cards {
        let source = card.source_text.clone().unwrap_or_else(|| {
            card.citations
                .iter()
                .map(|citation| citation.label.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        });
        csv.write_record([card.front.as_str(), card.back.as_str(), source.as_str()])
            .map_err(write_error)?;
    }
    csv.flush().map_err(|source| StudyError::Csv {
        action: "write",
        source: source.into(),
    })?;
    Ok(cards.len())
}

/// Imports cards from CSV into a class: rows of `front,back` or `front,back,source`, with an
/// optional header row. Every row is checked first; one bad row (an empty side, a wrong number
/// of columns, text that is not UTF-8) is reported by its row number and nothing is imported.
pub fn import_csv(
    store: &Store,
    class_id: &ClassId,
    reader: impl Read,
) -> Result<Vec<Flashcard>, StudyError> {
    store.classes().get(class_id)?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut cards = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let more = csv.read_byte_record(&mut record).map_err(|error| {
            match error.position().map(|position| position.record() + 1) {
                Some(row) if !matches!(error.kind(), csv::ErrorKind::Io(_)) => StudyError::CsvRow {
                    row,
                    problem: error.to_string(),
                },
                _ => StudyError::Csv {
                    action: "read",
                    source: error,
                },
            }
        })?;
        if !more {
            break;
        }
        let row = record.position().map_or(0, |position| position.record()) + 1;
        let bad_row = |problem: String| StudyError::CsvRow { row, problem };
        let fields = record
            .iter()
            .enumerate()
            .map(|(column, field)| {
                std::str::from_utf8(field).map_err(|_| {
                    bad_row(format!(
                        "column {} is not UTF-8 text (save the file as UTF-8)",
                        column + 1
                    ))
                })
            })
            .collect::<Result<Vec<&str>, StudyError>>()?;
        // Spreadsheets often start a UTF-8 file with a byte-order mark.
        let fields: Vec<&str> = fields
            .iter()
            .enumerate()
            .map(|(column, field)| {
                let field = if row == 1 && column == 0 {
                    field.trim_start_matches('\u{feff}')
                } else {
                    field
                };
                field.trim()
            })
            .collect();
        if !(2..=3).contains(&fields.len()) {
            return Err(bad_row(format!(
                "it has {} column(s); each row needs front,back or front,back,source",
                fields.len()
            )));
        }
        let is_header = row == 1
            && fields
                .iter()
                .zip(CSV_HEADER)
                .all(|(field, name)| field.eq_ignore_ascii_case(name));
        if is_header {
            continue;
        }
        for (side, text) in [("front", fields[0]), ("back", fields[1])] {
            if text.is_empty() {
                return Err(bad_row(format!(
                    "the {side} is empty; both sides need text"
                )));
            }
        }
        cards.push(NewFlashcard {
            front: fields[0].to_owned(),
            back: fields[1].to_owned(),
            citations: Vec::new(),
            source_text: fields.get(2).copied().unwrap_or_default().to_owned(),
        });
    }
    if cards.is_empty() {
        return Err(StudyError::Invalid(
            "the CSV file has no cards (expected rows of front,back or front,back,source)"
                .to_owned(),
        ));
    }
    Ok(store.flashcards().create_batch(class_id, &cards)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    const PASSAGE: &str = "The mitochondrion is the powerhouse of the cell. It turns glucose \
        and oxygen into ATP, the molecule cells use for energy.";

    fn draft(front: &str, back: &str) -> DraftCard {
        DraftCard {
            front: front.into(),
            back: back.into(),
        }
    }

    #[test]
    fn a_good_card_passes_and_degenerate_ones_are_named() {
        let good = check(
            &draft(" What do mitochondria make? ", " ATP "),
            PASSAGE,
            &[],
        )
        .unwrap();
        assert_eq!(
            (good.front.as_str(), good.back.as_str()),
            ("What do mitochondria make?", "ATP")
        );
        assert_eq!(
            check(&draft("What is ATP?", "  "), PASSAGE, &[]),
            Err(CardDefect::Empty("back"))
        );
        assert_eq!(
            check(&draft("...", "ATP"), PASSAGE, &[]),
            Err(CardDefect::Empty("front"))
        );
        assert_eq!(
            check(
                &draft("Mitochondria make ATP", "mitochondria make ATP."),
                PASSAGE,
                &[]
            ),
            Err(CardDefect::SameSides)
        );
        assert_eq!(
            check(
                &draft("what do Mitochondria make", "Energy"),
                PASSAGE,
                &["What do mitochondria make?"]
            ),
            Err(CardDefect::Repeated)
        );
        assert_eq!(
            check(&draft("What does the passage say?", PASSAGE), PASSAGE, &[]),
            Err(CardDefect::CopiedPassage)
        );
        assert_eq!(
            check(
                &draft(
                    "Why does the brain have a structure called the synapse?",
                    "The brain has a structure called the synapse"
                ),
                PASSAGE,
                &[]
            ),
            Err(CardDefect::EchoesFront)
        );
        for echo in ["The cell contains enzymes", "Cells contain the enzymes."] {
            assert_eq!(
                check(
                    &draft("How does a cell contain enzymes?", echo),
                    PASSAGE,
                    &[]
                ),
                Err(CardDefect::EchoesFront)
            );
        }
        // A short answer not in the question is fine, however short.
        check(&draft("Which molecule stores energy?", "ATP"), PASSAGE, &[]).unwrap();
        check(
            &draft("What is the heart's job?", "To pump blood"),
            PASSAGE,
            &[],
        )
        .unwrap();
        // Reworded but still the whole passage.
        let reworded = "It turns glucose and oxygen into ATP, the molecule that cells use for \
            energy; the mitochondrion is the cell's powerhouse.";
        assert_eq!(
            check(&draft("What is the mitochondrion?", reworded), PASSAGE, &[]),
            Err(CardDefect::CopiedPassage)
        );
        assert_eq!(
            check(
                &draft("It turns glucose and oxygen into ATP.", "True"),
                PASSAGE,
                &[]
            ),
            Err(CardDefect::FrontCopied)
        );
        // One sentence of the passage is a fine answer.
        check(
            &draft("What is the mitochondrion?", "The powerhouse of the cell."),
            PASSAGE,
            &[],
        )
        .unwrap();
    }

    #[test]
    fn the_schema_is_bounded() {
        let schema = schema();
        for (name, field) in schema["properties"].as_object().unwrap() {
            assert!(field.get("maxLength").is_some(), "{name} is unbounded");
        }
    }
}
