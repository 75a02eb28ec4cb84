import { useCallback, useState } from "react";
import { listNotes, saveNote, type NoteView } from "../api";
import { ActionError, Empty, Loaded, Markdown } from "../components/common";
import { GenerateBar } from "../components/GenerateBar";
import { day, strings } from "../strings";
import { useAction, useCommand } from "../useCommand";

function NoteEditor({ note, onSaved }: { note: NoteView; onSaved: (note: NoteView) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const text = strings.notes;

  const save = async () => {
    if (draft === null) return;
    const result = await action.run(() => saveNote(note.id, draft));
    if (result !== undefined) {
      onSaved(result);
      setDraft(null);
      setSaved(true);
    }
  };

  return (
    <article className="card note" aria-labelledby="note-title">
      <div className="row spread">
        <h2 id="note-title">{note.title}</h2>
        <div className="row">
          {saved && draft === null && (
            <span className="ok-text small" role="status">
              {text.saved}
            </span>
          )}
          {draft === null ? (
            <button
              type="button"
              className="secondary"
              data-testid="note-edit"
              onClick={() => {
                setDraft(note.markdown);
                setSaved(false);
              }}
            >
              {text.edit}
            </button>
          ) : (
            <>
              <button
                type="button"
                className="secondary"
                onClick={() => {
                  setDraft(null);
                  action.clear();
                }}
              >
                {strings.cancel}
              </button>
              <button type="button" data-testid="note-save" disabled={action.busy} onClick={() => void save()}>
                {strings.save}
              </button>
            </>
          )}
        </div>
      </div>
      {draft === null ? (
        <Markdown source={note.markdown} />
      ) : (
        <textarea
          className="note-editor"
          aria-label={text.editorLabel}
          data-testid="note-editor"
          value={draft}
          autoFocus
          rows={18}
          onChange={(event) => {
            setDraft(event.target.value);
          }}
          onKeyDown={(event) => {
            if (event.key === "s" && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              void save();
            }
          }}
        />
      )}
      <ActionError summary={text.saveFailed} detail={action.error} />
    </article>
  );
}

/** A class's notes: generated from its material, rendered as Markdown, editable. */
export function NotesTab({ classId }: { classId: string }) {
  const load = useCallback(() => listNotes(classId), [classId]);
  const [notes, controls] = useCommand(load);
  const [selected, setSelected] = useState<string | null>(null);
  const text = strings.notes;

  return (
    <div className="study">
      <GenerateBar classId={classId} kind="notes" onFinished={controls.refresh} />
      <Loaded state={notes} failed={text.loadFailed} onRetry={controls.retry}>
        {(list) => {
          if (list.length === 0)
            return (
              <Empty>
                <p>{text.empty}</p>
              </Empty>
            );
          const current = list.find((note) => note.id === selected) ?? list[0];
          return (
            <div className="split">
              <ul className="side-list" aria-label={text.heading}>
                {list.map((note) => (
                  <li key={note.id}>
                    <button
                      type="button"
                      className="side-link"
                      data-testid="note-item"
                      aria-current={note.id === current?.id ? "true" : undefined}
                      onClick={() => {
                        setSelected(note.id);
                      }}
                    >
                      <span>{note.title}</span>
                      <span className="muted small">{day(note.updatedAt)}</span>
                    </button>
                  </li>
                ))}
              </ul>
              {current !== undefined && (
                <NoteEditor
                  key={current.id}
                  note={current}
                  onSaved={(saved) => {
                    controls.update((old) => old.map((note) => (note.id === saved.id ? saved : note)));
                  }}
                />
              )}
            </div>
          );
        }}
      </Loaded>
    </div>
  );
}
