import { listModels, type ModelSummary } from "./api";
import { LoadError } from "./LoadError";
import { strings } from "./strings";
import { useCommand } from "./useCommand";

function ModelRow({ model }: { model: ModelSummary }) {
  const text = strings.models;
  return (
    <li className="model">
      <div className="model-main">
        <p className="model-name">
          {model.name} <span className="muted model-meta">· {text.roles[model.role]} · {text.size(model.sizeBytes)}</span>
        </p>
        <p className="muted model-description">{model.description}</p>
        {model.problem !== null && model.presence === "incomplete" && <p className="model-problem">{model.problem}</p>}
      </div>
      <span className={`badge badge-${model.presence}`}>{text.presence[model.presence]}</span>
    </li>
  );
}

/** The catalog's models with their installed state, and what to do when none are installed. */
export function Models() {
  const [models, retry] = useCommand(listModels);
  const text = strings.models;

  return (
    <section className="card" aria-labelledby="models-heading">
      <h2 id="models-heading">{text.heading}</h2>
      <p className="muted">{text.intro}</p>
      {models.status === "loading" && (
        <p role="status" className="muted">
          {text.loading}
        </p>
      )}
      {models.status === "failed" && (
        <LoadError summary={text.failed} detail={models.message} retryLabel={text.retry} onRetry={retry} />
      )}
      {models.status === "ready" && (
        <>
          {!models.value.some((model) => model.presence === "installed") && (
            <div className="notice">
              <p>{text.noneInstalled}</p>
              <p>{text.howToInstall}</p>
              <button type="button" onClick={retry}>
                {text.retry}
              </button>
            </div>
          )}
          <ul className="models" aria-labelledby="models-heading">
            {models.value.map((model) => (
              <ModelRow key={model.id} model={model} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
