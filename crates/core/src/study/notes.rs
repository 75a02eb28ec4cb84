//! Notes and study guides by map-reduce, sized to the model's real context.
//!
//! - **Map.** The scope's chunks are grouped, in source order, into batches whose prompt fits the
//!   model's context with room for the instructions and the answer, counted with the model's
//!   own tokenizer (nothing is ever truncated). For each batch the model writes key points,
//!   terms with definitions and review questions as JSON under a bounded schema, each item
//!   naming the numbered passage it comes from, so every line of the note cites a real chunk.
//! - **Reduce.** Duplicates are dropped; while the key points are too many for one note, groups
//!   of them that fit one call are merged by the model (each merged point naming the point it
//!   keeps the source of), level after level, so a scope larger than any context still works.
//!   Only a single chunk too large for the context is an error.
//! - **Render.** The points, terms and questions become Markdown sections, each line with its
//!   citation label (`Cells @ 12:34`, `Biology notes p. 7`) and `[n]` marker.
//!
//! As a job ([`NotesJob`], kind [`NOTES_JOB_KIND`], on the language-model lane) the work reports
//! progress (chunks summarised of all) and stores a checkpoint with the results of every finished
//! batch, so a job resumed after a crash or a cancel does not summarise those chunks again. The
//! note is stored in one transaction, tagged with its job so it is never stored twice.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{StudyError, StudyScope, ask_json};
use crate::chat::citations;
use crate::chat::prompt::TEMPLATE_TOKENS_PER_MESSAGE;
use crate::engines::{ChatMessage, ChatRole, EngineError, GenerateOptions, Llm};
use crate::jobs::{JobContext, JobError, JobHandler, Lane};
use crate::read_aloud::speakable::strip_citations;
use crate::store::{
    Chunk, ChunkId, Citation, JobId, JobProgress, NewJob, NewNote, Note, NoteScope, Store,
};

/// The job kind of notes generation.
pub const NOTES_JOB_KIND: &str = "notes";

/// Tokens kept free for a map call's answer. The map schema's bounds keep the JSON at about
/// 450 tokens even when every field is full and the model indents it (an earlier, looser schema
/// needing about 600 was cut off now and then, costing a whole redraw).
const MAP_ANSWER_TOKENS: usize = 640;
/// Tokens a merged key point may take in a reduce answer (160 characters and its JSON).
const REDUCE_TOKENS_PER_POINT: usize = 64;
/// Key points a finished note keeps at most; more are merged by the model.
const FINAL_POINTS: usize = 12;
/// Key points one intermediate reduce call writes at most.
const MERGED_POINTS_PER_CALL: usize = 8;
/// Terms and review questions a finished note keeps at most.
const FINAL_TERMS: usize = 16;
const FINAL_QUESTIONS: usize = 8;
/// Model calls allowed for one batch or one merge whose output is unusable.
const DRAWS_PER_CALL: usize = 3;
/// Tokens added to every estimate for joins between counted pieces (tokens can merge or split
/// across them).
const JOIN_SLACK: usize = 16;
/// Share of the progress bar the map phase takes; merging and storing take the rest.
const MAP_SHARE: f64 = 0.9;

const SYSTEM_PROMPT: &str = "You take study notes for a student from their lecture transcripts \
and class documents. You answer in JSON.";

const MAP_INSTRUCTIONS: &str = "Write the key points of these passages as short, complete \
sentences; the important terms, each with a short definition; and one question a student \
should be able to answer after studying them. For each item give the number of the \
passage it comes from.";

const REDUCE_INSTRUCTIONS: &str = "These are notes on one lecture or class, in order. Merge \
them into fewer, clearer key points in the same order: combine points that say the same \
thing and leave out minor details. For each key point give the number of the note it mainly \
comes from.";

/// What notes to write; the payload of a notes job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotesRequest {
    /// The lecture, document or class to take notes on.
    pub scope: StudyScope,
    /// The note's title; `None` names it after the lecture, document or class.
    pub title: Option<String>,
    /// Base sampling seed (each call uses the next one), for reproducible notes.
    pub seed: u32,
    /// CPU threads for the model; `None` for the engine's default.
    pub threads: Option<u32>,
}

/// A key point or review question with the chunk it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcedLine {
    /// The text.
    pub text: String,
    /// The chunk it comes from.
    pub chunk_id: ChunkId,
}

/// A term, its definition and the chunk it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcedTerm {
    /// The term.
    pub term: String,
    /// Its definition.
    pub definition: String,
    /// The chunk it comes from.
    pub chunk_id: ChunkId,
}

