// The app's processes as Linux shows them in /proc: which process is the app, which are its
// WebKit helpers, and how much memory each holds.

import { readdirSync, readFileSync } from "node:fs";

/** `{ pid, ppid, name }` for every process we can read now. */
function allProcesses() {
  const processes = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The name is in parentheses and may contain spaces: ppid is the 2nd field after it.
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      processes.push({ pid: Number(entry), ppid, name });
    } catch {
      // the process ended while we looked
    }
  }
  return processes;
}

/** Every process below `rootPid` (children, grandchildren, ...), `rootPid` not included. */
export function descendants(rootPid) {
  const processes = allProcesses();
  const found = [];
  let frontier = [rootPid];
  while (frontier.length > 0) {
    const children = processes.filter((p) => frontier.includes(p.ppid));
    found.push(...children);
    frontier = children.map((p) => p.pid);
  }
  return found;
}

/** The kernel's `comm` is cut to 15 characters: "little-monster" fits. */
const APP_NAME = "little-monster";

/**
 * The app process started (through WebKitWebDriver) by the tauri-driver with pid `driverPid`,
 * and the processes the app started in turn (WebKit's web and network processes, workers).
 */
export function appProcessTree(driverPid) {
  const app = descendants(driverPid).find((p) => p.name === APP_NAME);
  if (!app) throw new Error(`no ${APP_NAME} process below tauri-driver (pid ${driverPid})`);
  return { app, helpers: descendants(app.pid) };
}

/**
 * Memory of one process in MB: `rss` (VmRSS, what `ps` shows) and `pss` (proportional set size:
 * shared pages split between the processes sharing them, so PSS values can be summed).
 */
export function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  let pssKb = NaN;
  try {
    pssKb = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? NaN);
  } catch {
    // smaps_rollup needs the same user; RSS alone is still reported
  }
  return { rss: rssKb / 1024, pss: pssKb / 1024 };
}

/** Which part of the process a mapping belongs to, for the idle memory breakdown. */
const RSS_PARTS = [
  // Mesa's GL driver: under Xvfb that is llvmpipe (swrast_dri.so), which pulls in all of LLVM.
  ["GL driver (Mesa, LLVM)", /\/dri\/|libLLVM|libgallium|libGLX_mesa|libglapi|libEGL_mesa/],
  ["WebKitGTK + JavaScriptCore", /libwebkit2gtk|libjavascriptcoregtk|WebKit/],
  ["app binary", /\/little-monster$/],
  ["heap and anonymous", /^\[heap\]$|^\[anon\]$|^\[stack/],
];

/**
 * The app's resident memory split by what holds it (MB per part of `RSS_PARTS`, the rest as
 * "other libraries"), read from /proc/PID/smaps: says how much of the RSS is ours.
 */
export function rssBreakdownMb(pid) {
  const parts = Object.fromEntries([...RSS_PARTS.map(([name]) => [name, 0]), ["other libraries", 0]]);
  let part = "other libraries";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const path = header[1] || "[anon]";
      part = RSS_PARTS.find(([, pattern]) => pattern.test(path))?.[0] ?? "other libraries";
    } else if (line.startsWith("Rss:")) {
      parts[part] += Number(line.split(/\s+/)[1]) / 1024;
    }
  }
  return parts;
}
