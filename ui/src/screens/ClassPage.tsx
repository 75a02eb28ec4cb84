import { useRef, useState, type SyntheticEvent, type KeyboardEvent } from "react";
import { findClass, useClasses } from "../app/classes";
import { useImporter } from "../app/importer";
import { CLASS_TABS, useNav, type ClassTab } from "../app/nav";
import { strings } from "../strings";
import { ChatTab } from "./ChatTab";
import { DocumentsTab, LecturesTab } from "./LibraryTabs";
import { FlashcardsTab } from "./FlashcardsTab";
import { NotesTab } from "./NotesTab";
import { QuizzesTab } from "./QuizzesTab";

const TABS: readonly ClassTab[] = CLASS_TABS;

function ImportPaths({ classId, onDone }: { classId: string; onDone: () => void }) {
  const { importFiles } = useImporter();
  const [paths, setPaths] = useState("");
  const list = paths
    .split(/\n/)
    .map((path) => path.trim())
    .filter((path) => path !== "");
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void importFiles(classId, list);
    setPaths("");
    onDone();
  };
  return (
    <form className="import-paths" onSubmit={submit}>
      <label className="field">
        <span>{strings.library.importLabel}</span>
        <textarea
          data-testid="import-paths-input"
          rows={3}
          placeholder={strings.library.importPlaceholder}
          value={paths}
          autoFocus
          onChange={(event) => {
            setPaths(event.target.value);
          }}
        />
      </label>
      <button type="submit" data-testid="import-paths-run" disabled={list.length === 0}>
        {strings.library.importRun}
      </button>
    </form>
  );
}

/** A class: its name, record and import, and the six tabs. */
export function ClassPage({ classId, tab }: { classId: string; tab: ClassTab }) {
  const classes = useClasses();
  const { navigate } = useNav();
  const [importing, setImporting] = useState(false);
  const tabRefs = useRef(new Map<ClassTab, HTMLButtonElement>());
  const item = findClass(classes, classId);

  const select = (next: ClassTab) => {
    navigate({ page: "class", classId, tab: next });
    tabRefs.current.get(next)?.focus();
  };
  // Arrow keys move between tabs, as in every tab list.
  const onTabKey = (event: KeyboardEvent) => {
    const index = TABS.indexOf(tab);
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (event.key === "Home") select(TABS[0] ?? tab);
    else if (event.key === "End") select(TABS[TABS.length - 1] ?? tab);
    else if (step !== 0) select(TABS[(index + step + TABS.length) % TABS.length] ?? tab);
    else return;
    event.preventDefault();
  };

  return (
    <>
      <header className="page-header class-header">
        <div className="row spread">
          <h1>{item?.name ?? strings.loading}</h1>
          <div className="row">
            <button
              type="button"
              className="secondary"
              aria-expanded={importing}
              data-testid="import-button"
              onClick={() => {
                setImporting((open) => !open);
              }}
            >
              {strings.library.importButton}
            </button>
            <button
              type="button"
              className="record-button"
              data-testid="record-link"
              onClick={() => {
                navigate({ page: "record", classId });
              }}
            >
              <span className="record-dot" aria-hidden="true" /> {strings.library.record}
            </button>
          </div>
        </div>
        {importing && (
          <ImportPaths
            classId={classId}
            onDone={() => {
              setImporting(false);
            }}
          />
        )}
      </header>
      <div role="tablist" aria-label={item?.name ?? ""} className="tabs" onKeyDown={onTabKey}>
        {TABS.map((name) => (
          <button
            key={name}
            ref={(element) => {
              if (element === null) tabRefs.current.delete(name);
              else tabRefs.current.set(name, element);
            }}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={tab === name}
            aria-controls="tab-panel"
            tabIndex={tab === name ? 0 : -1}
            data-testid={`tab-${name}`}
            className="tab"
            onClick={() => {
              navigate({ page: "class", classId, tab: name });
            }}
          >
            {strings.tabs[name]}
            {name === "flashcards" && item !== undefined && item.dueCards > 0 && (
              <span className="count-badge">{item.dueCards}</span>
            )}
          </button>
        ))}
      </div>
      <section id="tab-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} className="tab-panel">
        {tab === "lectures" && <LecturesTab classId={classId} />}
        {tab === "documents" && <DocumentsTab classId={classId} />}
        {tab === "notes" && <NotesTab classId={classId} />}
        {tab === "quizzes" && <QuizzesTab classId={classId} />}
        {tab === "flashcards" && <FlashcardsTab classId={classId} />}
        {tab === "chat" && <ChatTab classId={classId} />}
      </section>
    </>
  );
}