/// The notes of part of the scope: what one map batch produced, or the merged whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartialNotes {
    /// Key points, in source order.
    pub points: Vec<SourcedLine>,
    /// Terms with definitions.
    pub terms: Vec<SourcedTerm>,
    /// Questions to review.
    pub questions: Vec<SourcedLine>,
}

/// One finished map batch, as kept in the job's checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappedBatch {
    /// The chunks of the batch, in order; a resumed job reuses the result only when its batch
    /// has exactly these chunks.
    pub chunk_ids: Vec<ChunkId>,
    /// The job attempt that summarised it (1 for the first run).
    pub attempt: u32,
    /// Model calls it took (more than one when an answer was unusable).
    pub model_calls: u32,
    /// What the model wrote, checked and mapped to chunks.
    pub notes: PartialNotes,
}

/// Where a notes job is: the map batches finished so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotesCheckpoint {
    /// Finished batches, by batch number (from 0).
    pub batches: BTreeMap<usize, MappedBatch>,
}

/// Progress of a notes run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NotesProgress {
    /// Chunks summarised so far (by this run or an earlier one).
    pub chunks_done: usize,
    /// Chunks in the scope.
    pub chunks_total: usize,
    /// Map batches finished.
    pub batches_done: usize,
    /// Map batches in all.
    pub batches_total: usize,
    /// Merge calls made so far.
    pub merges_done: usize,
}

impl NotesProgress {
    /// The fraction done, 0 to 1: the map phase fills most of it.
    pub fn fraction(&self) -> f64 {
        let map = self.batches_done as f64 / self.batches_total.max(1) as f64;
        let merge = if self.batches_done == self.batches_total && self.merges_done > 0 {
            (1.0 - MAP_SHARE) * 0.5
        } else {
            0.0
        };
        (map * MAP_SHARE + merge).min(1.0)
    }

    /// What is happening, in words.
    pub fn message(&self) -> String {
        if self.batches_done < self.batches_total || self.merges_done == 0 {
            format!(
                "summarised {} of {} chunks (part {} of {})",
                self.chunks_done, self.chunks_total, self.batches_done, self.batches_total
            )
        } else {
            format!(
                "merging the notes ({} merge calls so far)",
                self.merges_done
            )
        }
    }
}

/// The plan of the map phase: which chunks go into which call.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchPlan {
    /// Indices into the scope's chunks, one list per batch, in source order.
    pub batches: Vec<Vec<usize>>,
    /// The model's context size the plan was made for.
    pub context_size: usize,
}

/// Writes notes with a local model.
pub struct NotesGenerator<'a> {
    store: &'a Store,
    llm: &'a dyn Llm,
}

/// The model's answer for one batch, before checks.
#[derive(Debug, Deserialize)]
struct MapAnswer {
    key_points: Vec<MapPoint>,
    terms: Vec<MapTerm>,
    questions: Vec<MapQuestion>,
}

#[derive(Debug, Deserialize)]
struct MapPoint {
    point: String,
    source: usize,
}

#[derive(Debug, Deserialize)]
struct MapTerm {
    term: String,
    definition: String,
    source: usize,
}

#[derive(Debug, Deserialize)]
struct MapQuestion {
    question: String,
    source: usize,
}

/// The model's answer for one merge, before checks.
#[derive(Debug, Deserialize)]
struct ReduceAnswer {
    key_points: Vec<ReducePoint>,
}

#[derive(Debug, Deserialize)]
struct ReducePoint {
    point: String,
    from: usize,
}

/// The JSON schema of a map answer for `passages` numbered passages. Every field is bounded so
/// the answer fits [`MAP_ANSWER_TOKENS`].
pub fn map_schema(passages: usize) -> serde_json::Value {
    let source = json!({"type": "integer", "minimum": 1, "maximum": passages.max(1)});
    json!({
        "type": "object",
        "properties": {
            "key_points": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "point": {"type": "string", "minLength": 10, "maxLength": 150},
                        "source": source
                    },
                    "required": ["point", "source"],
                    "additionalProperties": false
                },
                "minItems": 2,
                "maxItems": 4
            },
            "terms": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "term": {"type": "string", "minLength": 2, "maxLength": 40},
                        "definition": {"type": "string", "minLength": 5, "maxLength": 100},
                        "source": source
                    },
                    "required": ["term", "definition", "source"],
                    "additionalProperties": false
                },
                "maxItems": 2
            },
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "question": {"type": "string", "minLength": 10, "maxLength": 100},
                        "source": source
                    },
                    "required": ["question", "source"],
                    "additionalProperties": false
                },
                "maxItems": 1
            }
        },
        "required": ["key_points", "terms", "questions"],
        "additionalProperties": false
    })
}

