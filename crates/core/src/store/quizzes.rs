//! Quizzes, their questions, and the attempts a student makes at them.
//!
//! Grading is domain logic ([`crate::study::quiz`]); this repository stores quizzes whole (a quiz
//! and all its questions in one transaction) and attempts whole (an attempt with all its answers).

use rusqlite::{OptionalExtension, Row, params};

use super::{
    Citation, ClassId, Store, StoreError, UnixMillis, json_column, new_id, non_empty, now_ms,
    to_json,
};

id_type!(
    /// The id of a [`Quiz`].
    QuizId
);

id_type!(
    /// The id of a [`QuizQuestion`].
    QuestionId
);

id_type!(
    /// The id of a [`QuizAttempt`].
    AttemptId
);

text_enum!(
    /// The form of a question.
    QuestionKind {
        /// Pick one of several choices.
        MultipleChoice => "multiple_choice",
        /// True or false.
        TrueFalse => "true_false",
        /// Type a short answer.
        ShortAnswer => "short_answer",
    }
);

/// A question to store with a new quiz.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuestion {
    /// Its form.
    pub kind: QuestionKind,
    /// The question text.
    pub prompt: String,
    /// The choices shown (multiple choice: four; true/false: "True", "False"; short answer:
    /// none).
    pub choices: Vec<String>,
    /// The correct answer: the 0-based choice index for choice questions, the text for short
    /// answers.
    pub answer: String,
    /// Why the answer is right.
    pub explanation: String,
    /// Where in the material the question comes from.
    pub citations: Vec<Citation>,
}

/// A stored question.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuizQuestion {
    /// Stable global id.
    pub id: QuestionId,
    /// 0-based position in the quiz.
    pub position: u32,
    /// Its form.
    pub kind: QuestionKind,
    /// The question text.
    pub prompt: String,
    /// The choices shown.
    pub choices: Vec<String>,
    /// The correct answer (see [`NewQuestion::answer`]).
    pub answer: String,
    /// Why the answer is right.
    pub explanation: String,
    /// Where in the material the question comes from.
    pub citations: Vec<Citation>,
}

impl QuizQuestion {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            position: row.get("position")?,
            kind: row.get("kind")?,
            prompt: row.get("prompt")?,
            choices: json_column(row, "choices_json")?.unwrap_or_default(),
            answer: row.get("answer")?,
            explanation: row
                .get::<_, Option<String>>("explanation")?
                .unwrap_or_default(),
            citations: json_column(row, "citations_json")?.unwrap_or_default(),
        })
    }
}

/// A stored quiz (its questions are read with [`Quizzes::questions`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Quiz {
    /// Stable global id.
    pub id: QuizId,
    /// The class it belongs to.
    pub class_id: ClassId,
    /// Display title.
    pub title: String,
    /// What it was generated from (lecture, document or class), as the generator recorded it.
    pub source: Option<serde_json::Value>,
    /// When it was made.
    pub created_at: UnixMillis,
}

impl Quiz {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            class_id: row.get("class_id")?,
            title: row.get("title")?,
            source: json_column(row, "source_json")?,
            created_at: row.get("created_at")?,
        })
    }
}

/// One answer of an attempt, already graded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GradedAnswer {
    /// The question answered.
    pub question_id: QuestionId,
    /// What the student answered (choice index or text, like [`QuizQuestion::answer`]).
    pub answer: String,
    /// Whether it was right.
    pub is_correct: bool,
}

/// A finished attempt at a quiz.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuizAttempt {
    /// Stable global id.
    pub id: AttemptId,
    /// The quiz.
    pub quiz_id: QuizId,
    /// The quiz's title (for history lists).
    pub quiz_title: String,
    /// When the student started.
    pub started_at: UnixMillis,
    /// When the student submitted.
    pub finished_at: UnixMillis,
    /// Fraction of questions answered correctly, 0..=1.
    pub score: f64,
}

impl QuizAttempt {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            quiz_id: row.get("quiz_id")?,
            quiz_title: row.get("title")?,
            started_at: row.get("started_at")?,
            finished_at: row.get("finished_at")?,
            score: row.get("score")?,
        })
    }
}

const QUIZ_COLUMNS: &str = "id, class_id, title, source_json, created_at";
const ATTEMPT_COLUMNS: &str = "a.id, a.quiz_id, q.title, a.started_at, a.finished_at, a.score";

/// The quiz repository, borrowed from [`Store::quizzes`].
pub struct Quizzes<'s> {
    store: &'s Store,
}

