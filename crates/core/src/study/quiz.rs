//! Quizzes: questions generated from the material under a JSON schema, checked for the ways a
//! small model goes wrong, stored, taken and graded. As a job ([`QuizJob`], kind
//! [`QUIZ_JOB_KIND`]) generation reports progress per question and honours cancel.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{StudyError, StudyScope};
use crate::chat::citations;
use crate::engines::{ChatMessage, ChatRole, EngineError, GenerateOptions, Llm};
use crate::jobs::{JobContext, JobError, JobHandler, Lane};
use crate::store::{
    Chunk, GradedAnswer, Job, JobId, NewQuestion, QuestionId, QuestionKind, Quiz, QuizAttempt,
    QuizId, QuizQuestion, Store, UnixMillis,
};

/// The job kind of quiz generation.
pub const QUIZ_JOB_KIND: &str = "quiz";

/// The most questions one quiz may have.
pub const MAX_QUESTIONS: usize = 50;

/// Model calls allowed per question asked, rejected drafts included.
const DRAWS_PER_QUESTION: usize = 4;

/// What to generate; also the payload of a quiz job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizRequest {
    /// Where the questions come from.
    pub scope: StudyScope,
    /// How many questions.
    pub questions: usize,
    /// The forms to use, in rotation (multiple choice when empty).
    #[serde(default)]
    pub kinds: Vec<QuestionKind>,
    /// Quiz title; `None` makes one from the scope.
    #[serde(default)]
    pub title: Option<String>,
    /// Base sampling seed (each try uses the next one), for reproducible quizzes.
    #[serde(default)]
    pub seed: u32,
    /// CPU threads for the model; `None` for the engine's default.
    #[serde(default)]
    pub threads: Option<u32>,
}

impl QuizRequest {
    /// Refuses a question count out of range.
    fn check_count(&self) -> Result<(), StudyError> {
        if self.questions == 0 || self.questions > MAX_QUESTIONS {
            return Err(StudyError::Invalid(format!(
                "a quiz has 1 to {MAX_QUESTIONS} questions, not {}",
                self.questions
            )));
        }
        Ok(())
    }
}

/// A question as the model writes it, before checks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DraftQuestion {
    /// The question text.
    pub question: String,
    /// Choices (multiple choice only).
    #[serde(default)]
    pub choices: Vec<String>,
    /// The index of the right choice (multiple choice only).
    #[serde(default)]
    pub answer_index: Option<usize>,
    /// The right answer (true/false as a boolean; short answer as text).
    #[serde(default)]
    pub answer: Option<serde_json::Value>,
    /// Why it is right.
    pub explanation: String,
}

/// Why a draft question was thrown away.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Degenerate {
    /// Two choices say the same thing.
    #[error("two choices are the same: {0:?}")]
    DuplicateChoices(String),
    /// A multiple-choice question without exactly four choices.
    #[error("{0} choices instead of 4")]
    WrongChoiceCount(usize),
    /// The answer is not one of the choices.
    #[error("the answer is not among the choices")]
    AnswerNotAmongChoices,
    /// The question repeats a sentence of the passage instead of asking about it.
    #[error("the question copies the passage word for word")]
    CopiedFromPassage,
    /// The question was already asked in this quiz.
    #[error("the question repeats an earlier one")]
    Repeated,
    /// An empty question, choice, answer or explanation.
    #[error("the {0} is empty")]
    Empty(&'static str),
    /// A choice repeats the question.
    #[error("a choice repeats the question")]
    ChoiceIsQuestion,
}