/// Key points a merge into at most `wanted` of `given` points must keep: half, so a small model
/// cannot boil a whole lecture down to two sentences.
fn min_points(wanted: usize, given: usize) -> usize {
    (wanted.min(given) / 2).max(1)
}

/// The JSON schema of a merge of `notes` numbered notes into at most `points` key points (and at
/// least half as many).
pub fn reduce_schema(notes: usize, points: usize) -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "key_points": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "point": {"type": "string", "minLength": 10, "maxLength": 160},
                        "from": {"type": "integer", "minimum": 1, "maximum": notes.max(1)}
                    },
                    "required": ["point", "from"],
                    "additionalProperties": false
                },
                "minItems": min_points(points, notes),
                "maxItems": points.max(1)
            }
        },
        "required": ["key_points"],
        "additionalProperties": false
    })
}

fn reduce_answer_tokens(points: usize) -> usize {
    points * REDUCE_TOKENS_PER_POINT + 32
}

/// Lowercase words without punctuation, for comparing texts.
fn normalized(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line of text, with runs of whitespace (the model's newlines included) made one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` from the model made fit for a note, or `None` when it is degenerate. A small model
/// numbers its items ("1. 1. Cells ..."), copies the citation labels it sees, or fills a field
/// with digits and dots; those are stripped or rejected. What is left needs `min_words` words
/// with letters, and letters must make most of it.
fn cleaned(text: &str, min_words: usize) -> Option<String> {
    let text = one_line(&strip_citations(text));
    let mut rest = text.as_str();
    // Leading enumerations: "1. ", "2) ", "1.1. ", repeated.
    loop {
        let digits_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ')'))
            .unwrap_or(rest.len());
        let prefix = &rest[..digits_end];
        if prefix.is_empty() || !prefix.chars().any(|c| c.is_ascii_digit()) {
            break;
        }
        rest = rest[digits_end..].trim_start();
    }
    let words = rest
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphabetic))
        .count();
    let visible = rest.chars().filter(|c| !c.is_whitespace()).count();
    let letters = rest.chars().filter(|c| c.is_alphabetic()).count();
    // Times and labels the model wrote itself ("Cells @ 12:34", "20:32").
    let has_clock = rest.contains(" @ ")
        || rest.split_whitespace().any(|word| {
            word.contains(':') && word.chars().filter(char::is_ascii_digit).count() >= 3
        });
    (words >= min_words && letters * 10 >= visible * 7 && !has_clock).then(|| rest.to_owned())
}

/// A key point or review question, cleaned; questions must ask something.
fn sourced_line(text: &str, chunk_id: ChunkId, question: bool) -> Option<SourcedLine> {
    let text = cleaned(text, if question { 3 } else { 4 })?;
    (!question || text.ends_with('?')).then_some(SourcedLine { text, chunk_id })
}

/// A term and its definition, cleaned; the definition must say more than the term.
fn sourced_term(term: &str, definition: &str, chunk_id: ChunkId) -> Option<SourcedTerm> {
    let term = cleaned(term, 1)?;
    let definition = cleaned(definition, 3)?;
    if term.split_whitespace().count() > 6 || normalized(&definition) == normalized(&term) {
        return None;
    }
    Some(SourcedTerm {
        term,
        definition,
        chunk_id,
    })
}

/// Keeps the first of lines that say the same words.
fn dedupe_lines(lines: Vec<SourcedLine>) -> Vec<SourcedLine> {
    let mut seen = BTreeSet::new();
    lines
        .into_iter()
        .filter(|line| seen.insert(normalized(&line.text)))
        .collect()
}

/// Keeps the first definition of each term.
fn dedupe_terms(terms: Vec<SourcedTerm>) -> Vec<SourcedTerm> {
    let mut seen = BTreeSet::new();
    terms
        .into_iter()
        .filter(|term| {
            let key = normalized(&term.term);
            !key.is_empty() && !normalized(&term.definition).is_empty() && seen.insert(key)
        })
        .collect()
}

/// At most `count` of `items`, spread evenly over them (so a long lecture's questions do not all
/// come from its first minutes).
fn spread<T: Clone>(items: &[T], count: usize) -> Vec<T> {
    if items.len() <= count {
        return items.to_vec();
    }
    (0..count)
        .map(|i| items[i * items.len() / count].clone())
        .collect()
}

/// A numbered passage of a map prompt. Its citation label stays out: the model only needs the
/// number, and a small model copies labels into its notes.
fn passage_block(number: usize, text: &str) -> String {
    format!("[{number}] {}\n", one_line(text))
}

fn map_message(blocks: &str) -> String {
    format!("Passages:\n{blocks}\n{MAP_INSTRUCTIONS}")
}

fn reduce_message(lines: &str) -> String {
    format!("Notes:\n{lines}\n{REDUCE_INSTRUCTIONS}")
}

