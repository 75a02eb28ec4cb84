import { useState, type KeyboardEvent, type SyntheticEvent } from "react";
import {
  deleteFlashcard,
  editFlashcard,
  exportFlashcardsCsv,
  importFlashcardsCsv,
  suspendFlashcard,
  type FlashcardView,
} from "../api";
import { ActionError, Empty, ErrorText, Loaded } from "../components/common";
import { ConfirmDelete } from "../components/ConfirmDelete";
import { day, strings } from "../strings";
import { useAction, type CommandControls, type Loadable } from "../useCommand";

function CardEditor({ card, onSaved, onCancel }: { card: FlashcardView; onSaved: (card: FlashcardView) => void; onCancel: () => void }) {
  const [front, setFront] = useState(card.front);
  const [back, setBack] = useState(card.back);
  const action = useAction();
  const text = strings.cards;
  const empty = front.trim() === "" || back.trim() === "";

  const submit = async (event?: SyntheticEvent) => {
    event?.preventDefault();
    if (empty) return;
    const saved = await action.run(() => editFlashcard(card.id, front.trim(), back.trim()));
    if (saved !== undefined) onSaved(saved);
  };
  // Ctrl+Enter saves from either side, Esc cancels; plain Enter is a new line in the card.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void submit();
    } else if (event.key === "Escape") {
      event.preventDefault();
      onCancel();
    }
  };

  return (
    <form className="card-editor" aria-label={text.editLabel(card.front)} onSubmit={(event) => void submit(event)}>
      <label className="field">
        <span>{text.front}</span>
        <textarea
          data-testid="card-edit-front"
          rows={2}
          value={front}
          autoFocus
          aria-describedby={`card-hint-${card.id}`}
          onChange={(event) => {
            setFront(event.target.value);
          }}
          onKeyDown={onKeyDown}
        />
      </label>
      <label className="field">
        <span>{text.back}</span>
        <textarea
          data-testid="card-edit-back"
          rows={2}
          value={back}
          aria-describedby={`card-hint-${card.id}`}
          onChange={(event) => {
            setBack(event.target.value);
          }}
          onKeyDown={onKeyDown}
        />
      </label>
      <p id={`card-hint-${card.id}`} className="muted small">
        {text.editHint}
      </p>
      <div className="row">
        <button type="submit" className="small" data-testid="card-save" disabled={empty || action.busy}>
          {strings.save}
        </button>
        <button type="button" className="secondary small" onClick={onCancel}>
          {strings.cancel}
        </button>
      </div>
      <ActionError summary={text.saveFailed} detail={action.error} />
    </form>
  );
}

function CardRow(props: {
  card: FlashcardView;
  onChanged: (card: FlashcardView) => void;
  onDeleted: () => void;
}) {
  const { card } = props;
  const [editing, setEditing] = useState(false);
  const suspending = useAction();
  const text = strings.cards;

  const toggleSuspended = async () => {
    const suspended = !card.suspended;
    const done = await suspending.run(() => suspendFlashcard(card.id, suspended));
    if (done !== undefined) props.onChanged({ ...card, suspended });
  };

  return (
    <li className={card.suspended ? "item-row card-row suspended" : "item-row card-row"} data-testid="card-row" data-card-id={card.id}>
      {editing ? (
        <CardEditor
          card={card}
          onSaved={(saved) => {
            setEditing(false);
            props.onChanged(saved);
          }}
          onCancel={() => {
            setEditing(false);
          }}
        />
      ) : (
        <>
          <div className="item-link static card-info">
            <span className="item-title">{card.front}</span>
            <span className="muted small">{card.back}</span>
            <span className="muted small">
              {card.suspended ? text.suspended : day(card.due)}
            </span>
          </div>
          <div className="row card-actions">
            <button
              type="button"
              className="secondary small"
              data-testid="card-edit"
              aria-label={text.editLabel(card.front)}
              onClick={() => {
                setEditing(true);
              }}
            >
              {text.edit}
            </button>
            <button
              type="button"
              className="secondary small"
              data-testid="card-suspend"
              aria-pressed={card.suspended}
              aria-label={card.suspended ? text.unsuspendLabel(card.front) : text.suspendLabel(card.front)}
              disabled={suspending.busy}
              onClick={() => void toggleSuspended()}
            >
              {card.suspended ? text.unsuspend : text.suspend}
            </button>
            <ConfirmDelete
              label={text.deleteLabel(card.front)}
              question={text.confirmDelete(card.front)}
              testId="card-delete"
              onDelete={() => deleteFlashcard(card.id)}
              onDeleted={props.onDeleted}
            />
          </div>
          <ErrorText message={suspending.error} />
        </>
      )}
    </li>
  );
}

