//! Quizzes: generated from the material as a job, taken, graded and kept in a history.

use lm_core::store::{QuestionKind, QuizAttempt, QuizId, QuizQuestion};
use lm_core::study::quiz::{QuizRequest, enqueue, submit};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use super::notes::StudyScopeInput;
use super::now_ms;
use crate::error::{CommandError, CommandResult};
use crate::state::ShellState;

/// A quiz as the class's list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuizSummary {
    /// The quiz's id.
    pub id: String,
    /// Its class.
    pub class_id: String,
    /// Its title.
    pub title: String,
    /// How many questions it has.
    pub question_count: u32,
    /// The best score of its attempts, 0 to 1; `null` before the first.
    pub best_score: Option<f64>,
    /// How many times it was taken.
    pub attempts: u32,
    /// When it was made (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
}

/// A question as the student sees it while taking the quiz (no answer, no explanation).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuizQuestionView {
    /// The question's id.
    pub id: String,
    /// `multiple_choice`, `true_false` or `short_answer`.
    pub kind: String,
    /// The question.
    pub prompt: String,
    /// The choices of a choice question (answer with the choice's index, "0", "1", ...).
    pub choices: Vec<String>,
}

/// A quiz to take.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuizView {
    /// The quiz's id.
    pub id: String,
    /// Its class.
    pub class_id: String,
    /// Its title.
    pub title: String,
    /// Its questions, in order.
    pub questions: Vec<QuizQuestionView>,
}

/// The verdict on one answer.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuestionFeedbackView {
    /// The question's id.
    pub question_id: String,
    /// The question.
    pub prompt: String,
    /// Its choices (empty for a short answer).
    pub choices: Vec<String>,
    /// What the student answered ("" when skipped).
    pub given: String,
    /// The right answer (a choice's index for choice questions).
    pub answer: String,
    /// Whether the student was right.
    pub correct: bool,
    /// Why the answer is right.
    pub explanation: String,
}

/// A graded attempt.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptResultView {
    /// The stored attempt's id.
    pub attempt_id: String,
    /// The quiz.
    pub quiz_id: String,
    /// Share of right answers, 0 to 1.
    pub score: f64,
    /// How many answers were right.
    pub correct: u32,
    /// How many questions there were.
    pub total: u32,
    /// Per question, in quiz order.
    pub feedback: Vec<QuestionFeedbackView>,
}

/// One attempt in a class's history.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuizAttemptSummary {
    /// The attempt's id.
    pub id: String,
    /// The quiz.
    pub quiz_id: String,
    /// The quiz's title.
    pub quiz_title: String,
    /// Share of right answers, 0 to 1.
    pub score: f64,
    /// When it was handed in (Unix ms).
    #[ts(type = "number")]
    pub finished_at: i64,
}

impl From<&QuizAttempt> for QuizAttemptSummary {
    fn from(attempt: &QuizAttempt) -> Self {
        Self {
            id: attempt.id.to_string(),
            quiz_id: attempt.quiz_id.to_string(),
            quiz_title: attempt.quiz_title.clone(),
            score: attempt.score,
            finished_at: attempt.finished_at,
        }
    }
}

fn kind_name(kind: QuestionKind) -> String {
    kind.as_str().to_owned()
}

fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Queues a quiz of `count` questions on `scope`; returns the job id (the quiz appears in
/// `list_quizzes` when it is done).
#[tauri::command]
pub fn generate_quiz(
    state: State<'_, ShellState>,
    scope: StudyScopeInput,
    count: usize,
) -> CommandResult<String> {
    state.queue_study_job(|store, threads| {
        let request = QuizRequest {
            scope: scope.into(),
            questions: count,
            kinds: Vec::new(),
            title: None,
            seed: 42,
            threads,
        };
        enqueue(store, &request)
    })
}

/// The quizzes of class `class_id`, with their best scores.
#[tauri::command]
pub fn list_quizzes(
    state: State<'_, ShellState>,
    class_id: String,
) -> CommandResult<Vec<QuizSummary>> {
    state.with_library(|library| {
        let quizzes = library.store().quizzes();
        let class_id = class_id.into();
        let history = quizzes.history(&class_id)?;
        quizzes
            .list_by_class(&class_id)?
            .iter()
            .map(|quiz| {
                let attempts: Vec<&QuizAttempt> = history
                    .iter()
                    .filter(|attempt| attempt.quiz_id == quiz.id)
                    .collect();
                Ok(QuizSummary {
                    id: quiz.id.to_string(),
                    class_id: quiz.class_id.to_string(),
                    title: quiz.title.clone(),
                    question_count: count(quizzes.questions(&quiz.id)?.len()),
                    best_score: attempts
                        .iter()
                        .map(|attempt| attempt.score)
                        .reduce(f64::max),
                    attempts: count(attempts.len()),
                    created_at: quiz.created_at,
                })
            })
            .collect()
    })
}

/// Quiz `quiz_id` to take: its questions without their answers.
#[tauri::command]
pub fn get_quiz(state: State<'_, ShellState>, quiz_id: String) -> CommandResult<QuizView> {
    state.with_library(|library| {
        let quizzes = library.store().quizzes();
        let quiz = quizzes.get(&quiz_id.into())?;
        let questions = quizzes.questions(&quiz.id)?;
        Ok(QuizView {
            id: quiz.id.to_string(),
            class_id: quiz.class_id.to_string(),
            title: quiz.title,
            questions: questions
                .iter()
                .map(|question| QuizQuestionView {
                    id: question.id.to_string(),
                    kind: kind_name(question.kind),
                    prompt: question.prompt.clone(),
                    choices: question.choices.clone(),
                })
                .collect(),
        })
    })
}

/// Grades `answers` (one per question, in quiz order; "" skips one; a choice question's answer
/// is the choice's index) and stores the attempt.
#[tauri::command]
pub fn submit_quiz(
    state: State<'_, ShellState>,
    quiz_id: String,
    answers: Vec<String>,
) -> CommandResult<AttemptResultView> {
    state.with_library(|library| {
        let store = library.store();
        let quiz_id = QuizId::from(quiz_id);
        let questions: Vec<QuizQuestion> = store.quizzes().questions(&quiz_id)?;
        if answers.len() > questions.len() {
            return Err(CommandError::invalid(format!(
                "the quiz has {} questions, but {} answers were given",
                questions.len(),
                answers.len()
            )));
        }
        let responses: Vec<_> = questions
            .iter()
            .zip(answers)
            .map(|(question, answer)| (question.id.clone(), answer))
            .collect();
        let result = submit(store, &quiz_id, now_ms(), &responses)?;
        let correct = result.feedback.iter().filter(|item| item.correct).count();
        Ok(AttemptResultView {
            attempt_id: result.attempt.id.to_string(),
            quiz_id: quiz_id.to_string(),
            score: result.attempt.score,
            correct: count(correct),
            total: count(result.feedback.len()),
            feedback: result
                .feedback
                .iter()
                .map(|item| QuestionFeedbackView {
                    question_id: item.question.id.to_string(),
                    prompt: item.question.prompt.clone(),
                    choices: item.question.choices.clone(),
                    given: item.given.clone(),
                    answer: item.question.answer.clone(),
                    correct: item.correct,
                    explanation: item.question.explanation.clone(),
                })
                .collect(),
        })
    })
}

/// Every attempt at the quizzes of class `class_id`, newest first.
#[tauri::command]
pub fn quiz_history(
    state: State<'_, ShellState>,
    class_id: String,
) -> CommandResult<Vec<QuizAttemptSummary>> {
    state.with_library(|library| {
        let history = library.store().quizzes().history(&class_id.into())?;
        Ok(history.iter().map(QuizAttemptSummary::from).collect())
    })
}
