//! `littlemonster quiz`: generate quizzes from the material, take them, and see past scores.

use std::io::BufRead;

use anyhow::{Context, bail};
use lm_core::store::{QuestionKind, QuizId, QuizQuestion};
use lm_core::study::quiz::{self, QuizRequest};

use super::jobs::run_job;
use crate::ModelArgs;
use crate::library::{ScopeArgs, find_class, now_ms, open_library, open_services};
use crate::stats::Stats;

/// What `littlemonster quiz` does.
#[derive(Debug, clap::Subcommand)]
pub enum QuizAction {
    /// Generate a quiz from a lecture, a document or a class with the local model.
    Generate {
        #[command(flatten)]
        scope: ScopeArgs,
        /// How many questions (1 to 50).
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// Question forms to rotate through (multiple choice when omitted).
        #[arg(long, value_enum, value_delimiter = ',')]
        kinds: Vec<Kind>,
        /// The quiz's title.
        #[arg(long)]
        title: Option<String>,
        /// Sampling seed, for a reproducible quiz.
        #[arg(long, default_value_t = 42)]
        seed: u32,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// List a class's quizzes.
    List {
        /// The class, by name or id.
        #[arg(long)]
        class: String,
    },
    /// Take a quiz: answers are read from stdin, one line per question (the choice's number,
    /// or the words of a short answer; an empty line skips), then the score and feedback.
    Take {
        /// The quiz id.
        id: String,
    },
    /// A class's past attempts, newest first.
    History {
        /// The class, by name or id.
        #[arg(long)]
        class: String,
    },
}

/// A question form, as typed on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    /// Four choices, one right.
    MultipleChoice,
    /// A statement that is true or false.
    TrueFalse,
    /// A few words typed in.
    ShortAnswer,
}

impl From<Kind> for QuestionKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::MultipleChoice => Self::MultipleChoice,
            Kind::TrueFalse => Self::TrueFalse,
            Kind::ShortAnswer => Self::ShortAnswer,
        }
    }
}

/// Runs a `quiz` subcommand.
pub fn run(action: QuizAction, stats: Stats) -> anyhow::Result<()> {
    match action {
        QuizAction::Generate {
            scope,
            count,
            kinds,
            title,
            seed,
            model,
        } => {
            let services = open_services(model.llm_settings())?;
            let store = services.library().store();
            let request = QuizRequest {
                scope: scope.resolve(services.library())?,
                questions: count,
                kinds: kinds.into_iter().map(QuestionKind::from).collect(),
                title,
                seed,
                threads: model.threads,
            };
            let job_id = quiz::enqueue(store, &request)?;
            eprintln!("quiz job {job_id} queued");
            let started = stats.elapsed_ms();
            let job = run_job(&services, &job_id)?;
            let generation_ms = stats.elapsed_ms().saturating_sub(started);
            let quiz_id =
                quiz::quiz_of_job(&job).context("the quiz job finished without a quiz")?;
            let quiz = store.quizzes().get(&quiz_id)?;
            let questions = store.quizzes().questions(&quiz_id)?;
            println!("quiz {} \"{}\"", quiz.id, quiz.title);
            for question in &questions {
                print_question(question);
            }
            println!("take it with `littlemonster quiz take {}`", quiz.id);
            stats.report(
                "quiz generate",
                serde_json::json!({
                    "questions": questions.len(),
                    "generation_ms": generation_ms,
                    "ms_per_question": generation_ms as f64 / questions.len().max(1) as f64,
                    "threads": model.threads,
                }),
            );
            Ok(())
        }
        QuizAction::List { class } => {
            let library = open_library()?;
            let class_id = find_class(&library, &class)?;
            let quizzes = library.store().quizzes().list_by_class(&class_id)?;
            if quizzes.is_empty() {
                println!("no quizzes yet (make one with `littlemonster quiz generate`)");
            }
            for quiz in quizzes {
                let questions = library.store().quizzes().questions(&quiz.id)?.len();
                println!("{}  {questions:>2} questions  {}", quiz.id, quiz.title);
            }
            Ok(())
        }
        QuizAction::Take { id } => take(&QuizId::from(id)),
        QuizAction::History { class } => {
            let library = open_library()?;
            let class_id = find_class(&library, &class)?;
            let attempts = library.store().quizzes().history(&class_id)?;
            if attempts.is_empty() {
                println!("no attempts yet (take a quiz with `littlemonster quiz take ID`)");
            }
            for attempt in attempts {
                println!(
                    "{}  {:>3.0}%  {} (quiz {})",
                    attempt.id,
                    attempt.score * 100.0,
                    attempt.quiz_title,
                    attempt.quiz_id
                );
            }
            Ok(())
        }
    }
}