impl<'a> NotesGenerator<'a> {
    /// A generator over one profile's store.
    pub fn new(store: &'a Store, llm: &'a dyn Llm) -> Self {
        Self { store, llm }
    }

    fn messages(user: String) -> [ChatMessage; 2] {
        [
            ChatMessage {
                role: ChatRole::System,
                content: SYSTEM_PROMPT.to_owned(),
            },
            ChatMessage {
                role: ChatRole::User,
                content: user,
            },
        ]
    }

    /// Tokens of a prompt whose user message is `user`, template overhead included.
    fn prompt_tokens(&self, user: &str) -> Result<usize, EngineError> {
        Ok(self.llm.count_tokens(SYSTEM_PROMPT)?
            + self.llm.count_tokens(user)?
            + 2 * TEMPLATE_TOKENS_PER_MESSAGE)
    }

    /// Groups `chunks` (in order) into batches whose map prompt, with room for the answer, fits
    /// the model's context. A chunk that cannot fit even alone is an error naming it.
    pub fn plan(&self, chunks: &[Chunk], labels: &[String]) -> Result<BatchPlan, StudyError> {
        let context_size = self.llm.context_size()?;
        let fixed = self.prompt_tokens(&map_message(""))? + MAP_ANSWER_TOKENS + JOIN_SLACK;
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut current: Vec<usize> = Vec::new();
        let mut used = fixed;
        for (index, chunk) in chunks.iter().enumerate() {
            // Numbers up to 99 cost the same few tokens; count the block as it will be sent.
            let number = current.len() + 1;
            let cost = self.llm.count_tokens(&passage_block(number, &chunk.text))?;
            if fixed + cost > context_size {
                return Err(StudyError::ChunkTooLong {
                    label: labels[index].clone(),
                    tokens: cost,
                    room: context_size.saturating_sub(fixed),
                    context: context_size,
                });
            }
            if used + cost > context_size {
                batches.push(std::mem::take(&mut current));
                used = fixed;
            }
            used += cost;
            current.push(index);
        }
        if !current.is_empty() {
            batches.push(current);
        }
        Ok(BatchPlan {
            batches,
            context_size,
        })
    }

    /// Writes and stores the notes for `request`, resuming from `checkpoint` (batches whose
    /// chunks are unchanged are not summarised again). `on_batch` gets the progress and the new
    /// checkpoint after every finished map batch (a job stores it; an error from it stops the
    /// run), `on_progress` the progress of the merges. `cancel` stops between model calls.
    /// `job_id` tags the stored note; a job that already stored its note gets it back.
    pub fn generate(
        &self,
        request: &NotesRequest,
        job: Option<(&JobId, u32)>,
        checkpoint: NotesCheckpoint,
        cancel: Option<&AtomicBool>,
        on_batch: &mut dyn FnMut(&NotesProgress, &NotesCheckpoint) -> Result<(), StudyError>,
        on_progress: &mut dyn FnMut(&NotesProgress),
    ) -> Result<Note, StudyError> {
        if let Some((job_id, _)) = job
            && let Some(note) = self.store.notes().find_by_job(job_id)?
        {
            return Ok(note);
        }
        let class_id = request.scope.class_id(self.store)?;
        let chunks = request.scope.chunks(self.store)?;
        let mut labels = Vec::with_capacity(chunks.len());
        for chunk in &chunks {
            labels.push(citations::cite(self.store, 0, &chunk.id, &chunk.locator)?.label);
        }
        let plan = self.plan(&chunks, &labels)?;
        let attempt = job.map_or(1, |(_, attempt)| attempt);

        let mut checkpoint = checkpoint;
        // Results of batches whose chunks changed (the scope was re-indexed) are stale.
        checkpoint.batches.retain(|index, mapped| {
            plan.batches.get(*index).is_some_and(|batch| {
                batch.len() == mapped.chunk_ids.len()
                    && batch
                        .iter()
                        .zip(&mapped.chunk_ids)
                        .all(|(&i, id)| &chunks[i].id == id)
            })
        });
        let mut progress = NotesProgress {
            chunks_done: checkpoint
                .batches
                .keys()
                .map(|&i| plan.batches[i].len())
                .sum(),
            chunks_total: chunks.len(),
            batches_done: checkpoint.batches.len(),
            batches_total: plan.batches.len(),
            merges_done: 0,
        };
        let mut seed = request.seed;
        for (index, batch) in plan.batches.iter().enumerate() {
            if checkpoint.batches.contains_key(&index) {
                continue;
            }
            check(cancel)?;
            let batch_chunks: Vec<&Chunk> = batch.iter().map(|&i| &chunks[i]).collect();
            let (notes, model_calls) = self.map_batch(&batch_chunks, &mut seed, request, cancel)?;
            checkpoint.batches.insert(
                index,
                MappedBatch {
                    chunk_ids: batch_chunks.iter().map(|c| c.id.clone()).collect(),
                    attempt,
                    model_calls,
                    notes,
                },
            );
            progress.batches_done += 1;
            progress.chunks_done += batch.len();
            on_batch(&progress, &checkpoint)?;
        }

        let mut merged = PartialNotes::default();
        for mapped in checkpoint.batches.values() {
            merged.points.extend(mapped.notes.points.iter().cloned());
            merged.terms.extend(mapped.notes.terms.iter().cloned());
            merged
                .questions
                .extend(mapped.notes.questions.iter().cloned());
        }
        let points = self.reduce(
            dedupe_lines(merged.points),
            plan.context_size,
            &mut seed,
            request,
            cancel,
            &mut |merges| {
                progress.merges_done = merges;
                on_progress(&progress);
            },
        )?;
        if points.is_empty() {
            return Err(StudyError::NoNotes);
        }
        let notes = PartialNotes {
            points,
            terms: dedupe_terms(merged.terms)
                .into_iter()
                .take(FINAL_TERMS)
                .collect(),
            questions: spread(&dedupe_lines(merged.questions), FINAL_QUESTIONS),
        };
        check(cancel)?;
        let title = match &request.title {
            Some(title) => title.trim().to_owned(),
            None => format!("Notes: {}", self.scope_title(&request.scope)?),
        };
        let by_id: HashMap<&ChunkId, &Chunk> = chunks.iter().map(|c| (&c.id, c)).collect();
        let (markdown, citations) = self.render(&title, &notes, &by_id)?;
        let scope = match &request.scope {
            StudyScope::Lecture(id) => NoteScope::Lecture(id.clone()),
            StudyScope::Document(id) => NoteScope::Document(id.clone()),
            StudyScope::Class(_) => NoteScope::Class,
        };
        Ok(self.store.notes().create(&NewNote {
            class_id,
            scope,
            title,
            markdown,
            citations,
            source_job_id: job.map(|(id, _)| id.clone()),
        })?)
    }

