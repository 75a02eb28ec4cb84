// scripts/bench's `app` section, run by `scripts/e2e --bench` (Xvfb, D-Bus and tauri-driver set up):
//   1. cold start: from requesting the WebDriver session that spawns the app until the UI is
//      ready (the UI's `performance.mark("lm-ready")` when it sets one, else the first render
//      of #root), over several launches with fresh data dirs;
//   2. idle memory after start: the app process's RSS/PSS (goal RSS <= 150 MB, no model loaded),
//      and WebKit's helper processes summed separately;
//   3. UI responsiveness while a lecture is transcribed: the longest gap between
//      requestAnimationFrame callbacks in the webview (goal: none > 100 ms), plus long tasks
//      where WebKit reports them.
// Usage (through scripts/e2e): node bench.mjs [--runs N] [--lecture-seconds S]

import { parseArgs } from "node:util";
import { invoke, launchApp, scratchDir } from "./lib/app.mjs";
import { LECTURE, speakLecture } from "./lib/fixtures.mjs";
import { ensureClass, waitForJobs } from "./lib/library.mjs";
import { appProcessTree, memoryMb, rssBreakdownMb } from "./lib/processes.mjs";

const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "lecture-seconds": { type: "string", default: "60" },
  },
});
const runs = Number(options.runs);
const lectureSeconds = Number(options["lecture-seconds"]);

const READY_MARK = "lm-ready";

/**
 * Resolves in the page when the UI is ready, with the epoch time it became ready and how that
 * was decided. Checked every animation frame, so it is late by at most one frame.
 */
const WAIT_FOR_READY = `
  const [markName, done] = arguments;
  const started = performance.now();
  const check = () => {
    const mark = performance.getEntriesByName(markName, "mark")[0];
    if (mark) return done({ readyAt: performance.timeOrigin + mark.startTime, by: "mark " + markName });
    const root = document.getElementById("root");
    const rendered = root !== null && root.childElementCount > 0;
    if (rendered && window.__lmFirstRender === undefined) {
      window.__lmFirstRender = performance.timeOrigin + performance.now();
    }
    if (rendered && performance.now() - started > 2000) {
      // No mark after 2 s of rendered UI: the UI sets none. First contentful paint is exact where
      // WebKit reports it; else the first render this check saw (late when it came after it).
      const paint = performance.getEntriesByName("first-contentful-paint")[0];
      if (paint) return done({ readyAt: performance.timeOrigin + paint.startTime, by: "first contentful paint (UI sets no mark)" });
      return done({ readyAt: window.__lmFirstRender, by: "first render of #root seen (UI sets no mark; an upper bound)" });
    }
    requestAnimationFrame(check);
  };
  check();`;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const mb = (value) => `${value.toFixed(1)} MB`;

async function coldStartAndMemory() {
  const starts = [];
  let memory = null;
  for (let run = 1; run <= runs; run += 1) {
    const app = await launchApp();
    try {
      const ready = await app.driver.executeAsyncScript(WAIT_FOR_READY, READY_MARK);
      const navigation = await app.driver.executeScript(
        `const n = performance.getEntriesByType("navigation")[0];
         return { timeOrigin: performance.timeOrigin, domContentLoaded: n ? n.domContentLoadedEventEnd : null };`,
      );
      const total = ready.readyAt - app.spawnedAt;
      starts.push(total);
      console.log(
        `cold start ${run}/${runs}: ${total.toFixed(0)} ms to ready (${ready.by}); ` +
          `spawn -> page load start ${(navigation.timeOrigin - app.spawnedAt).toFixed(0)} ms, ` +
          `DOMContentLoaded at +${navigation.domContentLoaded?.toFixed(0)} ms`,
      );
      if (run === runs) {
        // Idle: nothing loaded, nothing running. Let start-up work settle before measuring.
        await new Promise((r) => setTimeout(r, 10_000));
        const { app: appProcess, helpers } = appProcessTree(app.driverPid);
        const own = memoryMb(appProcess.pid);
        const helperMemory = helpers.map((p) => ({ name: p.name, ...memoryMb(p.pid) }));
        const sum = (key) => helperMemory.reduce((total, p) => total + p[key], 0);
        const breakdown = rssBreakdownMb(appProcess.pid);
        memory = { app: own, breakdown, helpers: helperMemory, helpersRss: sum("rss"), helpersPss: sum("pss") };
        console.log(
          `idle memory 10 s after ready: app process RSS ${mb(own.rss)} (PSS ${mb(own.pss)}; goal RSS <= 150 MB: ` +
            `${own.rss <= 150 ? "met" : "missed"})`,
        );
        console.log(
          `  of which: ${Object.entries(breakdown).map(([part, size]) => `${part} ${mb(size)}`).join(", ")}`,
        );
        console.log(
          `  WebKit and other child processes, separately: RSS sum ${mb(memory.helpersRss)}, PSS sum ` +
            `${mb(memory.helpersPss)} (${helperMemory.map((p) => `${p.name} ${mb(p.rss)}`).join(", ")})`,
        );
      }
    } finally {
      await app.close();
    }
  }
  console.log(
    `cold start to ready: best ${Math.min(...starts).toFixed(0)} ms, median ${median(starts).toFixed(0)} ms over ${runs} launches`,
  );
  return { coldStartMs: starts, memory };
}

