import { useState, type SyntheticEvent } from "react";
import {
  createProfile,
  getAppInfo,
  getDiagnostics,
  getSettings,
  importModelFile,
  listModels,
  listProfiles,
  saveSettings,
  switchProfile,
  verifyModels,
  type ModelSummary,
  type Settings,
} from "../api";
import { useClasses } from "../app/classes";
import { useJobs } from "../app/jobs";
import { useNav } from "../app/nav";
import { ActionError, Loaded } from "../components/common";
import { lookup, strings } from "../strings";
import { useAction, useCommand } from "../useCommand";

function Profiles() {
  const [profiles, controls] = useCommand(listProfiles);
  const [name, setName] = useState("");
  const action = useAction();
  const classes = useClasses();
  const jobs = useJobs();
  const { navigate } = useNav();
  const text = strings.settings;

  // Another profile means other classes and jobs: load them again and start from home.
  const afterSwitch = () => {
    controls.refresh();
    classes.controls.retry();
    jobs.retryLoad();
    navigate({ page: "home" });
  };
  const create = async (event: SyntheticEvent) => {
    event.preventDefault();
    if ((await action.run(() => createProfile(name.trim()))) !== undefined) {
      setName("");
      afterSwitch();
    }
  };

  return (
    <section className="card" aria-labelledby="profiles-heading">
      <h2 id="profiles-heading">{text.profiles}</h2>
      <Loaded state={profiles} failed={text.profilesFailed} onRetry={controls.retry}>
        {(list) => (
          <ul className="plain-list" data-testid="profile-list">
            {list.map((profile) => (
              <li key={profile.id} className="row spread" data-testid="profile-item">
                <span>{profile.name}</span>
                {profile.active ? (
                  <span className="badge badge-installed">{text.active}</span>
                ) : (
                  <button
                    type="button"
                    className="secondary small"
                    aria-label={text.switchTo(profile.name)}
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(() => switchProfile(profile.id)).then((done) => {
                        if (done !== undefined) afterSwitch();
                      })
                    }
                  >
                    {text.switch}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Loaded>
      <form className="row" onSubmit={(event) => void create(event)}>
        <input
          aria-label={text.newProfile}
          placeholder={text.newProfile}
          data-testid="new-profile-input"
          value={name}
          onChange={(event) => {
            setName(event.target.value);
          }}
        />
        <button type="submit" data-testid="new-profile-button" disabled={name.trim() === "" || action.busy}>
          {text.createProfile}
        </button>
      </form>
      <ActionError summary={text.profilesFailed} detail={action.error} />
    </section>
  );
}

function ModelRow({ model }: { model: ModelSummary }) {
  const text = strings.models;
  return (
    <li className="model" data-testid="model-row">
      <div className="model-main">
        <p className="model-name">
          {model.name}{" "}
          <span className="muted model-meta">
            · {lookup(text.roles, model.role)} · {text.size(model.sizeBytes)}
          </span>
        </p>
        <p className="muted model-description">{model.description}</p>
        {model.problem !== null && model.presence === "incomplete" && <p className="model-problem">{model.problem}</p>}
      </div>
      <span className={`badge badge-${model.presence}`}>{text.presence[model.presence]}</span>
    </li>
  );
}

function Models() {
  const [models, controls] = useCommand(listModels);
  const verify = useAction();
  const adding = useAction();
  const [path, setPath] = useState("");
  const text = strings.models;
  const settingsText = strings.settings;

  const runVerify = async () => {
    const checked = await verify.run(verifyModels);
    if (checked !== undefined) controls.update(() => checked);
  };
  const add = async (event: SyntheticEvent) => {
    event.preventDefault();
    if ((await adding.run(() => importModelFile(path.trim()))) !== undefined) {
      setPath("");
      controls.refresh();
    }
  };

  return (
    <section className="card" aria-labelledby="models-heading">
      <div className="row spread">
        <h2 id="models-heading">{text.heading}</h2>
        <button type="button" className="secondary" data-testid="models-verify" disabled={verify.busy} onClick={() => void runVerify()}>
          {verify.busy ? settingsText.verifying : settingsText.verify}
        </button>
      </div>
      <p className="muted">{text.intro}</p>
      <ActionError summary={settingsText.verifyFailed} detail={verify.error} />
      <Loaded state={models} failed={text.failed} onRetry={controls.retry}>
        {(list) => (
          <>
            {!list.some((model) => model.presence === "installed") && (
              <div className="notice">
                <p>{text.noneInstalled}</p>
                <p>{text.howToInstall}</p>
                <button type="button" onClick={controls.retry}>
                  {text.retry}
                </button>
              </div>
            )}
            <ul className="models" aria-labelledby="models-heading">
              {list.map((model) => (
                <ModelRow key={model.id} model={model} />
              ))}
            </ul>
          </>
        )}
      </Loaded>
      <form className="row" onSubmit={(event) => void add(event)}>
        <input
          className="grow"
          aria-label={settingsText.importModelLabel}
          placeholder={settingsText.importModelLabel}
          data-testid="model-import-path"
          value={path}
          onChange={(event) => {
            setPath(event.target.value);
          }}
        />
        <button type="submit" className="secondary" disabled={path.trim() === "" || adding.busy}>
          {settingsText.importModelRun}
        </button>
      </form>
      <ActionError summary={settingsText.importModelFailed} detail={adding.error} />
    </section>
  );
}

function ModelSelect(props: {
  label: string;
  role: string;
  models: ModelSummary[];
  value: string;
  onChange: (id: string) => void;
  testId: string;
}) {
  const installed = props.models.filter((model) => model.role === props.role && model.presence === "installed");
  return (
    <label className="field">
      <span>{props.label}</span>
      <select
        data-testid={props.testId}
        value={props.value}
        onChange={(event) => {
          props.onChange(event.target.value);
        }}
      >
        {installed.length === 0 && props.value === "" && <option value="">{strings.settings.none}</option>}
        {props.value !== "" && !installed.some((model) => model.id === props.value) && (
          <option value={props.value}>{props.value}</option>
        )}
        {installed.map((model) => (
          <option key={model.id} value={model.id}>
            {model.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function EngineSettings() {
  const [settings, controls] = useCommand(getSettings);
  const [models] = useCommand(listModels);
  const [draft, setDraft] = useState<Settings | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const text = strings.settings;
  const modelList = models.status === "ready" ? models.value : [];

  return (
    <section className="card" aria-labelledby="engines-heading">
      <h2 id="engines-heading">{text.engines}</h2>
      <Loaded state={settings} failed={text.settingsFailed} onRetry={controls.retry}>
        {(stored) => {
          const current = draft ?? stored;
          const change = (patch: Partial<Settings>) => {
            setSaved(false);
            setDraft({ ...current, ...patch });
          };
          const save = async (event: SyntheticEvent) => {
            event.preventDefault();
            const result = await action.run(() => saveSettings(current));
            if (result !== undefined) {
              controls.update(() => result);
              setDraft(null);
              setSaved(true);
            }
          };
          return (
            <form className="settings-form" onSubmit={(event) => void save(event)}>
              <label className="field">
                <span>{text.threads}</span>
                <input
                  type="number"
                  min={1}
                  max={64}
                  data-testid="settings-threads"
                  aria-describedby="threads-hint"
                  placeholder={text.threadsDefault}
                  value={current.threads ?? ""}
                  onChange={(event) => {
                    // Empty means each engine's own default.
                    const typed = event.target.value.trim();
                    change({ threads: typed === "" ? null : Math.max(1, Math.round(Number(typed) || 1)) });
                  }}
                />
                <span id="threads-hint" className="muted small">
                  {text.threadsHint}
                </span>
              </label>
              <ModelSelect
                label={text.sttModel}
                role="stt"
                models={modelList}
                value={current.whisperModel}
                testId="settings-stt"
                onChange={(whisperModel) => {
                  change({ whisperModel });
                }}
              />
              <ModelSelect
                label={text.llmModel}
                role="llm"
                models={modelList}
                value={current.llmModel}
                testId="settings-llm"
                onChange={(llmModel) => {
                  change({ llmModel });
                }}
              />
              <ModelSelect
                label={text.voice}
                role="tts"
                models={modelList}
                value={current.voice}
                testId="settings-voice"
                onChange={(voice) => {
                  change({ voice });
                }}
              />
              <div className="row">
                <button type="submit" data-testid="settings-save" disabled={draft === null || action.busy}>
                  {strings.save}
                </button>
                {saved && (
                  <span className="ok-text small" role="status">
                    {text.saved}
                  </span>
                )}
              </div>
              <ActionError summary={text.saveFailed} detail={action.error} />
            </form>
          );
        }}
      </Loaded>
    </section>
  );
}

function Installation() {
  const [info, controls] = useCommand(getAppInfo);
  const text = strings.installation;
  return (
    <section className="card" aria-labelledby="installation-heading">
      <h2 id="installation-heading">{text.heading}</h2>
      <Loaded state={info} failed={text.failed} onRetry={controls.retry}>
        {(value) => (
          <dl className="facts">
            <dt>{text.version}</dt>
            <dd>{value.version}</dd>
            <dt>{text.dataDir}</dt>
            <dd>
              <code>{value.dataDir}</code>
            </dd>
            <dt>{text.modelsDir}</dt>
            <dd>
              <code>{value.modelsDir}</code>
            </dd>
          </dl>
        )}
      </Loaded>
    </section>
  );
}

function DiagnosticsCard() {
  const [diagnostics, controls] = useCommand(getDiagnostics);
  const text = strings.settings;
  return (
    <section className="card" aria-labelledby="diagnostics-heading">
      <h2 id="diagnostics-heading">{text.diagnostics}</h2>
      <Loaded state={diagnostics} failed={text.diagnosticsFailed} onRetry={controls.retry}>
        {(value) => (
          <>
            <dl className="facts">
              <dt>{strings.installation.version}</dt>
              <dd>{value.app.version}</dd>
              <dt>{text.os}</dt>
              <dd>{value.platform}</dd>
              <dt>{text.profile}</dt>
              <dd>{value.profile}</dd>
              <dt>{text.jobRunner}</dt>
              <dd>{value.jobRunner}</dd>
              <dt>{text.workers}</dt>
              <dd>
                <ul className="plain-list">
                  {value.workers.map((worker) => (
                    <li key={worker.name}>
                      {worker.name}:{" "}
                      {worker.found ? <code>{worker.path}</code> : <span className="error-text">{text.workerMissing}</span>}
                    </li>
                  ))}
                </ul>
              </dd>
            </dl>
            <details>
              <summary>{text.logTail}</summary>
              <pre className="log-tail" data-testid="log-tail">
                {value.logLines.join("\n")}
              </pre>
            </details>
          </>
        )}
      </Loaded>
    </section>
  );
}

/** Profiles, models, engine settings, the installation and diagnostics. */
export function SettingsPage() {
  return (
    <>
      <header className="page-header">
        <h1>{strings.settings.heading}</h1>
        <p className="muted small">{strings.offline}</p>
      </header>
      <Profiles />
      <EngineSettings />
      <Models />
      <Installation />
      <DiagnosticsCard />
    </>
  );
}