    fn scope_title(&self, scope: &StudyScope) -> Result<String, StudyError> {
        Ok(match scope {
            StudyScope::Lecture(id) => self.store.lectures().get(id)?.title,
            StudyScope::Document(id) => self.store.documents().get(id)?.title,
            StudyScope::Class(id) => self.store.classes().get(id)?.name,
        })
    }

    /// Summarises one batch; returns its checked notes and the model calls it took.
    fn map_batch(
        &self,
        chunks: &[&Chunk],
        seed: &mut u32,
        request: &NotesRequest,
        cancel: Option<&AtomicBool>,
    ) -> Result<(PartialNotes, u32), StudyError> {
        let blocks: String = chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| passage_block(i + 1, &chunk.text))
            .collect();
        let messages = Self::messages(map_message(&blocks));
        let options = GenerateOptions {
            max_tokens: MAP_ANSWER_TOKENS as u32,
            temperature: 0.3,
            seed: *seed,
            json_schema: Some(map_schema(chunks.len())),
            threads: request.threads,
        };
        let source = |number: usize| chunks[number.clamp(1, chunks.len()) - 1].id.clone();
        let mut calls = 0;
        let mut best = PartialNotes::default();
        for _ in 0..DRAWS_PER_CALL {
            check(cancel)?;
            *seed = seed.wrapping_add(1);
            calls += 1;
            let options = GenerateOptions {
                seed: *seed,
                ..options.clone()
            };
            let Some(answer) = ask_json::<MapAnswer>(self.llm, &messages, &options, cancel)? else {
                continue;
            };
            let notes = PartialNotes {
                points: dedupe_lines(
                    answer
                        .key_points
                        .iter()
                        .filter_map(|p| sourced_line(&p.point, source(p.source), false))
                        .collect(),
                ),
                terms: dedupe_terms(
                    answer
                        .terms
                        .iter()
                        .filter_map(|t| sourced_term(&t.term, &t.definition, source(t.source)))
                        .collect(),
                ),
                questions: dedupe_lines(
                    answer
                        .questions
                        .iter()
                        .filter_map(|q| sourced_line(&q.question, source(q.source), true))
                        .collect(),
                ),
            };
            if !notes.points.is_empty() {
                return Ok((notes, calls));
            }
            best = notes;
        }
        tracing::warn!(
            calls,
            "the model wrote no usable key point for a part of the material"
        );
        Ok((best, calls))
    }

    /// Merges `points` level by level until at most [`FINAL_POINTS`] remain, each call given
    /// as many points as fit the context. `on_merge(calls so far)` follows each call.
    fn reduce(
        &self,
        mut points: Vec<SourcedLine>,
        context_size: usize,
        seed: &mut u32,
        request: &NotesRequest,
        cancel: Option<&AtomicBool>,
        on_merge: &mut dyn FnMut(usize),
    ) -> Result<Vec<SourcedLine>, StudyError> {
        let mut merges = 0;
        while points.len() > FINAL_POINTS {
            // One call for all when they fit (it writes the final points); otherwise groups that
            // fit, each merged into fewer points, and another level.
            let fixed = self.prompt_tokens(&reduce_message(""))? + JOIN_SLACK;
            let mut costs = Vec::with_capacity(points.len());
            for (i, point) in points.iter().enumerate() {
                costs.push(
                    self.llm
                        .count_tokens(&format!("{}. {}\n", i % 99 + 1, point.text))?,
                );
            }
            let all_cost: usize = costs.iter().sum();
            let groups: Vec<std::ops::Range<usize>> =
                if fixed + all_cost + reduce_answer_tokens(FINAL_POINTS) <= context_size {
                    // One group holding every point: they all fit one final call.
                    std::iter::once(0..points.len()).collect()
                } else {
                    let room = context_size
                        .saturating_sub(fixed + reduce_answer_tokens(MERGED_POINTS_PER_CALL));
                    group_by_cost(&costs, room)
                };
            if groups.len() == 1 && groups[0].len() < 2 {
                return Err(StudyError::Invalid(format!(
                    "the model's context ({context_size} tokens) is too small to merge notes; \
                     choose a model with a larger context"
                )));
            }
            let wanted = if groups.len() == 1 {
                FINAL_POINTS
            } else {
                MERGED_POINTS_PER_CALL
            };
            let mut next = Vec::new();
            for group in groups {
                let slice = &points[group];
                // A group already small enough is kept as it is: merging could only lose.
                if slice.len() <= wanted / 2 {
                    next.extend_from_slice(slice);
                    continue;
                }
                next.extend(self.merge(slice, wanted, seed, request, cancel)?);
                merges += 1;
                on_merge(merges);
            }
            let next = dedupe_lines(next);
            if next.len() >= points.len() {
                return Err(StudyError::Invalid(
                    "merging the notes made no progress; try a model with a larger context".into(),
                ));
            }
            points = next;
        }
        Ok(points)
    }

    /// One merge call: `points` into at most `wanted` points, each keeping the source of the
    /// point it names.
    fn merge(
        &self,
        points: &[SourcedLine],
        wanted: usize,
        seed: &mut u32,
        request: &NotesRequest,
        cancel: Option<&AtomicBool>,
    ) -> Result<Vec<SourcedLine>, StudyError> {
        let lines: String = points
            .iter()
            .enumerate()
            .map(|(i, point)| format!("{}. {}\n", i + 1, point.text))
            .collect();
        let messages = Self::messages(reduce_message(&lines));
        let wanted = wanted.min(points.len());
        for _ in 0..DRAWS_PER_CALL {
            check(cancel)?;
            *seed = seed.wrapping_add(1);
            let options = GenerateOptions {
                max_tokens: reduce_answer_tokens(wanted) as u32,
                temperature: 0.3,
                seed: *seed,
                json_schema: Some(reduce_schema(points.len(), wanted)),
                threads: request.threads,
            };
            let Some(answer) = ask_json::<ReduceAnswer>(self.llm, &messages, &options, cancel)?
            else {
                continue;
            };
            let merged = dedupe_lines(
                answer
                    .key_points
                    .iter()
                    .filter_map(|p| {
                        let from = &points[p.from.clamp(1, points.len()) - 1];
                        sourced_line(&p.point, from.chunk_id.clone(), false)
                    })
                    .collect(),
            );
            // A merge that kept too little lost part of the material: draw again.
            if merged.len() >= min_points(wanted, points.len()) {
                return Ok(merged);
            }
        }
        // The model keeps failing on this group: keep an even selection of its own points
        // rather than losing the part of the material it covers.
        Ok(spread(points, wanted))
    }

    /// The note's Markdown and its citations, numbered by first use.
    fn render(
        &self,
        title: &str,
        notes: &PartialNotes,
        chunks: &HashMap<&ChunkId, &Chunk>,
    ) -> Result<(String, Vec<Citation>), StudyError> {
        let mut cited: Vec<Citation> = Vec::new();
        let mut cite = |chunk_id: &ChunkId| -> Result<String, StudyError> {
            if let Some(existing) = cited.iter().find(|c| &c.chunk_id == chunk_id) {
                return Ok(format!("({}) [{}]", existing.label, existing.marker));
            }
            let chunk = chunks.get(chunk_id).ok_or_else(|| {
                StudyError::Invalid(format!("chunk {chunk_id} is no longer in the scope"))
            })?;
            let marker = u32::try_from(cited.len() + 1).unwrap_or(u32::MAX);
            let citation = citations::cite(self.store, marker, chunk_id, &chunk.locator)?;
            let text = format!("({}) [{}]", citation.label, citation.marker);
            cited.push(citation);
            Ok(text)
        };
        let mut markdown = format!("# {}\n\n## Key points\n\n", one_line(title));
        for point in &notes.points {
            let _ = writeln!(markdown, "- {} {}", point.text, cite(&point.chunk_id)?);
        }
        if !notes.terms.is_empty() {
            markdown.push_str("\n## Terms\n\n");
            for term in &notes.terms {
                let _ = writeln!(
                    markdown,
                    "- **{}**: {} {}",
                    term.term,
                    term.definition,
                    cite(&term.chunk_id)?
                );
            }
        }
        if !notes.questions.is_empty() {
            markdown.push_str("\n## Questions to review\n\n");
            for (number, question) in (1..).zip(&notes.questions) {
                let _ = writeln!(
                    markdown,
                    "{number}. {} {}",
                    question.text,
                    cite(&question.chunk_id)?
                );
            }
        }
        Ok((markdown, cited))
    }
}

