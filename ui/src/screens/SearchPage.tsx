import { useCallback, useEffect, useRef, useState, type SyntheticEvent } from "react";
import { describeError, search, type SearchMode, type SearchResultView } from "../api";
import { useClasses } from "../app/classes";
import { ActionError, Empty, Highlighted, Loading, useOpenSource } from "../components/common";
import { strings } from "../strings";

const MODES: SearchMode[] = ["hybrid", "text", "semantic"];

type Results =
  | { status: "idle" }
  | { status: "searching" }
  | { status: "done"; query: string; hits: SearchResultView[] }
  | { status: "failed"; message: string };

function Hit({ hit, className }: { hit: SearchResultView; className: string | undefined }) {
  const open = useOpenSource();
  return (
    <li>
      <button
        type="button"
        className="search-hit"
        data-testid="search-result"
        onClick={() => {
          open(hit.locator);
        }}
      >
        <span className="hit-source">
          <span className={`kind-icon kind-${hit.sourceKind}`} aria-hidden="true" />
          {hit.label}
          {className !== undefined && <span className="muted small"> · {className}</span>}
        </span>
        <span className="hit-snippet">
          <Highlighted html={hit.snippetHtml} />
        </span>
      </button>
    </li>
  );
}

/** One box over everything: hybrid results with highlighted snippets that open their source. */
export function SearchPage({ initialQuery }: { initialQuery: string }) {
  const classes = useClasses();
  const [query, setQuery] = useState(initialQuery);
  const [mode, setMode] = useState<SearchMode>("hybrid");
  const [scope, setScope] = useState("");
  const [results, setResults] = useState<Results>(initialQuery === "" ? { status: "idle" } : { status: "searching" });
  // Only the latest search may show its results.
  const latest = useRef(0);
  const text = strings.search;
  const classList = classes.state.status === "ready" ? classes.state.value : [];

  const fetchResults = useCallback(
    async (words: string): Promise<Results> => {
      try {
        return { status: "done", query: words, hits: await search(words, scope === "" ? null : scope, mode) };
      } catch (error: unknown) {
        return { status: "failed", message: describeError(error) };
      }
    },
    [mode, scope],
  );
  const show = useCallback((request: number) => (found: Results) => {
    if (latest.current === request) setResults(found);
  }, []);

  // The sidebar's box opens this page with its words; search them at once.
  useEffect(() => {
    if (initialQuery !== "") void fetchResults(initialQuery).then(show(0));
    // Only on arrival; later searches run on submit.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const words = query.trim();
    latest.current += 1;
    if (words === "") {
      setResults({ status: "idle" });
      return;
    }
    setResults({ status: "searching" });
    void fetchResults(words).then(show(latest.current));
  };

  return (
    <>
      <header className="page-header">
        <h1>{text.heading}</h1>
      </header>
      <form role="search" className="search-form" onSubmit={submit}>
        <input
          type="search"
          className="search-input"
          aria-label={text.label}
          placeholder={strings.nav.searchPlaceholder}
          data-testid="search-input"
          value={query}
          autoFocus
          onChange={(event) => {
            setQuery(event.target.value);
          }}
        />
        <select
          aria-label={text.mode}
          data-testid="search-mode"
          value={mode}
          onChange={(event) => {
            setMode(event.target.value as SearchMode);
          }}
        >
          {MODES.map((name) => (
            <option key={name} value={name}>
              {text.modes[name]}
            </option>
          ))}
        </select>
        <select
          aria-label={strings.classes.heading}
          data-testid="search-scope"
          value={scope}
          onChange={(event) => {
            setScope(event.target.value);
          }}
        >
          <option value="">{text.scopeAll}</option>
          {classList.map((item) => (
            <option key={item.id} value={item.id}>
              {text.scopeClass(item.name)}
            </option>
          ))}
        </select>
        <button type="submit" data-testid="search-submit" disabled={query.trim() === ""}>
          {text.heading}
        </button>
      </form>
      {results.status === "idle" && (
        <Empty>
          <p>{text.empty}</p>
        </Empty>
      )}
      {results.status === "searching" && <Loading label={text.searching} />}
      {results.status === "failed" && <ActionError summary={text.failed} detail={results.message} />}
      {results.status === "done" &&
        (results.hits.length === 0 ? (
          <Empty>
            <p>{text.none(results.query)}</p>
          </Empty>
        ) : (
          <section aria-label={text.results(results.hits.length)}>
            <p className="muted small" role="status">
              {text.results(results.hits.length)}
            </p>
            <ul className="search-results" data-testid="search-results">
              {results.hits.map((hit) => (
                <Hit key={hit.chunkId} hit={hit} className={classList.find((item) => item.id === hit.classId)?.name} />
              ))}
            </ul>
          </section>
        ))}
    </>
  );
}
