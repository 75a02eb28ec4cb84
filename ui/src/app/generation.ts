import { useCallback, useEffect, useRef, useState } from "react";
import { describeError } from "../api";
import { useJobs } from "./jobs";

/**
 * Starts a generation job (notes, quiz, cards) and calls `onFinished` once its job is done,
 * so the list it fills refreshes. Progress itself is shown in the Jobs panel; nothing blocks.
 */
export function useGeneration(onFinished: () => void) {
  const jobs = useJobs();
  const [jobId, setJobId] = useState<string | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const notified = useRef<string | null>(null);
  const job = jobId === null ? undefined : jobs.byId.get(jobId);
  const status = job?.status;
  const finished = status === "done" || status === "failed" || status === "cancelled";

  useEffect(() => {
    if (status === "done" && jobId !== null && notified.current !== jobId) {
      notified.current = jobId;
      onFinished();
    }
  }, [status, jobId, onFinished]);

  const start = useCallback(async (call: () => Promise<string>) => {
    setStartError(null);
    try {
      setJobId(await call());
    } catch (failure: unknown) {
      setStartError(describeError(failure));
    }
  }, []);

  const jobError = status === "failed" ? (job?.error ?? null) : null;
  return { running: jobId !== null && !finished, error: startError ?? jobError, start };
}