/// Consecutive groups of items whose costs sum to at most `room` each (an item larger than
/// `room` gets a group of its own).
fn group_by_cost(costs: &[usize], room: usize) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, &cost) in costs.iter().enumerate() {
        if used + cost > room && i > start {
            groups.push(start..i);
            start = i;
            used = 0;
        }
        used += cost;
    }
    if start < costs.len() {
        groups.push(start..costs.len());
    }
    groups
}

fn check(cancel: Option<&AtomicBool>) -> Result<(), EngineError> {
    if cancel.is_some_and(|flag| flag.load(Ordering::SeqCst)) {
        Err(EngineError::Cancelled)
    } else {
        Ok(())
    }
}

/// Queues a notes job for `request` and returns its id. An empty scope is refused here, with
/// nothing queued; a second request for the same scope while one is queued or running returns
/// that job.
pub fn enqueue(store: &Store, request: &NotesRequest) -> Result<JobId, StudyError> {
    request.scope.chunks(store)?;
    if request
        .title
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(StudyError::Invalid("a note's title cannot be empty".into()));
    }
    let payload = serde_json::to_value(request)
        .map_err(|e| StudyError::Invalid(format!("cannot encode the notes request: {e}")))?;
    let scope_key = match &request.scope {
        StudyScope::Lecture(id) => format!("lecture:{id}"),
        StudyScope::Document(id) => format!("document:{id}"),
        StudyScope::Class(id) => format!("class:{id}"),
    };
    let mut job = NewJob::new(NOTES_JOB_KIND, payload);
    job.dedupe_key = Some(format!("{NOTES_JOB_KIND}:{scope_key}"));
    Ok(store.jobs().enqueue(&job)?.id().clone())
}

