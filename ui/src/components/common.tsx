import { useId, useMemo, type ReactNode } from "react";
import DOMPurify from "dompurify";
import { marked } from "marked";
import type { LocatorView } from "../api";
import { useNav } from "../app/nav";
import { strings } from "../strings";
import type { Loadable } from "../useCommand";
import { LoadError } from "./LoadError";

/** A quiet "loading" line; never blocks the rest of the window. */
export function Loading({ label = strings.loading }: { label?: string }) {
  return (
    <p role="status" className="muted loading">
      {label}
    </p>
  );
}

/** An empty list: what is missing and what to do about it. */
export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty-state">{children}</div>;
}

/** An action's failure, shown next to the control that ran it. */
export function ActionError({ summary, detail }: { summary: string; detail: string | null }) {
  if (detail === null) return null;
  return (
    <div role="alert" className="error inline-error">
      <p>{summary}</p>
      <p className="error-detail">{detail}</p>
    </div>
  );
}

/** A failed command's own message, next to what failed. */
export function ErrorText({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p role="alert" className="error-text">
      {message}
    </p>
  );
}

/** Renders a loadable: loading line, error with retry, or `children(value)`. */
export function Loaded<T>(props: {
  state: Loadable<T>;
  failed: string;
  onRetry: () => void;
  children: (value: T) => ReactNode;
}) {
  const { state } = props;
  if (state.status === "loading") return <Loading />;
  if (state.status === "failed")
    return <LoadError summary={props.failed} detail={state.message} retryLabel={strings.retry} onRetry={props.onRetry} />;
  return <>{props.children(state.value)}</>;
}

/** A thin progress bar with an accessible value. */
export function Progress({ percent, label }: { percent: number; label: string }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
      <div className="progress-fill" style={{ width: `${String(value)}%` }} />
    </div>
  );
}

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };

/** Undoes the search engine's HTML escaping (only the five entities it writes). */
function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (entity, name: string) => ENTITIES[name] ?? entity);
}

/**
 * A search snippet with its matched words in `<mark>`. The shell sends the snippet HTML-escaped
 * with matches in `<b>…</b>`; it is split on those tags and rendered as text, never as HTML.
 */
export function Highlighted({ html }: { html: string }) {
  const parts = useMemo(
    () => html.split(/<b>(.*?)<\/b>/s).map((part, index) => ({ text: unescapeHtml(part), marked: index % 2 === 1 })),
    [html],
  );
  return (
    <span className="snippet">
      {parts.map((part, index) =>
        part.marked ? <mark key={index}>{part.text}</mark> : part.text === "" ? null : <span key={index}>{part.text}</span>,
      )}
    </span>
  );
}

/** Markdown as sanitized HTML (notes are written by the model and by the student). */
export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => DOMPurify.sanitize(marked.parse(source, { async: false })), [source]);
  // Sanitized by DOMPurify just above.
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

/** A page's back link, title and actions (lecture and document pages). */
export function PageTitle(props: { backLabel: string; onBack: () => void; title: string; children: ReactNode }) {
  return (
    <header className="page-header">
      <button type="button" className="link-button" onClick={props.onBack}>
        ← {props.backLabel}
      </button>
      <div className="row spread">
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </header>
  );
}

/** A "generate" button for notes, quizzes and cards: says when the job runs, and why it could not start. */
export function GenerateButton(props: {
  label: string;
  runningText: string;
  testId: string;
  generation: { running: boolean; error: string | null };
  onStart: () => void;
  secondary?: boolean;
  /** Off while the form around it is not valid (a count out of range, say). */
  disabled?: boolean;
}) {
  return (
    <>
      <div className="row">
        {props.generation.running && (
          <span className="muted small" role="status">
            {props.runningText}
          </span>
        )}
        <button
          type="button"
          className={props.secondary === true ? "secondary" : undefined}
          data-testid={props.testId}
          disabled={props.generation.running || props.disabled === true}
          onClick={props.onStart}
        >
          {props.label}
        </button>
      </div>
      <ActionError summary={strings.generateFailed} detail={props.generation.error} />
    </>
  );
}

/** A function that opens a source: the document at its page, or the lecture at its second. */
export function useOpenSource() {
  const { navigate } = useNav();
  return (locator: LocatorView) => {
    if (locator.kind === "documentPage") navigate({ page: "document", documentId: locator.documentId, pageNumber: locator.page });
    else navigate({ page: "lecture", lectureId: locator.lectureId, atMs: locator.startMs });
  };
}

/**
 * A control with a tooltip that shows on hover and on keyboard focus; screen readers read it as
 * the control's description. `children` gets the tooltip's id for `aria-describedby`.
 */
export function WithTooltip({ tip, children }: { tip: string; children: (tooltipId: string) => ReactNode }) {
  const id = useId();
  return (
    <span className="has-tooltip">
      {children(id)}
      <span role="tooltip" id={id} className="tooltip">
        {tip}
      </span>
    </span>
  );
}