/// Lowercase words without punctuation, for comparing texts.
pub(super) fn normalized(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks a draft against the passage it came from and the questions already accepted, and turns
/// it into a question to store.
pub fn check(
    kind: QuestionKind,
    draft: &DraftQuestion,
    passage: &str,
    accepted: &[NewQuestion],
) -> Result<NewQuestion, Degenerate> {
    let prompt = draft.question.trim();
    if prompt.is_empty() {
        return Err(Degenerate::Empty("question"));
    }
    if draft.explanation.trim().is_empty() {
        return Err(Degenerate::Empty("explanation"));
    }
    let question_words = normalized(prompt);
    // A short question ("What is ATP?") may well appear in a passage; a long one copied whole
    // tests reading, not understanding.
    if question_words.split(' ').count() >= 6 && normalized(passage).contains(&question_words) {
        return Err(Degenerate::CopiedFromPassage);
    }
    if accepted
        .iter()
        .any(|earlier| normalized(&earlier.prompt) == question_words)
    {
        return Err(Degenerate::Repeated);
    }
    let (choices, answer) = match kind {
        QuestionKind::MultipleChoice => {
            if draft.choices.len() != 4 {
                return Err(Degenerate::WrongChoiceCount(draft.choices.len()));
            }
            let mut seen = HashSet::new();
            for choice in &draft.choices {
                let words = normalized(choice);
                if words.is_empty() {
                    return Err(Degenerate::Empty("choice"));
                }
                if words == question_words {
                    return Err(Degenerate::ChoiceIsQuestion);
                }
                if !seen.insert(words) {
                    return Err(Degenerate::DuplicateChoices(choice.trim().to_owned()));
                }
            }
            let index = draft
                .answer_index
                .filter(|index| *index < draft.choices.len())
                .ok_or(Degenerate::AnswerNotAmongChoices)?;
            let choices = draft.choices.iter().map(|c| c.trim().to_owned()).collect();
            (choices, index.to_string())
        }
        QuestionKind::TrueFalse => {
            let value = draft
                .answer
                .as_ref()
                .and_then(serde_json::Value::as_bool)
                .ok_or(Degenerate::AnswerNotAmongChoices)?;
            let index = if value { 0 } else { 1 };
            (
                vec!["True".to_owned(), "False".to_owned()],
                index.to_string(),
            )
        }
        QuestionKind::ShortAnswer => {
            let text = draft
                .answer
                .as_ref()
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .ok_or(Degenerate::Empty("answer"))?;
            (Vec::new(), text.to_owned())
        }
    };
    Ok(NewQuestion {
        kind,
        prompt: prompt.to_owned(),
        choices,
        answer,
        explanation: draft.explanation.trim().to_owned(),
        citations: Vec::new(),
    })
}

/// The JSON schema the model's output is held to, by grammar, for one question of `kind`.
/// Every field is bounded so generation cannot run on until `max_tokens`.
pub fn schema(kind: QuestionKind) -> serde_json::Value {
    let question = json!({"type": "string", "minLength": 10, "maxLength": 200});
    let explanation = json!({"type": "string", "minLength": 5, "maxLength": 240});
    match kind {
        QuestionKind::MultipleChoice => json!({
            "type": "object",
            "properties": {
                "question": question,
                "choices": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1, "maxLength": 80},
                    "minItems": 4,
                    "maxItems": 4
                },
                "answer_index": {"type": "integer", "minimum": 0, "maximum": 3},
                "explanation": explanation
            },
            "required": ["question", "choices", "answer_index", "explanation"],
            "additionalProperties": false
        }),
        QuestionKind::TrueFalse => json!({
            "type": "object",
            "properties": {
                "question": question,
                "answer": {"type": "boolean"},
                "explanation": explanation
            },
            "required": ["question", "answer", "explanation"],
            "additionalProperties": false
        }),
        QuestionKind::ShortAnswer => json!({
            "type": "object",
            "properties": {
                "question": question,
                "answer": {"type": "string", "minLength": 1, "maxLength": 60},
                "explanation": explanation
            },
            "required": ["question", "answer", "explanation"],
            "additionalProperties": false
        }),
    }
}

fn instructions(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::MultipleChoice => {
            "Write one multiple-choice question that tests understanding of this passage. Give \
             four different answer choices, the index (0 to 3) of the correct choice, and a \
             one-sentence explanation."
        }
        QuestionKind::TrueFalse => {
            "Write one true-or-false statement about this passage as the question, whether it \
             is true, and a one-sentence explanation."
        }
        QuestionKind::ShortAnswer => {
            "Write one question about this passage that has a short answer of a few words, \
             that answer, and a one-sentence explanation."
        }
    }
}

/// Writes quizzes with a local model.
pub struct QuizGenerator<'a> {
    store: &'a Store,
    llm: &'a dyn Llm,
}

