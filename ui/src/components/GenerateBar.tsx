import { useCallback, useId, useState } from "react";
import { generateFlashcards, generateNotes, generateQuiz, listDocuments, listLectures, type StudyScopeInput } from "../api";
import { useGeneration } from "../app/generation";
import { strings } from "../strings";
import { useCommand } from "../useCommand";
import { GenerateButton } from "./common";

/** A scope as one `<select>` value: "class", "lecture:ID" or "document:ID". */
function scopeKey(scope: StudyScopeInput): string {
  switch (scope.kind) {
    case "class":
      return "class";
    case "lecture":
      return `lecture:${scope.lectureId}`;
    case "document":
      return `document:${scope.documentId}`;
  }
}

function scopeFromKey(key: string, classId: string): StudyScopeInput {
  const at = key.indexOf(":");
  const kind = key.slice(0, at);
  const id = key.slice(at + 1);
  if (kind === "lecture") return { kind: "lecture", lectureId: id };
  if (kind === "document") return { kind: "document", documentId: id };
  return { kind: "class", classId };
}

/**
 * What to write from: the whole class, one lecture or one document. Until the class's lectures
 * and documents have loaded (or when they cannot be), the whole class is the only choice.
 */
function ScopePicker(props: { classId: string; value: StudyScopeInput; onChange: (scope: StudyScopeInput) => void }) {
  const { classId } = props;
  const load = useCallback(async () => {
    const [lectures, documents] = await Promise.all([listLectures(classId), listDocuments(classId)]);
    return { lectures, documents };
  }, [classId]);
  const [material, controls] = useCommand(load);
  const text = strings.scope;
  const errorId = useId();
  return (
    <div className="scope-picker">
      <label className="inline-field">
        <span>{text.label}</span>
        <select
          data-testid="study-scope"
          value={scopeKey(props.value)}
          aria-describedby={material.status === "failed" ? errorId : undefined}
          aria-busy={material.status === "loading"}
          onChange={(event) => {
            props.onChange(scopeFromKey(event.target.value, classId));
          }}
        >
          <option value="class">{text.wholeClass}</option>
          {material.status === "loading" && <option disabled>{strings.loading}</option>}
          {material.status === "ready" && material.value.lectures.length > 0 && (
            <optgroup label={text.lectures}>
              {material.value.lectures.map((lecture) => (
                <option key={lecture.id} value={`lecture:${lecture.id}`}>
                  {lecture.title}
                </option>
              ))}
            </optgroup>
          )}
          {material.status === "ready" && material.value.documents.length > 0 && (
            <optgroup label={text.documents}>
              {material.value.documents.map((document) => (
                <option key={document.id} value={`document:${document.id}`}>
                  {document.title}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      {material.status === "failed" && (
        <p id={errorId} role="alert" className="error-text small">
          {text.failed} {material.message}{" "}
          <button type="button" className="link-button" onClick={controls.retry}>
            {strings.retry}
          </button>
        </p>
      )}
    </div>
  );
}

/** The most questions or cards one job may write; the model is small and a class's material finite. */
const MAX_COUNT = 50;

/** What each kind of study material needs: its words, test ids, count and command. */
const KINDS = {
  notes: {
    text: strings.notes,
    testId: "notes-generate",
    count: null,
    secondary: false,
    start: (scope: StudyScopeInput) => generateNotes(scope),
  },
  quiz: {
    text: strings.quiz,
    testId: "quiz-generate",
    count: { testId: "quiz-count", initial: 5 },
    secondary: false,
    start: (scope: StudyScopeInput, count: number) => generateQuiz(scope, count),
  },
  cards: {
    text: strings.cards,
    testId: "cards-generate",
    count: { testId: "cards-count", initial: 10 },
    secondary: true,
    start: (scope: StudyScopeInput, count: number) => generateFlashcards(scope, count),
  },
} as const;

/**
 * Generate notes, a quiz or flashcards: the scope picker, a count for quizzes and cards, and the
 * button. The job runs in the background; `onFinished` runs once it is done, so the list it
 * fills can refresh.
 */
export function GenerateBar({ classId, kind, onFinished }: { classId: string; kind: keyof typeof KINDS; onFinished: () => void }) {
  const config = KINDS[kind];
  const generation = useGeneration(onFinished);
  const [scope, setScope] = useState<StudyScopeInput>({ kind: "class", classId });
  const [count, setCount] = useState(String(config.count?.initial ?? 0));
  const parsed = Math.round(Number(count));
  const countValid = config.count === null || (count.trim() !== "" && Number.isFinite(parsed) && parsed >= 1 && parsed <= MAX_COUNT);
  return (
    <div className="generate-bar" role="group" aria-label={config.text.generate}>
      <ScopePicker classId={classId} value={scope} onChange={setScope} />
      {config.count !== null && (
        <label className="inline-field">
          <span>{config.text.count}</span>
          <input
            type="number"
            className="count-input"
            min={1}
            max={MAX_COUNT}
            data-testid={config.count.testId}
            value={count}
            aria-invalid={!countValid}
            onChange={(event) => {
              setCount(event.target.value);
            }}
          />
        </label>
      )}
      <GenerateButton
        label={config.text.generate}
        runningText={config.text.generating}
        testId={config.testId}
        generation={generation}
        secondary={config.secondary}
        disabled={!countValid}
        onStart={() => void generation.start(() => config.start(scope, parsed))}
      />
    </div>
  );
}