/// Runs notes jobs on the language-model lane.
pub struct NotesJob {
    llm: Arc<dyn Llm>,
}

impl NotesJob {
    /// A handler writing notes with `llm`.
    pub fn new(llm: Arc<dyn Llm>) -> Self {
        Self { llm }
    }
}

impl From<StudyError> for JobError {
    fn from(error: StudyError) -> Self {
        match error {
            StudyError::Engine(error) => error.into(),
            StudyError::Store(error) => error.into(),
            other => Self::Permanent(other.to_string()),
        }
    }
}

impl JobHandler for NotesJob {
    fn kind(&self) -> &str {
        NOTES_JOB_KIND
    }

    fn lane(&self) -> Lane {
        Lane::Llm
    }

    fn run(&self, context: &JobContext<'_>) -> Result<(), JobError> {
        let job = context.job();
        let request: NotesRequest = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("the notes job's request is damaged: {e}")))?;
        // A checkpoint that does not parse (written by another version) only costs a redo.
        let checkpoint = job
            .checkpoint
            .clone()
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default();
        let generator = NotesGenerator::new(context.store(), self.llm.as_ref());
        // A failed checkpoint write keeps its own kind (retryable, cancelled) for the runner.
        let report_failure: RefCell<Option<JobError>> = RefCell::new(None);
        let mut on_batch = |progress: &NotesProgress, checkpoint: &NotesCheckpoint| {
            let value = serde_json::to_value(checkpoint).map_err(|e| {
                StudyError::Invalid(format!("cannot encode the notes checkpoint: {e}"))
            })?;
            context
                .report(&job_progress(progress), Some(&value))
                .map_err(|error| {
                    let message = error.to_string();
                    report_failure.replace(Some(error));
                    StudyError::Invalid(message)
                })
        };
        let mut on_progress = |progress: &NotesProgress| {
            // Merge progress is informative only; a cancel is seen at the next model call.
            let _ = context.report(&job_progress(progress), None);
        };
        let outcome = generator.generate(
            &request,
            Some((&job.id, job.attempts)),
            checkpoint,
            Some(context.cancel_flag()),
            &mut on_batch,
            &mut on_progress,
        );
        match (outcome, report_failure.into_inner()) {
            (Ok(_), _) => Ok(()),
            (Err(_), Some(report_error)) => Err(report_error),
            (Err(error), None) => Err(error.into()),
        }
    }
}

