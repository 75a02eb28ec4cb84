import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { cancelJob, listJobs, onJobProgress, retryJob, type JobSummary } from "../api";
import { lookup, strings } from "../strings";
import { useCommand, useEvent, type Loadable } from "../useCommand";

/** The jobs the app knows of, kept current by `job-progress` events. */
export interface Jobs {
  state: Loadable<JobSummary[]>;
  /** Jobs by id, for looking up an import's job. */
  byId: ReadonlyMap<string, JobSummary>;
  retryLoad: () => void;
  cancel: (jobId: string) => Promise<null>;
  retry: (jobId: string) => Promise<null>;
}

const JobsContext = createContext<Jobs | null>(null);

/** Whether a job is still to run or running. */
export function isActive(job: JobSummary): boolean {
  return job.status === "queued" || job.status === "running";
}

/** Loads the job list once and merges every `job-progress` event into it. */
export function JobsProvider({ children }: { children: ReactNode }) {
  const [loaded, controls] = useCommand(listJobs);
  // Events that arrive before (or after) the list loads are kept here and win over the list.
  const [updates, setUpdates] = useState<ReadonlyMap<string, JobSummary>>(new Map());

  // What screen readers hear: a job starting, finishing or failing, not every percent.
  const [announcement, setAnnouncement] = useState("");
  const known = useRef<ReadonlyMap<string, JobSummary>>(new Map());

  useEvent(onJobProgress, (job) => {
    if (known.current.get(job.id)?.status !== job.status) setAnnouncement(announce(job));
    setUpdates((old) => new Map(old).set(job.id, job));
  });

  // The newer of the listed and the pushed version of each job wins.
  const byId = useMemo(() => {
    const merged = new Map<string, JobSummary>(loaded.status === "ready" ? loaded.value.map((job) => [job.id, job]) : []);
    for (const [id, job] of updates) {
      const listed = merged.get(id);
      if (listed === undefined || job.updatedAt >= listed.updatedAt) merged.set(id, job);
    }
    return merged;
  }, [loaded, updates]);

  useEffect(() => {
    known.current = byId;
  }, [byId]);

  const state = useMemo<Loadable<JobSummary[]>>(() => {
    if (loaded.status !== "ready") return loaded;
    // Active work first, then the most recently changed.
    const value = [...byId.values()].sort(
      (a, b) => Number(isActive(b)) - Number(isActive(a)) || b.updatedAt - a.updatedAt,
    );
    return { status: "ready", value };
  }, [loaded, byId]);

  const { retry: retryLoad, refresh } = controls;
  const cancel = useCallback(
    async (jobId: string) => {
      const result = await cancelJob(jobId);
      refresh();
      return result;
    },
    [refresh],
  );
  const retry = useCallback(
    async (jobId: string) => {
      const result = await retryJob(jobId);
      refresh();
      return result;
    },
    [refresh],
  );

  const value = useMemo(() => ({ state, byId, retryLoad, cancel, retry }), [state, byId, retryLoad, cancel, retry]);
  return (
    <JobsContext.Provider value={value}>
      {children}
      {/* A live region, not role=status: the app's other status lines stay the only "status". */}
      <p aria-live="polite" aria-atomic="true" className="visually-hidden" data-testid="job-announcer">
        {announcement}
      </p>
    </JobsContext.Provider>
  );
}

/** The app's jobs; only inside `JobsProvider`. */
export function useJobs(): Jobs {
  const jobs = useContext(JobsContext);
  if (jobs === null) throw new Error("useJobs outside JobsProvider");
  return jobs;
}

/** A job's title for people: what it does and to what. */
export function jobTitle(job: JobSummary): string {
  return strings.jobs.title(job.kind, job.subject);
}

/** "Transcribing · Cells: Done", and why, for a failure. */
function announce(job: JobSummary): string {
  const said = `${jobTitle(job)}: ${lookup(strings.jobs.status, job.status)}`;
  return job.status === "failed" && job.error !== null ? `${said}. ${job.error}` : said;
}

/** How many jobs are queued or running. */
export function activeJobCount(jobs: Jobs): number {
  return jobs.state.status === "ready" ? jobs.state.value.filter(isActive).length : 0;
}