/// Prints a question with its choices numbered from 1.
fn print_question(question: &QuizQuestion) {
    println!("\n{}. {}", question.position + 1, question.prompt);
    for (number, choice) in question.choices.iter().enumerate() {
        println!("   {}) {choice}", number + 1);
    }
}

/// Shows the questions, reads one answer line per question from stdin, grades and stores the
/// attempt, and prints the score and per-question feedback. A choice that does not exist is
/// refused before anything is stored.
fn take(quiz_id: &QuizId) -> anyhow::Result<()> {
    let library = open_library()?;
    let store = library.store();
    let quiz = store.quizzes().get(quiz_id)?;
    let questions = store.quizzes().questions(quiz_id)?;
    let started_at = now_ms();
    println!("{}", quiz.title);
    let mut lines = std::io::stdin().lock().lines();
    let mut responses = Vec::with_capacity(questions.len());
    for question in &questions {
        print_question(question);
        let line = lines.next().transpose().context("cannot read stdin")?;
        let line = line.unwrap_or_default();
        responses.push((question.id.clone(), response(question, line.trim())?));
    }
    let result = quiz::submit(store, quiz_id, started_at, &responses)?;
    let right = result.feedback.iter().filter(|f| f.correct).count();
    println!(
        "\nscore: {right}/{} ({:.0}%)",
        result.feedback.len(),
        result.attempt.score * 100.0
    );
    for feedback in &result.feedback {
        let question = &feedback.question;
        let verdict = if feedback.correct { "right" } else { "wrong" };
        println!(
            "{}. {verdict}: you answered {}; the answer is {}. {}",
            question.position + 1,
            shown_answer(question, &feedback.given),
            shown_answer(question, &question.answer),
            question.explanation
        );
    }
    Ok(())
}

/// The stored form of an answer line: the 0-based choice index for choice questions (typed as
/// the number shown, or the choice's text), the words for short answers, "" when skipped.
fn response(question: &QuizQuestion, line: &str) -> anyhow::Result<String> {
    if line.is_empty() || question.kind == QuestionKind::ShortAnswer {
        return Ok(line.to_owned());
    }
    let by_number = line
        .parse::<usize>()
        .ok()
        .filter(|number| (1..=question.choices.len()).contains(number))
        .map(|number| number - 1);
    let by_text = || {
        question
            .choices
            .iter()
            .position(|choice| choice.eq_ignore_ascii_case(line))
    };
    if let Some(index) = by_number.or_else(by_text) {
        return Ok(index.to_string());
    }
    bail!(
        "answer {line:?} to question {} is not one of its choices: type 1 to {} (nothing was \
         stored)",
        question.position + 1,
        question.choices.len()
    )
}

/// An answer as the student sees it: the choice's text, or the words typed.
fn shown_answer(question: &QuizQuestion, answer: &str) -> String {
    if answer.is_empty() {
        return "nothing".to_owned();
    }
    match answer
        .parse::<usize>()
        .ok()
        .and_then(|i| question.choices.get(i))
    {
        Some(choice) if question.kind != QuestionKind::ShortAnswer => format!("\"{choice}\""),
        _ => format!("\"{answer}\""),
    }
}
