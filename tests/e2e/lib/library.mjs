// Library set-up and waiting through the app's own commands (docs/ipc.md), for steps that are
// not what a test is about.

import { invoke } from "./app.mjs";

/** Job states that mean "not finished yet" (lm_core::store::JobStatus, serialised). */
const ACTIVE_JOB = new Set(["queued", "running"]);

/** The active profile, created as `profileName` when the data dir has none. */
export async function ensureProfile(driver, profileName = "E2E Student") {
  const profiles = await invoke(driver, "list_profiles");
  return profiles.find((p) => p.active) ?? profiles[0] ?? invoke(driver, "create_profile", { name: profileName });
}

/** The class called `name` (created if missing), in the active profile. */
export async function ensureClass(driver, name) {
  await ensureProfile(driver);
  const classes = await invoke(driver, "list_classes");
  return classes.find((c) => c.name === name) ?? invoke(driver, "create_class", { name });
}

/** The class called `name` as `list_classes` reports it; fails when there is none. */
export async function classNamed(driver, name) {
  const classes = await invoke(driver, "list_classes");
  const found = classes.find((c) => c.name === name);
  if (!found) throw new Error(`no class "${name}" in list_classes: ${JSON.stringify(classes)}`);
  return found;
}

/**
 * Polls `list_jobs` until no job is queued or running, and returns the jobs. With `kind`, also
 * until a job of that kind (`quiz`, `flashcards`, ...) is listed: a button that starts a job
 * returns before the job is queued, and an empty queue then does not mean it finished. Fails
 * when a job failed or when `timeoutMs` passes (the error lists the jobs as they were).
 */
export async function waitForJobs(driver, timeoutMs, { allowFailed = false, kind } = {}) {
  const deadline = Date.now() + timeoutMs;
  let jobs = [];
  for (;;) {
    jobs = await invoke(driver, "list_jobs");
    const failed = jobs.filter((job) => job.status === "failed");
    if (failed.length > 0 && !allowFailed) {
      throw new Error(`jobs failed: ${JSON.stringify(failed)}`);
    }
    const started = kind === undefined || jobs.some((job) => job.kind === kind);
    if (started && !jobs.some((job) => ACTIVE_JOB.has(job.status))) return jobs;
    if (Date.now() > deadline) {
      throw new Error(`jobs still running after ${timeoutMs} ms: ${JSON.stringify(jobs)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
