import { useCallback, useState, type SyntheticEvent } from "react";
import {
  getQuiz,
  listQuizzes,
  quizHistory,
  submitQuiz,
  type AttemptResultView,
  type QuizQuestionView,
  type QuizView,
} from "../api";
import { ActionError, Empty, Loaded } from "../components/common";
import { GenerateBar } from "../components/GenerateBar";
import { day, strings } from "../strings";
import { useAction, useCommand } from "../useCommand";

function Question(props: { question: QuizQuestionView; index: number; answer: string; onAnswer: (answer: string) => void }) {
  const { question } = props;
  const name = `question-${question.id}`;
  return (
    <fieldset className="question" data-testid="quiz-question">
      <legend>
        <span className="question-number">{props.index + 1}.</span> {question.prompt}
      </legend>
      {question.choices.length > 0 ? (
        <div className="choices">
          {question.choices.map((choice, choiceIndex) => (
            <label key={choiceIndex} className="choice">
              <input
                type="radio"
                name={name}
                value={String(choiceIndex)}
                data-testid="quiz-choice"
                checked={props.answer === String(choiceIndex)}
                onChange={() => {
                  props.onAnswer(String(choiceIndex));
                }}
              />
              <span>{choice}</span>
            </label>
          ))}
        </div>
      ) : (
        <input
          aria-label={strings.quiz.answerLabel}
          data-testid="quiz-answer"
          value={props.answer}
          onChange={(event) => {
            props.onAnswer(event.target.value);
          }}
        />
      )}
    </fieldset>
  );
}

/** A choice question's answer is the choice's index; show the choice itself. */
function shownAnswer(choices: string[], given: string): string {
  if (choices.length === 0 || given === "") return given;
  return choices[Number(given)] ?? given;
}

function Result({ result, onAgain, onBack }: { result: AttemptResultView; onAgain: () => void; onBack: () => void }) {
  const text = strings.quiz;
  return (
    <section className="card quiz-result" aria-labelledby="quiz-score">
      <h2 id="quiz-score" data-testid="quiz-score" tabIndex={-1} ref={(element) => element?.focus()}>
        {text.score(result.correct, result.total)}
      </h2>
      <ol className="feedback">
        {result.feedback.map((item) => (
          <li key={item.questionId} className={item.correct ? "feedback-item right" : "feedback-item wrong"} data-testid="quiz-feedback">
            <p className="feedback-verdict">{item.correct ? `✓ ${text.right}` : `✗ ${text.wrong}`}</p>
            <p>{item.prompt}</p>
            <p className="muted small">{text.yourAnswer(shownAnswer(item.choices, item.given))}</p>
            {!item.correct && <p className="small">{text.rightAnswer(shownAnswer(item.choices, item.answer))}</p>}
            {item.explanation !== "" && <p className="small">{item.explanation}</p>}
          </li>
        ))}
      </ol>
      <div className="row">
        <button type="button" onClick={onAgain}>
          {text.again}
        </button>
        <button type="button" className="secondary" onClick={onBack}>
          {text.backToList}
        </button>
      </div>
    </section>
  );
}

function QuizRunner({ quiz, onFinished, onBack }: { quiz: QuizView; onFinished: () => void; onBack: () => void }) {
  const [answers, setAnswers] = useState<string[]>(() => quiz.questions.map(() => ""));
  const [result, setResult] = useState<AttemptResultView | null>(null);
  const action = useAction();
  const text = strings.quiz;

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const graded = await action.run(() => submitQuiz(quiz.id, answers));
    if (graded !== undefined) {
      setResult(graded);
      onFinished();
    }
  };

  if (result !== null)
    return (
      <Result
        result={result}
        onAgain={() => {
          setAnswers(quiz.questions.map(() => ""));
          setResult(null);
        }}
        onBack={onBack}
      />
    );

  return (
    <form className="card quiz" onSubmit={(event) => void submit(event)} aria-labelledby="quiz-title">
      <div className="row spread">
        <h2 id="quiz-title">{quiz.title}</h2>
        <button type="button" className="link-button" onClick={onBack}>
          {text.backToList}
        </button>
      </div>
      {quiz.questions.map((question, index) => (
        <Question
          key={question.id}
          question={question}
          index={index}
          answer={answers[index] ?? ""}
          onAnswer={(answer) => {
            setAnswers((old) => old.map((given, at) => (at === index ? answer : given)));
          }}
        />
      ))}
      <button type="submit" data-testid="quiz-submit" disabled={action.busy}>
        {text.submit}
      </button>
      <ActionError summary={text.submitFailed} detail={action.error} />
    </form>
  );
}

/** Past attempts; mounted afresh after each quiz, so it is always current. */
function History({ classId }: { classId: string }) {
  const load = useCallback(() => quizHistory(classId), [classId]);
  const [history, controls] = useCommand(load);
  const text = strings.quiz;
  return (
    <section className="card" aria-labelledby="history-heading">
      <h2 id="history-heading">{text.history}</h2>
      <Loaded state={history} failed={text.loadFailed} onRetry={controls.retry}>
        {(list) =>
          list.length === 0 ? (
            <p className="muted">{text.historyEmpty}</p>
          ) : (
            <ul className="history" data-testid="quiz-history">
              {list.map((attempt) => (
                <li key={attempt.id} className="row spread">
                  <span>{attempt.quizTitle}</span>
                  <span className="muted small">
                    {text.percent(attempt.score)} · {day(attempt.finishedAt)}
                  </span>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

/** A class's quizzes: generate, take with feedback, best scores and history. */
export function QuizzesTab({ classId }: { classId: string }) {
  const load = useCallback(() => listQuizzes(classId), [classId]);
  const [quizzes, controls] = useCommand(load);
  const [taking, setTaking] = useState<QuizView | null>(null);
  const opening = useAction();
  const text = strings.quiz;

  if (taking !== null)
    return (
      <QuizRunner
        quiz={taking}
        onFinished={() => {
          controls.refresh();
        }}
        onBack={() => {
          setTaking(null);
        }}
      />
    );

  return (
    <div className="study">
      <GenerateBar classId={classId} kind="quiz" onFinished={controls.refresh} />
      <ActionError summary={text.loadQuizFailed} detail={opening.error} />
      <Loaded state={quizzes} failed={text.loadFailed} onRetry={controls.retry}>
        {(list) =>
          list.length === 0 ? (
            <Empty>
              <p>{text.empty}</p>
            </Empty>
          ) : (
            <ul className="item-list" data-testid="quiz-list">
              {list.map((quiz) => (
                <li key={quiz.id} className="item-row" data-testid="quiz-row">
                  <div className="item-link static">
                    <span className="item-title">{quiz.title}</span>
                    <span className="muted small">
                      {text.questions(quiz.questionCount)} · {quiz.bestScore === null ? text.notTaken : text.best(quiz.bestScore)}
                    </span>
                  </div>
                  <button
                    type="button"
                    data-testid="quiz-take"
                    disabled={opening.busy}
                    onClick={() =>
                      void opening.run(() => getQuiz(quiz.id)).then((view) => {
                        if (view !== undefined) setTaking(view);
                      })
                    }
                  >
                    {text.take}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <History classId={classId} />
    </div>
  );
}