impl<'s> Quizzes<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Stores a quiz and all its questions, all or nothing.
    pub fn create(
        &self,
        class_id: &ClassId,
        title: &str,
        source: Option<&serde_json::Value>,
        questions: &[NewQuestion],
    ) -> Result<Quiz, StoreError> {
        if questions.is_empty() {
            return Err(StoreError::Invalid {
                field: "quiz",
                problem: "a quiz needs at least one question".into(),
            });
        }
        for question in questions {
            non_empty("question text", &question.prompt)?;
            non_empty("question answer", &question.answer)?;
        }
        let now = now_ms();
        let quiz = Quiz {
            id: QuizId::generate(),
            class_id: class_id.clone(),
            title: non_empty("quiz title", title)?.to_owned(),
            source: source.cloned(),
            created_at: now,
        };
        self.store.write("save a quiz", |tx| {
            tx.execute(
                "INSERT INTO quizzes (id, class_id, title, source_json, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![
                    quiz.id,
                    quiz.class_id,
                    quiz.title,
                    source.map(to_json).transpose()?,
                    now
                ],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO quiz_questions (id, quiz_id, position, kind, prompt, choices_json,
                                             answer, explanation, citations_json, created_at,
                                             updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            )?;
            for (position, question) in (0_u32..).zip(questions) {
                insert.execute(params![
                    QuestionId::generate(),
                    quiz.id,
                    position,
                    question.kind,
                    question.prompt.trim(),
                    to_json(&question.choices)?,
                    question.answer.trim(),
                    question.explanation.trim(),
                    to_json(&question.citations)?,
                    now
                ])?;
            }
            Ok(())
        })?;
        Ok(quiz)
    }

    /// One live quiz.
    pub fn get(&self, id: &QuizId) -> Result<Quiz, StoreError> {
        self.store
            .read("read a quiz", |conn| {
                conn.query_row(
                    &format!(
                        "SELECT {QUIZ_COLUMNS} FROM quizzes WHERE id = ?1 AND deleted_at IS NULL"
                    ),
                    [id],
                    Quiz::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| not_found("quiz", id.as_str()))
    }

    /// The live quizzes of a class, newest first.
    pub fn list_by_class(&self, class_id: &ClassId) -> Result<Vec<Quiz>, StoreError> {
        self.store.read("list quizzes", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {QUIZ_COLUMNS} FROM quizzes WHERE class_id = ?1 AND deleted_at IS NULL
                 ORDER BY created_at DESC, id DESC"
            ))?
            .query_map([class_id], Quiz::from_row)?
            .collect()
        })
    }

    /// The questions of a live quiz, in order.
    pub fn questions(&self, id: &QuizId) -> Result<Vec<QuizQuestion>, StoreError> {
        self.get(id)?;
        self.store.read("read quiz questions", |conn| {
            conn.prepare_cached(
                "SELECT id, position, kind, prompt, choices_json, answer, explanation,
                        citations_json
                 FROM quiz_questions WHERE quiz_id = ?1 AND deleted_at IS NULL
                 ORDER BY position",
            )?
            .query_map([id], QuizQuestion::from_row)?
            .collect()
        })
    }

    /// Stores a graded attempt with all its answers, all or nothing.
    pub fn record_attempt(
        &self,
        quiz_id: &QuizId,
        started_at: UnixMillis,
        answers: &[GradedAnswer],
        score: f64,
    ) -> Result<QuizAttempt, StoreError> {
        if !(0.0..=1.0).contains(&score) {
            return Err(StoreError::Invalid {
                field: "quiz score",
                problem: format!("{score} is not between 0 and 1"),
            });
        }
        let quiz = self.get(quiz_id)?;
        let now = now_ms();
        let attempt = QuizAttempt {
            id: AttemptId::generate(),
            quiz_id: quiz_id.clone(),
            quiz_title: quiz.title,
            started_at,
            finished_at: now,
            score,
        };
        self.store.write("save a quiz attempt", |tx| {
            tx.execute(
                "INSERT INTO quiz_attempts (id, quiz_id, started_at, finished_at, score,
                                            created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?4)",
                params![attempt.id, attempt.quiz_id, started_at, now, score],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO quiz_answers (id, attempt_id, question_id, answer, is_correct,
                                           answered_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)",
            )?;
            for answer in answers {
                insert.execute(params![
                    new_id(),
                    attempt.id,
                    answer.question_id,
                    answer.answer,
                    answer.is_correct,
                    now
                ])?;
            }
            Ok(())
        })?;
        Ok(attempt)
    }

    /// The graded answers of an attempt.
    pub fn answers(&self, attempt_id: &AttemptId) -> Result<Vec<GradedAnswer>, StoreError> {
        self.store.read("read quiz answers", |conn| {
            conn.prepare_cached(
                "SELECT a.question_id, a.answer, a.is_correct
                 FROM quiz_answers a JOIN quiz_questions q ON q.id = a.question_id
                 WHERE a.attempt_id = ?1 AND a.deleted_at IS NULL
                 ORDER BY q.position",
            )?
            .query_map([attempt_id], |row| {
                Ok(GradedAnswer {
                    question_id: row.get(0)?,
                    answer: row.get(1)?,
                    is_correct: row.get(2)?,
                })
            })?
            .collect()
        })
    }

    /// A class's quiz history: every finished attempt at its live quizzes, newest first.
    pub fn history(&self, class_id: &ClassId) -> Result<Vec<QuizAttempt>, StoreError> {
        self.store.read("read quiz history", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {ATTEMPT_COLUMNS}
                 FROM quiz_attempts a JOIN quizzes q ON q.id = a.quiz_id
                 WHERE q.class_id = ?1 AND q.deleted_at IS NULL AND a.deleted_at IS NULL
                   AND a.finished_at IS NOT NULL
                 ORDER BY a.finished_at DESC, a.id DESC"
            ))?
            .query_map([class_id], QuizAttempt::from_row)?
            .collect()
        })
    }
}

