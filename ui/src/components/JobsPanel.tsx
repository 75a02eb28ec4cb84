import type { JobSummary } from "../api";
import { isActive, jobTitle, useJobs } from "../app/jobs";
import { lookup, strings } from "../strings";
import { useAction } from "../useCommand";
import { ErrorText, Loaded, Progress } from "./common";

function JobRow({ job }: { job: JobSummary }) {
  const jobs = useJobs();
  const action = useAction();
  const text = strings.jobs;
  const active = isActive(job);
  const title = jobTitle(job);
  return (
    <li className={`job job-${job.status}`} data-testid="job-row" data-job-id={job.id} data-status={job.status}>
      <div className="row spread">
        <span className="job-title">{title}</span>
        <span className={`badge badge-job-${job.status}`}>{lookup(text.status, job.status)}</span>
      </div>
      {active && <Progress percent={job.percent} label={title} />}
      {(job.message !== null || active) && (
        <p className="muted small">
          {job.message}
          {active && ` ${String(Math.round(job.percent))} %`}
        </p>
      )}
      {job.error !== null && <p className="error-text">{job.error}</p>}
      <div className="row">
        {active && (
          <button
            type="button"
            className="secondary small"
            data-testid="job-cancel"
            aria-label={text.cancelLabel(title)}
            disabled={action.busy}
            onClick={() => void action.run(() => jobs.cancel(job.id))}
          >
            {text.cancel}
          </button>
        )}
        {(job.status === "failed" || job.status === "cancelled") && (
          <button
            type="button"
            className="secondary small"
            data-testid="job-retry"
            aria-label={text.retryLabel(title)}
            disabled={action.busy}
            onClick={() => void action.run(() => jobs.retry(job.id))}
          >
            {text.retry}
          </button>
        )}
      </div>
      <ErrorText message={action.error} />
    </li>
  );
}

/** Everything queued or running, and the last finished jobs, live from `job-progress`. */
export function JobsPanel({ onClose }: { onClose: () => void }) {
  const jobs = useJobs();
  return (
    <aside id="jobs-panel" className="jobs-panel" aria-labelledby="jobs-heading" data-testid="jobs-panel">
      <div className="row spread">
        <h2 id="jobs-heading">{strings.jobs.heading}</h2>
        <button type="button" className="icon-button" aria-label={strings.jobs.close} onClick={onClose}>
          ×
        </button>
      </div>
      <Loaded state={jobs.state} failed={strings.jobs.loadFailed} onRetry={jobs.retryLoad}>
        {(list) =>
          list.length === 0 ? (
            <p className="muted">{strings.jobs.empty}</p>
          ) : (
            <ul className="jobs">
              {list.map((job) => (
                <JobRow key={job.id} job={job} />
              ))}
            </ul>
          )
        }
      </Loaded>
    </aside>
  );
}