impl<'a> QuizGenerator<'a> {
    /// A generator over one profile's store.
    pub fn new(store: &'a Store, llm: &'a dyn Llm) -> Self {
        Self { store, llm }
    }

    /// Generates, checks and stores a quiz. `on_progress(done, wanted)` follows each accepted
    /// question; `cancel` stops between model calls. Nothing is stored unless the whole quiz is.
    pub fn generate(
        &self,
        request: &QuizRequest,
        cancel: Option<&AtomicBool>,
        on_progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Quiz, StudyError> {
        request.check_count()?;
        let class_id = request.scope.class_id(self.store)?;
        let chunks = request.scope.chunks(self.store)?;
        let kinds = if request.kinds.is_empty() {
            vec![QuestionKind::MultipleChoice]
        } else {
            request.kinds.clone()
        };

        let mut accepted: Vec<NewQuestion> = Vec::new();
        let mut seed = request.seed;
        // Spread the questions over the material; a rejected draft moves on to the next passage
        // (going round when needed), so one awkward passage cannot sink the quiz.
        let passages = spread(&chunks, request.questions);
        let mut draws = 0;
        while accepted.len() < request.questions && draws < request.questions * DRAWS_PER_QUESTION {
            let chunk = passages[draws % passages.len()];
            draws += 1;
            if cancel.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                return Err(EngineError::Cancelled.into());
            }
            let kind = kinds[accepted.len() % kinds.len()];
            seed = seed.wrapping_add(1);
            let Some(draft) = self.draft(kind, &chunk.text, seed, request.threads, cancel)? else {
                continue;
            };
            match check(kind, &draft, &chunk.text, &accepted) {
                Ok(mut question) => {
                    question.citations =
                        vec![citations::cite(self.store, 1, &chunk.id, &chunk.locator)?];
                    accepted.push(question);
                    on_progress(accepted.len(), request.questions);
                }
                Err(reason) => {
                    tracing::debug!(%reason, "quiz question rejected; generating again");
                }
            }
        }
        if accepted.len() < request.questions {
            return Err(StudyError::NotEnoughQuestions {
                made: accepted.len(),
                wanted: request.questions,
            });
        }
        let title = request.title.clone().unwrap_or_else(|| "Quiz".to_owned());
        let source = serde_json::to_value(&request.scope).ok();
        Ok(self
            .store
            .quizzes()
            .create(&class_id, &title, source.as_ref(), &accepted)?)
    }

    /// Asks the model for one question about `passage`; `None` when the output is unusable
    /// (cut off at the token limit, or not the schema's shape): the caller tries again.
    fn draft(
        &self,
        kind: QuestionKind,
        passage: &str,
        seed: u32,
        threads: Option<u32>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Option<DraftQuestion>, StudyError> {
        let messages = [
            ChatMessage {
                role: ChatRole::System,
                content: "You write quiz questions about passages from a student's class \
                          material, as JSON."
                    .to_owned(),
            },
            ChatMessage {
                role: ChatRole::User,
                content: format!("Passage:\n{}\n\n{}", passage.trim(), instructions(kind)),
            },
        ];
        let options = GenerateOptions {
            max_tokens: 320,
            temperature: 0.7,
            seed,
            json_schema: Some(schema(kind)),
            threads,
        };
        Ok(super::ask_json(self.llm, &messages, &options, cancel)?)
    }
}

/// `count` chunks spread evenly over `chunks` (repeating when there are fewer chunks), followed
/// by the rest, so rejected drafts move on to material not used yet.
pub(super) fn spread(chunks: &[Chunk], count: usize) -> Vec<&Chunk> {
    let mut order: Vec<usize> = (0..count)
        .map(|i| i * chunks.len() / count.max(1))
        .collect();
    let picked: HashSet<usize> = order.iter().copied().collect();
    order.extend((0..chunks.len()).filter(|i| !picked.contains(i)));
    order.iter().map(|&i| &chunks[i % chunks.len()]).collect()
}

/// Queues a quiz job for `request` and returns its id. A question count out of range or an
/// empty scope is refused here, with nothing queued.
pub fn enqueue(store: &Store, request: &QuizRequest) -> Result<JobId, StudyError> {
    super::enqueue_generation(store, QUIZ_JOB_KIND, request, || {
        request.check_count()?;
        request.scope.chunks(store).map(drop)
    })
}

/// The quiz a finished quiz job stored (`None` while it has not stored one).
pub fn quiz_of_job(job: &Job) -> Option<QuizId> {
    super::job_result(job)
}

/// Runs quiz jobs on the language-model lane: progress per accepted question, cancel between
/// model calls; the quiz is stored whole at the end and its id kept in the job's checkpoint
/// ([`quiz_of_job`]).
pub struct QuizJob {
    llm: Arc<dyn Llm>,
}

impl QuizJob {
    /// A handler writing quizzes with `llm`.
    pub fn new(llm: Arc<dyn Llm>) -> Self {
        Self { llm }
    }
}

impl JobHandler for QuizJob {
    fn kind(&self) -> &str {
        QUIZ_JOB_KIND
    }