/** Installs the frame monitor in the page: rAF gaps, and long tasks where WebKit has them. */
const START_FRAME_MONITOR = `
  const stats = { frames: 0, maxGapMs: 0, over50: 0, over100: 0, longTasks: [], running: true,
    longTaskObserver: PerformanceObserver.supportedEntryTypes?.includes("longtask") ?? false };
  window.__lmFrames = stats;
  // Gaps are measured between callbacks; the wait for the first one is not a frame.
  let last = null;
  const tick = (now) => {
    if (!stats.running) return;
    if (last === null) {
      last = now;
      requestAnimationFrame(tick);
      return;
    }
    const gap = now - last;
    last = now;
    stats.frames += 1;
    stats.maxGapMs = Math.max(stats.maxGapMs, gap);
    if (gap > 50) stats.over50 += 1;
    if (gap > 100) stats.over100 += 1;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  if (stats.longTaskObserver) {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) stats.longTasks.push(Math.round(entry.duration));
    }).observe({ type: "longtask" });
  }`;

const READ_FRAME_MONITOR = `
  const stats = window.__lmFrames;
  stats.running = false;
  return stats;`;

async function responsivenessDuringTranscription() {
  const material = scratchDir("bench-material");
  // Repeat the lecture's sentences up to the wanted length (espeak: about 15 words/6 s).
  const sentences = [];
  while (sentences.join(" ").split(" ").length < (lectureSeconds * 150) / 60) sentences.push(...LECTURE.sentences);
  const wav = speakLecture(material, "bench-lecture", sentences);
  const app = await launchApp();
  try {
    await app.driver.executeAsyncScript(WAIT_FOR_READY, READY_MARK);
    const benchClass = await ensureClass(app.driver, "Bench");

    await app.driver.executeScript(START_FRAME_MONITOR);
    await new Promise((r) => setTimeout(r, 3000));
    const idle = await app.driver.executeScript(READ_FRAME_MONITOR);

    await app.driver.executeScript(START_FRAME_MONITOR);
    const started = Date.now();
    await invoke(app.driver, "import_paths", { classId: benchClass.id, paths: [wav.path] });
    const jobs = await waitForJobs(app.driver, 600_000);
    const busy = await app.driver.executeScript(READ_FRAME_MONITOR);
    const seconds = (Date.now() - started) / 1000;

    const describe = (s) =>
      `${s.frames} frames, longest gap ${s.maxGapMs.toFixed(0)} ms, ${s.over50} gaps > 50 ms, ${s.over100} > 100 ms` +
      (s.longTaskObserver ? `, long tasks ${JSON.stringify(s.longTasks)}` : " (WebKit reports no long tasks)");
    console.log(`frames while idle (3 s): ${describe(idle)}`);
    console.log(
      `frames while importing a ${wav.durationSeconds.toFixed(0)} s lecture (${seconds.toFixed(0)} s, jobs: ` +
        `${jobs.map((j) => `${j.kind ?? j.type ?? "job"} ${j.status}`).join(", ")}): ${describe(busy)}`,
    );
    console.log(`no blocked frame > 100 ms during transcription (goal): ${busy.over100 === 0 ? "met" : "missed"}`);
    return { idleFrames: idle, transcriptionFrames: busy, lectureSeconds: wav.durationSeconds, importSeconds: seconds };
  } finally {
    await app.close();
  }
}

const result = { ...(await coldStartAndMemory()) };
try {
  Object.assign(result, await responsivenessDuringTranscription());
} catch (error) {
  console.log(`responsiveness during transcription: could not be measured: ${error.message.split("\n")[0]}`);
  result.responsivenessError = error.message.split("\n")[0];
  process.exitCode = 1;
}
console.log(JSON.stringify(result));
