import { useCallback, useEffect, useState } from "react";
import { type AppInfo, describeError, getAppInfo } from "./api";
import { strings } from "./strings";

/** The result of a command the screen is waiting on. */
type Loadable<T> =
  | { status: "loading" }
  | { status: "ready"; value: T }
  | { status: "failed"; message: string };

/** Calls `app_info` on mount and again on each `retry`. */
function useAppInfo(): [Loadable<AppInfo>, () => void] {
  const [state, setState] = useState<Loadable<AppInfo>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    // A stale answer (after unmount or a newer retry) must not overwrite the current one.
    let current = true;
    getAppInfo().then(
      (value) => {
        if (current) setState({ status: "ready", value });
      },
      (error: unknown) => {
        if (current) setState({ status: "failed", message: describeError(error) });
      },
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  const retry = useCallback(() => {
    setState({ status: "loading" });
    setAttempt((n) => n + 1);
  }, []);
  return [state, retry];
}

function Sidebar() {
  return (
    <nav className="sidebar" aria-labelledby="classes-heading">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <div>
          <p className="brand-name">{strings.appName}</p>
          <p className="brand-tagline">{strings.tagline}</p>
        </div>
      </div>
      <h2 id="classes-heading" className="sidebar-heading">
        {strings.classes.heading}
      </h2>
      <div className="empty">
        <p>{strings.classes.empty}</p>
        <p className="muted">{strings.classes.emptyHint}</p>
      </div>
    </nav>
  );
}

function Installation() {
  const [info, retry] = useAppInfo();
  const text = strings.installation;

  return (
    <section className="card" aria-labelledby="installation-heading">
      <h2 id="installation-heading">{text.heading}</h2>
      {info.status === "loading" && (
        <p role="status" className="muted">
          {text.loading}
        </p>
      )}
      {info.status === "failed" && (
        <div role="alert" className="error">
          <p>{text.failed}</p>
          <p className="error-detail">{info.message}</p>
          <button type="button" onClick={retry}>
            {text.retry}
          </button>
        </div>
      )}
      {info.status === "ready" && (
        <dl className="facts">
          <dt>{text.version}</dt>
          <dd>{info.value.version}</dd>
          <dt>{text.dataDir}</dt>
          <dd>
            <code>{info.value.dataDir}</code>
          </dd>
          <dt>{text.modelsDir}</dt>
          <dd>
            <code>{info.value.modelsDir}</code>
            <p className="muted hint">{text.modelsHint}</p>
          </dd>
        </dl>
      )}
    </section>
  );
}

/** The app's first screen: classes on the left, the home page on the right. */
export function App() {
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        {strings.skipToContent}
      </a>
      <Sidebar />
      <main id="main" tabIndex={-1}>
        <header className="page-header">
          <h1>{strings.home.heading}</h1>
          <p className="muted">{strings.home.intro}</p>
        </header>
        <Installation />
      </main>
    </div>
  );
}