    fn lane(&self) -> Lane {
        Lane::Llm
    }

    fn run(&self, context: &JobContext<'_>) -> Result<(), JobError> {
        super::run_generation_job(
            context,
            "question",
            |request: &QuizRequest, cancel, on_progress| {
                let generator = QuizGenerator::new(context.store(), self.llm.as_ref());
                Ok(generator.generate(request, Some(cancel), on_progress)?.id)
            },
        )
    }
}

/// The verdict on one question of a submitted attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuestionFeedback {
    /// The question.
    pub question: QuizQuestion,
    /// What the student answered ("" when skipped).
    pub given: String,
    /// Whether it was right.
    pub correct: bool,
}

/// A graded, stored attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AttemptResult {
    /// The stored attempt with its score.
    pub attempt: QuizAttempt,
    /// Per-question feedback, in quiz order.
    pub feedback: Vec<QuestionFeedback>,
}

/// Whether `given` answers `question`: the exact choice index for choice questions; for short
/// answers the same words, ignoring case, punctuation and a leading article.
pub fn is_correct(question: &QuizQuestion, given: &str) -> bool {
    match question.kind {
        QuestionKind::MultipleChoice | QuestionKind::TrueFalse => {
            given.trim() == question.answer.trim()
        }
        QuestionKind::ShortAnswer => {
            let strip = |text: &str| {
                let words = normalized(text);
                ["the ", "a ", "an "]
                    .iter()
                    .find_map(|article| words.strip_prefix(article).map(str::to_owned))
                    .unwrap_or(words)
            };
            !given.trim().is_empty() && strip(given) == strip(&question.answer)
        }
    }
}

