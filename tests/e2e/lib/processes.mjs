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