fn not_found(entity: &'static str, id: &str) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::lectures::tests::store_with_lecture;
    use crate::store::test_support::count_rows;

    fn choice_question(prompt: &str, answer: usize) -> NewQuestion {
        NewQuestion {
            kind: QuestionKind::MultipleChoice,
            prompt: prompt.into(),
            choices: vec!["A".into(), "B".into(), "C".into(), "D".into()],
            answer: answer.to_string(),
            explanation: "Because.".into(),
            citations: Vec::new(),
        }
    }

    #[test]
    fn a_quiz_is_stored_whole_and_read_back_in_order() {
        let (_dir, store, lecture) = store_with_lecture();
        let quizzes = store.quizzes();
        let source = serde_json::json!({"lecture_id": lecture.id});
        let quiz = quizzes
            .create(
                &lecture.class_id,
                "Cells quiz",
                Some(&source),
                &[choice_question("First?", 2), choice_question("Second?", 0)],
            )
            .unwrap();
        assert_eq!(quizzes.get(&quiz.id).unwrap(), quiz);
        let questions = quizzes.questions(&quiz.id).unwrap();
        assert_eq!(questions.len(), 2);
        assert_eq!(questions[0].prompt, "First?");
        assert_eq!(questions[0].answer, "2");
        assert_eq!(questions[1].position, 1);
        assert_eq!(questions[1].choices.len(), 4);
        assert_eq!(quizzes.list_by_class(&lecture.class_id).unwrap(), [quiz]);
    }

    #[test]
    fn a_quiz_with_a_bad_question_stores_nothing() {
        let (_dir, store, lecture) = store_with_lecture();
        let bad = choice_question("   ", 1);
        assert!(
            store
                .quizzes()
                .create(
                    &lecture.class_id,
                    "Quiz",
                    None,
                    &[choice_question("Ok?", 1), bad]
                )
                .is_err()
        );
        assert!(
            store
                .quizzes()
                .create(&lecture.class_id, "Quiz", None, &[])
                .is_err()
        );
        assert_eq!(count_rows(&store, "quizzes"), 0);
        assert_eq!(count_rows(&store, "quiz_questions"), 0);
    }

    #[test]
    fn attempts_are_stored_with_their_answers_and_listed_as_history() {
        let (_dir, store, lecture) = store_with_lecture();
        let quizzes = store.quizzes();
        let quiz = quizzes
            .create(
                &lecture.class_id,
                "Cells quiz",
                None,
                &[choice_question("First?", 2), choice_question("Second?", 0)],
            )
            .unwrap();
        let questions = quizzes.questions(&quiz.id).unwrap();
        let answers = vec![
            GradedAnswer {
                question_id: questions[0].id.clone(),
                answer: "2".into(),
                is_correct: true,
            },
            GradedAnswer {
                question_id: questions[1].id.clone(),
                answer: "3".into(),
                is_correct: false,
            },
        ];
        let attempt = quizzes
            .record_attempt(&quiz.id, 1_000, &answers, 0.5)
            .unwrap();
        assert_eq!(quizzes.answers(&attempt.id).unwrap(), answers);
        let history = quizzes.history(&lecture.class_id).unwrap();
        assert_eq!(history, [attempt]);
        assert_eq!(history[0].quiz_title, "Cells quiz");
        assert!(
            quizzes
                .record_attempt(&quiz.id, 1_000, &answers, 1.5)
                .is_err()
        );
        assert_eq!(count_rows(&store, "quiz_attempts"), 1);
    }
}
