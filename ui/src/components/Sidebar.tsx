import { useState, type SyntheticEvent } from "react";
import appIcon from "../../../assets/icons/128x128.png";
import { createClass, deleteClass, renameClass, type ClassSummary } from "../api";
import { useClasses } from "../app/classes";
import { activeJobCount, useJobs } from "../app/jobs";
import { useNav } from "../app/nav";
import { useTheme } from "../app/theme";
import { strings } from "../strings";
import { useAction } from "../useCommand";
import { ErrorText, Loaded } from "./common";
import { ConfirmDelete } from "./ConfirmDelete";
import { InlineRename } from "./InlineRename";

function ClassItem({ item, selected }: { item: ClassSummary; selected: boolean }) {
  const { navigate, route } = useNav();
  const { controls } = useClasses();
  const [renaming, setRenaming] = useState(false);
  const text = strings.classes;

  return (
    <li className={selected ? "class-item selected" : "class-item"} data-testid="class-item" data-class-id={item.id}>
      {renaming ? (
        <InlineRename
          label={text.renameLabel(item.name)}
          initial={item.name}
          testId="class-rename-input"
          onRename={async (name) => {
            const renamed = await renameClass(item.id, name);
            controls.update((list) => list.map((other) => (other.id === renamed.id ? renamed : other)));
          }}
          onClose={() => {
            setRenaming(false);
          }}
        />
      ) : (
        <div className="class-row">
          <button
            type="button"
            className="class-link"
            aria-current={selected ? "page" : undefined}
            onClick={() => {
              navigate({ page: "class", classId: item.id, tab: "lectures" });
            }}
          >
            <span className="class-name">{item.name}</span>
            <span className="class-meta">{text.counts(item.lectureCount, item.documentCount)}</span>
          </button>
          {item.dueCards > 0 && (
            <span className="due-badge" data-testid="class-due" title={text.due(item.dueCards)} aria-label={text.due(item.dueCards)}>
              {item.dueCards}
            </span>
          )}
          <div className="class-actions">
            <button
              type="button"
              className="icon-button"
              aria-label={text.renameAction(item.name)}
              data-testid="class-rename"
              onClick={() => {
                setRenaming(true);
              }}
            >
              ✎
            </button>
            <ConfirmDelete
              label={text.deleteLabel(item.name)}
              question={text.confirmDelete(item.name)}
              testId="class-delete"
              onDelete={() => deleteClass(item.id)}
              onDeleted={() => {
                controls.update((list) => list.filter((other) => other.id !== item.id));
                if ("classId" in route && route.classId === item.id) navigate({ page: "home" });
              }}
            />
          </div>
        </div>
      )}
    </li>
  );
}

function NewClass() {
  const { navigate } = useNav();
  const { controls } = useClasses();
  const [name, setName] = useState("");
  const action = useAction();

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const created = await action.run(() => createClass(name.trim()));
    if (created !== undefined) {
      controls.update((list) => [...list, created]);
      setName("");
      navigate({ page: "class", classId: created.id, tab: "lectures" });
    }
  };

  return (
    <form className="new-class" onSubmit={(event) => void submit(event)}>
      <input
        aria-label={strings.classes.newLabel}
        placeholder={strings.classes.newPlaceholder}
        data-testid="new-class-input"
        value={name}
        onChange={(event) => {
          setName(event.target.value);
        }}
      />
      <button type="submit" data-testid="new-class-button" disabled={name.trim() === "" || action.busy}>
        {strings.classes.add}
      </button>
      <ErrorText message={action.error} />
    </form>
  );
}

function GlobalSearch() {
  const { navigate } = useNav();
  const [query, setQuery] = useState("");
  return (
    <form
      role="search"
      className="global-search"
      onSubmit={(event) => {
        event.preventDefault();
        navigate({ page: "search", query: query.trim() });
      }}
    >
      <input
        type="search"
        aria-label={strings.nav.search}
        placeholder={strings.nav.searchPlaceholder}
        data-testid="global-search-input"
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
        }}
      />
    </form>
  );
}

/** Brand, global search, the class list and the way to jobs, settings and the theme. */
export function Sidebar({ jobsOpen, onToggleJobs }: { jobsOpen: boolean; onToggleJobs: () => void }) {
  const { route, navigate } = useNav();
  const classes = useClasses();
  const jobs = useJobs();
  const theme = useTheme();
  const active = activeJobCount(jobs);
  const selectedClass = "classId" in route ? route.classId : null;

  return (
    <nav className="sidebar" aria-label={strings.appName}>
      <div className="brand">
        <img className="brand-mark" src={appIcon} alt="" />
        <div>
          <p className="brand-name">{strings.appName}</p>
          <p className="brand-tagline">{strings.tagline}</p>
        </div>
      </div>
      <GlobalSearch />
      <section className="sidebar-classes" aria-labelledby="classes-heading">
        <h2 id="classes-heading" className="sidebar-heading">
          {strings.classes.heading}
        </h2>
        <Loaded state={classes.state} failed={strings.classes.loadFailed} onRetry={classes.controls.retry}>
          {(list) =>
            list.length === 0 ? (
              <div className="empty">
                <p>{strings.classes.empty}</p>
                <p className="muted">{strings.classes.emptyHint}</p>
              </div>
            ) : (
              <ul className="class-list" data-testid="class-list">
                {list.map((item) => (
                  <ClassItem key={item.id} item={item} selected={item.id === selectedClass} />
                ))}
              </ul>
            )
          }
        </Loaded>
        <NewClass />
      </section>
      <div className="sidebar-footer">
        <button
          type="button"
          className="nav-button"
          aria-expanded={jobsOpen}
          aria-controls="jobs-panel"
          data-testid="jobs-toggle"
          onClick={onToggleJobs}
        >
          {strings.nav.jobs}
          {active > 0 && <span className="count-badge">{active}</span>}
          <span className="visually-hidden">{strings.nav.activeJobs(active)}</span>
        </button>
        <button
          type="button"
          className="nav-button"
          aria-current={route.page === "settings" ? "page" : undefined}
          data-testid="settings-link"
          onClick={() => {
            navigate({ page: "settings" });
          }}
        >
          {strings.nav.settings}
        </button>
        <button type="button" className="nav-button" data-testid="theme-toggle" onClick={theme.toggle}>
          {theme.dark ? strings.theme.toLight : strings.theme.toDark}
        </button>
      </div>
    </nav>
  );
}