fn job_progress(progress: &NotesProgress) -> JobProgress {
    JobProgress {
        fraction: progress.fraction(),
        seconds: None,
        message: Some(progress.message()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    fn line(text: &str) -> SourcedLine {
        SourcedLine {
            text: text.into(),
            chunk_id: ChunkId::from("c".to_owned()),
        }
    }

    #[test]
    fn duplicates_are_dropped() {
        let kept = dedupe_lines(vec![
            line("Cells make ATP from glucose."),
            line("cells make ATP, from glucose"),
            line("The nucleus holds DNA."),
        ]);
        let texts: Vec<&str> = kept.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Cells make ATP from glucose.", "The nucleus holds DNA."]
        );
    }

    #[test]
    fn degenerate_model_output_is_cleaned_or_rejected() {
        let id = || ChunkId::from("c".to_owned());
        assert_eq!(
            cleaned("1. 1. The carbon cycle moves carbon. (Cells @ 5:52) [2]", 4).as_deref(),
            Some("The carbon cycle moves carbon.")
        );
        assert_eq!(cleaned("Cells.", 4), None, "too short for a key point");
        assert_eq!(
            cleaned("Biology overview @ 1:28", 1),
            None,
            "a copied label"
        );
        assert_eq!(cleaned("2.1.2.1.1.1.1.1.1.1.1.1.1", 1), None);
        assert_eq!(cleaned("2020-02-18", 1), None);
        assert_eq!(cleaned("It starts at 20:32 sharp", 1), None);
        assert!(sourced_line("What is a gene?", id(), true).is_some());
        assert!(
            sourced_line("A gene is DNA.", id(), true).is_none(),
            "not a question"
        );
        assert!(sourced_term("ATP", "the energy molecule of cells", id()).is_some());
        assert!(sourced_term("ATP", "ATP", id()).is_none());
        assert!(
            sourced_term("The key points are one two three four five", "x y z", id()).is_none()
        );
    }

    #[test]
    fn groups_fill_the_room_and_keep_order() {
        assert_eq!(group_by_cost(&[3, 3, 3, 3, 3], 7), [0..2, 2..4, 4..5]);
        assert_eq!(group_by_cost(&[9, 1], 5), [0..1, 1..2]);
        assert!(group_by_cost(&[], 5).is_empty());
    }

    #[test]
    fn spread_picks_evenly() {
        let items: Vec<usize> = (0..10).collect();
        assert_eq!(spread(&items, 4), [0, 2, 5, 7]);
        assert_eq!(spread(&items[..3], 4), [0, 1, 2]);
    }

    #[test]
    fn every_schema_field_is_bounded() {
        fn check_bounded(value: &serde_json::Value, path: &str) {
            match value["type"].as_str() {
                Some("string") => assert!(value.get("maxLength").is_some(), "{path}"),
                Some("integer") => assert!(value.get("maximum").is_some(), "{path}"),
                Some("array") => {
                    assert!(value.get("maxItems").is_some(), "{path}");
                    check_bounded(&value["items"], &format!("{path}[]"));
                }
                Some("object") => {
                    for (name, field) in value["properties"].as_object().unwrap() {
                        check_bounded(field, &format!("{path}.{name}"));
                    }
                }
                other => panic!("{path}: unexpected type {other:?}"),
            }
        }
        check_bounded(&map_schema(5), "map");
        check_bounded(&reduce_schema(30, 8), "reduce");
    }

    #[test]
    fn progress_reads_as_chunks_done() {
        let progress = NotesProgress {
            chunks_done: 12,
            chunks_total: 40,
            batches_done: 3,
            batches_total: 10,
            merges_done: 0,
        };
        assert!((progress.fraction() - 0.27).abs() < 1e-9);
        assert_eq!(
            progress.message(),
            "summarised 12 of 40 chunks (part 3 of 10)"
        );
    }
}
