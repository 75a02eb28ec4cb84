// Starts the real Little Monster app under tauri-driver and hands the tests a WebDriver session.
//
// scripts/e2e sets the environment this module reads (it also runs Xvfb and a D-Bus session):
//   LM_APP                  the app binary (debug build with the UI embedded)
//   LM_TAURI_DRIVER         the tauri-driver binary
//   LM_E2E_WORK             a scratch folder for data dirs and fixtures (deleted after the run)
//   LM_E2E_OUTPUT           where screenshots go (tests/e2e/output by default)
//   LITTLEMONSTER_WORKER_DIR, LITTLEMONSTER_MODELS_DIR   passed through to the app
//
// Each launch gets its own tauri-driver process, because the app reads LITTLEMONSTER_DATA_DIR
// from its environment and WebDriver capabilities cannot set one: a fresh driver per app is how
// every test gets a fresh data dir.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Builder, By, until } from "selenium-webdriver";
import { appProcessTree } from "./processes.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** The folder screenshots are written to. */
export const outputDir = resolve(process.env.LM_E2E_OUTPUT ?? join(here, "..", "output"));

/** The README screenshots (copied to docs/screenshots by scripts/e2e). */
export const readmeDir = join(outputDir, "readme");

/** Window size of every session, so screenshots are comparable: the README's 1280x800. */
export const WINDOW = { width: 1280, height: 800 };

/** Reads a required environment variable or fails with a message that says who sets it. */
export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the end-to-end tests through scripts/e2e`);
  }
  return value;
}

/** A new empty folder under the run's scratch folder. */
export function scratchDir(prefix) {
  const root = process.env.LM_E2E_WORK ?? tmpdir();
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, `${prefix}-`));
}

/** A TCP port nobody listens on right now. */
async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Waits until tauri-driver answers its status endpoint. */
async function waitForDriver(port, driverProcess, log) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (driverProcess.exitCode !== null) {
      throw new Error(`tauri-driver exited with ${driverProcess.exitCode}:\n${log.join("")}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on port ${port} within 20 s:\n${log.join("")}`);
}

/** Whether process `pid` ends within `timeoutMs`. */
async function exits(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts the app with a fresh (or the given) data dir and returns a handle:
 * `{ driver, dataDir, driverPid, spawnedAt, close() }`. `spawnedAt` is the wall-clock time
 * (ms since the epoch) just before the session that spawns the app was requested.
 */
export async function launchApp({ dataDir = scratchDir("data"), env = {} } = {}) {
  const app = requireEnv("LM_APP");
  const tauriDriver = requireEnv("LM_TAURI_DRIVER");
  const port = await freePort();
  const nativePort = await freePort();
  const log = [];
  const driverProcess = spawn(tauriDriver, ["--port", String(port), "--native-port", String(nativePort)], {
    env: { ...process.env, LITTLEMONSTER_DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  driverProcess.stdout.on("data", (chunk) => log.push(chunk.toString()));
  driverProcess.stderr.on("data", (chunk) => log.push(chunk.toString()));
  let driver;
  try {
    await waitForDriver(port, driverProcess, log);
    const spawnedAt = Date.now();
    driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}/`)
      .withCapabilities({ browserName: "wry", "tauri:options": { application: app } })
      .build();
    await driver.manage().setTimeouts({ script: 180_000 });
    await driver.manage().window().setRect(WINDOW);
    const appPid = appProcessTree(driverProcess.pid).app.pid;
    const handle = {
      driver,
      dataDir,
      driverPid: driverProcess.pid,
      spawnedAt,
      /** What tauri-driver, WebKitWebDriver and the app wrote to stdout/stderr so far. */
      log: () => log.join(""),
      async close() {
        try {
          await driver.quit();
        } finally {
          driverProcess.kill("SIGTERM");
          // Ending the session closes the window, which ends the app. An app that outlives it
          // would keep the test process waiting on the output pipe it inherited: end it.
          if (!(await exits(appPid, 10_000))) {
            console.error(`the app (pid ${appPid}) still ran 10 s after its session ended: killed`);
            process.kill(appPid, "SIGKILL");
          }
        }
      },
    };
    return handle;
  } catch (error) {
    if (driver) await driver.quit().catch(() => {});
    driverProcess.kill("SIGTERM");
    error.message += `\n--- tauri-driver / app output ---\n${log.join("")}`;
    throw error;
  }
}

/** A CSS selector for a `data-testid`. */
export function testId(id) {
  return By.css(`[data-testid="${id}"]`);
}

/** Waits for the element with this test id to exist and be visible, and returns it. */
export async function waitForTestId(driver, id, timeoutMs = 15_000) {
  const element = await driver.wait(
    until.elementLocated(testId(id)),
    timeoutMs,
    `no element with data-testid="${id}" appeared within ${timeoutMs} ms`,
  );
  await driver.wait(until.elementIsVisible(element), timeoutMs, `data-testid="${id}" is not visible`);
  return element;
}

/** Every element with this test id, now. */
export async function allByTestId(driver, id) {
  return driver.findElements(testId(id));
}

/** Waits until `condition()` returns a truthy value and returns it; fails with `message`. */
export async function waitFor(driver, condition, timeoutMs, message) {
  return driver.wait(condition, timeoutMs, message);
}

/**
 * Calls a shell command the way the UI does (`window.__TAURI_INTERNALS__.invoke`) and returns
 * its result; a rejected command throws an error carrying the command's `CommandError`.
 */
export async function invoke(driver, command, args = {}) {
  const outcome = await driver.executeAsyncScript(
    `const [command, args, done] = arguments;
     window.__TAURI_INTERNALS__.invoke(command, args).then(
       (value) => done({ ok: true, value: value === undefined ? null : value }),
       (error) => done({ ok: false, error }));`,
    command,
    args,
  );
  if (!outcome.ok) {
    const detail = typeof outcome.error === "string" ? outcome.error : JSON.stringify(outcome.error);
    const error = new Error(`command ${command} failed: ${detail}`);
    error.commandError = outcome.error;
    throw error;
  }
  return outcome.value;
}

/**
 * Saves a PNG of the window as output/<name>.png; with `readme: true` also as
 * output/readme/<name>.png, which scripts/e2e copies to docs/screenshots/.
 */
export async function screenshot(driver, name, { readme = false } = {}) {
  const png = Buffer.from(await driver.takeScreenshot(), "base64");
  mkdirSync(outputDir, { recursive: true });
  const path = join(outputDir, `${name}.png`);
  writeFileSync(path, png);
  if (readme) {
    mkdirSync(readmeDir, { recursive: true });
    writeFileSync(join(readmeDir, `${name}.png`), png);
  }
  return path;
}

/**
 * Runs `body(app)` against a freshly launched app and always closes it; on failure a screenshot
 * `<name>-failed.png` and the app's output are attached to the error.
 */
export async function withApp(name, body, options = {}) {
  const app = await launchApp(options);
  try {
    await body(app);
  } catch (error) {
    try {
      const path = await screenshot(app.driver, `${name}-failed`);
      error.message += `\n(screenshot of the failure: ${path})`;
    } catch {
      // the window may be gone; the error itself matters more
    }
    error.message += `\n--- tauri-driver / app output (last 4000 chars) ---\n${app.log().slice(-4000)}`;
    throw error;
  } finally {
    await app.close();
  }
}