/** Import a class's cards from a CSV file, or export them to one, by path. */
function CsvTools({ classId, onImported }: { classId: string; onImported: () => void }) {
  const [path, setPath] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const text = strings.cards;
  const target = path.trim();

  const run = async (direction: "import" | "export") => {
    setDone(null);
    const count = await action.run(() =>
      direction === "import" ? importFlashcardsCsv(classId, target) : exportFlashcardsCsv(classId, target),
    );
    if (count === undefined) return;
    setDone(direction === "import" ? text.csvImported(count, target) : text.csvExported(count, target));
    if (direction === "import") onImported();
  };

  return (
    <form
      className="csv-tools"
      aria-label={text.csvHeading}
      onSubmit={(event) => {
        event.preventDefault();
      }}
    >
      <div className="row csv-row">
        <label className="field">
          <span>{text.csvPath}</span>
          <input
            data-testid="cards-csv-path"
            value={path}
            placeholder={text.csvPlaceholder}
            aria-describedby="csv-hint"
            onChange={(event) => {
              setPath(event.target.value);
            }}
          />
        </label>
        {(["import", "export"] as const).map((direction) => (
          <button
            key={direction}
            type="button"
            className="secondary"
            data-testid={`cards-csv-${direction}`}
            disabled={target === "" || action.busy}
            onClick={() => void run(direction)}
          >
            {direction === "import" ? text.csvImport : text.csvExport}
          </button>
        ))}
      </div>
      <p id="csv-hint" className="muted small">
        {text.csvHint}
      </p>
      {done !== null && (
        <p role="status" className="ok-text small" data-testid="cards-csv-result">
          {done}
        </p>
      )}
      <ActionError summary={text.csvFailed} detail={action.error} />
    </form>
  );
}

/**
 * Every card of a class: edit, suspend or delete one; import and export CSV. `onChanged` lets
 * the review above and the sidebar's due counts catch up.
 */
export function CardList(props: {
  classId: string;
  cards: Loadable<FlashcardView[]>;
  controls: CommandControls<FlashcardView[]>;
  onChanged: () => void;
}) {
  const { controls, onChanged } = props;
  const text = strings.cards;
  return (
    <section className="card card-list-section" aria-labelledby="card-list-heading">
      <h2 id="card-list-heading">{text.listHeading}</h2>
      <CsvTools
        classId={props.classId}
        onImported={() => {
          controls.refresh();
          onChanged();
        }}
      />
      <Loaded state={props.cards} failed={text.loadFailed} onRetry={controls.retry}>
        {(list) =>
          list.length === 0 ? (
            <Empty>
              <p data-testid="card-list-empty">{text.listEmpty}</p>
            </Empty>
          ) : (
            <ul className="item-list" data-testid="card-list">
              {list.map((card) => (
                <CardRow
                  key={card.id}
                  card={card}
                  onChanged={(changed) => {
                    // Keep what the list knows (the edit answer carries no review choices).
                    controls.update((old) => old.map((other) => (other.id === changed.id ? { ...other, ...changed, choices: other.choices } : other)));
                    onChanged();
                  }}
                  onDeleted={() => {
                    controls.update((old) => old.filter((other) => other.id !== card.id));
                    onChanged();
                  }}
                />
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}