/// Grades `responses` (question id → answer) to quiz `quiz_id` and stores the attempt. Questions
/// without a response count as wrong; a response to a question not in the quiz, or a choice
/// index that does not exist, is refused and nothing is stored.
pub fn submit(
    store: &Store,
    quiz_id: &QuizId,
    started_at: UnixMillis,
    responses: &[(QuestionId, String)],
) -> Result<AttemptResult, StudyError> {
    let questions = store.quizzes().questions(quiz_id)?;
    for (id, given) in responses {
        let question = questions
            .iter()
            .find(|question| &question.id == id)
            .ok_or_else(|| StudyError::Invalid(format!("question {id} is not in this quiz")))?;
        let is_choice = question.kind != QuestionKind::ShortAnswer;
        let valid_choice = given
            .trim()
            .parse::<usize>()
            .is_ok_and(|index| index < question.choices.len());
        if is_choice && !given.trim().is_empty() && !valid_choice {
            return Err(StudyError::Invalid(format!(
                "answer {given:?} to question {} is not one of its choices",
                question.position + 1
            )));
        }
    }
    let feedback: Vec<QuestionFeedback> = questions
        .into_iter()
        .map(|question| {
            let given = responses
                .iter()
                .find(|(id, _)| id == &question.id)
                .map(|(_, given)| given.trim().to_owned())
                .unwrap_or_default();
            let correct = is_correct(&question, &given);
            QuestionFeedback {
                question,
                given,
                correct,
            }
        })
        .collect();
    let right = feedback.iter().filter(|f| f.correct).count();
    let score = right as f64 / feedback.len().max(1) as f64;
    let answers: Vec<GradedAnswer> = feedback
        .iter()
        .map(|f| GradedAnswer {
            question_id: f.question.id.clone(),
            answer: f.given.clone(),
            is_correct: f.correct,
        })
        .collect();
    let attempt = store
        .quizzes()
        .record_attempt(quiz_id, started_at, &answers, score)?;
    Ok(AttemptResult { attempt, feedback })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;

    const PASSAGE: &str = "The mitochondrion is the powerhouse of the cell. It turns glucose \
        and oxygen into ATP, the molecule cells use for energy.";

    fn draft(question: &str, choices: &[&str], answer_index: usize) -> DraftQuestion {
        DraftQuestion {
            question: question.into(),
            choices: choices.iter().map(|c| (*c).to_owned()).collect(),
            answer_index: Some(answer_index),
            answer: None,
            explanation: "Mitochondria make ATP.".into(),
        }
    }

    #[test]
    fn a_good_question_passes_and_degenerate_ones_are_named() {
        let mc = QuestionKind::MultipleChoice;
        let good = draft(
            "Which molecule do mitochondria produce?",
            &["ATP", "DNA", "Glucose", "Oxygen"],
            0,
        );
        let question = check(mc, &good, PASSAGE, &[]).unwrap();
        assert_eq!(question.answer, "0");
        assert_eq!(question.choices.len(), 4);

        let duplicate = draft("Which molecule is made?", &["ATP", "atp.", "DNA", "RNA"], 0);
        assert_eq!(
            check(mc, &duplicate, PASSAGE, &[]),
            Err(Degenerate::DuplicateChoices("atp.".into()))
        );
        let out_of_range = draft("Which molecule is made?", &["ATP", "DNA", "RNA", "Fat"], 4);
        assert_eq!(
            check(mc, &out_of_range, PASSAGE, &[]),
            Err(Degenerate::AnswerNotAmongChoices)
        );
        let copied = draft(
            "It turns glucose and oxygen into ATP, the molecule cells use for energy?",
            &["Yes", "No", "Maybe", "Never"],
            0,
        );
        assert_eq!(
            check(mc, &copied, PASSAGE, &[]),
            Err(Degenerate::CopiedFromPassage)
        );
        let three = draft("Which molecule is made?", &["ATP", "DNA", "RNA"], 0);
        assert_eq!(
            check(mc, &three, PASSAGE, &[]),
            Err(Degenerate::WrongChoiceCount(3))
        );
        assert_eq!(
            check(mc, &good, PASSAGE, &[question]),
            Err(Degenerate::Repeated)
        );
    }

    #[test]
    fn true_false_and_short_answers_are_checked_and_graded() {
        let tf = DraftQuestion {
            question: "Mitochondria make ATP.".into(),
            choices: Vec::new(),
            answer_index: None,
            answer: Some(json!(true)),
            explanation: "The passage says so.".into(),
        };
        let stored = check(QuestionKind::TrueFalse, &tf, PASSAGE, &[]).unwrap();
        assert_eq!(stored.choices, ["True", "False"]);
        assert_eq!(stored.answer, "0");

        let short = QuizQuestion {
            id: QuestionId::from("q".to_owned()),
            position: 0,
            kind: QuestionKind::ShortAnswer,
            prompt: "What molecule stores energy?".into(),
            choices: Vec::new(),
            answer: "ATP".into(),
            explanation: String::new(),
            citations: Vec::new(),
        };
        assert!(is_correct(&short, " atp. "));
        assert!(is_correct(&short, "the ATP"));
        assert!(!is_correct(&short, "ADP"));
        assert!(!is_correct(&short, ""));
    }

    #[test]
    fn every_schema_is_bounded() {
        for kind in [
            QuestionKind::MultipleChoice,
            QuestionKind::TrueFalse,
            QuestionKind::ShortAnswer,
        ] {
            let schema = schema(kind);
            for (name, field) in schema["properties"].as_object().unwrap() {
                let bounded = field.get("maxLength").is_some()
                    || field.get("maxItems").is_some()
                    || field.get("maximum").is_some()
                    || field["type"] == "boolean";
                assert!(bounded, "{kind:?}.{name} is unbounded");
            }
        }
    }
}
