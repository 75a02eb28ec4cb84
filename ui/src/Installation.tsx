import { getAppInfo } from "./api";
import { LoadError } from "./LoadError";
import { strings } from "./strings";
import { useCommand } from "./useCommand";

/** The app version and the folders where data and models live. */
export function Installation() {
  const [info, retry] = useCommand(getAppInfo);
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
        <LoadError summary={text.failed} detail={info.message} retryLabel={text.retry} onRetry={retry} />
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
          </dd>
        </dl>
      )}
    </section>
  );
}
