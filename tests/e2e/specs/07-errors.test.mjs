// (g) Errors from the core reach the window as clear, specific messages, and the app stays
// usable: a bad file in an import batch, a missing model, and a worker killed mid-answer.

import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Key } from "selenium-webdriver";
import { allByTestId, scratchDir, screenshot, testId, waitFor, waitForTestId, withApp } from "../lib/app.mjs";
import { HANDOUT, SEEDED_CLASS, seededDataDir, writePdf } from "../lib/fixtures.mjs";
import { appProcessTree } from "../lib/processes.mjs";
import { click, onboard, openClass, renderedText, texts, type, waitForItemWithText } from "../lib/ui.mjs";

/** Waits for an alert in the window whose text matches `pattern`; returns its text. */
async function waitForAlert(driver, pattern, timeoutMs) {
  let seen = [];
  try {
    return await waitFor(
      driver,
      async () => {
        seen = await Promise.all(
          (await driver.findElements({ css: '[role="alert"]' })).map((element) => renderedText(driver, element)),
        );
        return seen.find((text) => pattern.test(text)) ?? null;
      },
      timeoutMs,
    );
  } catch (error) {
    error.message = `no alert matching ${pattern} within ${timeoutMs} ms; alerts seen: ${JSON.stringify(seen)}`;
    throw error;
  }
}

test("a bad file fails alone in its batch, with a message naming the problem", { timeout: 120_000 }, async () => {
  const dir = scratchDir("bad-files");
  // A PDF renamed .mp3, an empty "PDF", and a good Markdown note in one batch.
  const handout = writePdf(join(dir, "handout.pdf"), HANDOUT.title, HANDOUT.pages);
  const misnamed = join(dir, "lecture 3.mp3");
  copyFileSync(handout, misnamed);
  const empty = join(dir, "empty.pdf");
  writeFileSync(empty, "");
  const notes = join(dir, "revision notes.md");
  writeFileSync(notes, "# Revision notes\n\nOsmosis moves water across a membrane.\n");

  await withApp("import-errors", async ({ driver }) => {
    await onboard(driver, "Ada", "Biology");
    await openClass(driver, "Biology");
    await click(driver, "import-button");
    const input = await type(driver, "import-paths-input", misnamed);
    await input.sendKeys(Key.ENTER, empty, Key.ENTER, notes);
    await click(driver, "import-paths-run");
    await waitForTestId(driver, "import-result", 60_000);
    const rows = await allByTestId(driver, "import-result");
    const statuses = await Promise.all(rows.map((row) => row.getAttribute("data-status")));
    const rowTexts = await texts(driver, "import-result");
    assert.deepEqual(statuses, ["failed", "failed", "imported"], `per-file results: ${JSON.stringify(rowTexts)}`);
    // Each failure says which file and what is wrong with it, in words a student understands.
    assert.match(rowTexts[0], /lecture 3\.mp3/, rowTexts[0]);
    assert.match(rowTexts[0], /PDF/i, `the misnamed file is recognised as a PDF: ${rowTexts[0]}`);
    assert.match(rowTexts[1], /empty\.pdf/, rowTexts[1]);
    assert.match(rowTexts[1], /empty|0 bytes|no data/i, `the empty file is called empty: ${rowTexts[1]}`);
    await screenshot(driver, "import-errors", { readme: true });

    // The good file of the batch was imported, and the window goes on working.
    await click(driver, "tab-documents");
    await waitForItemWithText(driver, "document-row", "revision notes");
    assert.equal((await driver.findElements(testId("lecture-row"))).length, 0, "no lecture was made of the bad files");
  });
});

test("a missing model is named in the window, and the rest of the app works", { timeout: 180_000 }, async () => {
  // A models folder without any model: what a student sees before scripts/fetch-models ran.
  const noModels = scratchDir("no-models");
  mkdirSync(noModels, { recursive: true });
  await withApp(
    "missing-model",
    async ({ driver }) => {
      await openClass(driver, SEEDED_CLASS, "chat");
      await type(driver, "chat-input", "What do the mitochondria produce?");
      await click(driver, "chat-send");
      const alert = await waitForAlert(driver, /model/i, 60_000);
      assert.match(alert, /fetch-models|Settings|install/i, `the message says how to get the model: ${alert}`);
      await screenshot(driver, "missing-model");

      // Everything that needs no model still works: the lecture's transcript opens.
      await click(driver, "tab-lectures");
      const row = await waitForItemWithText(driver, "lecture-row", "cell");
      await (await row.findElement({ css: "button.item-link" })).click();
      await waitForItemWithText(driver, "transcript-segment", "mitochondria", 30_000);
    },
    { dataDir: seededDataDir(), env: { LITTLEMONSTER_MODELS_DIR: noModels } },
  );
});

test("a worker killed mid-answer is reported, and the next question is answered", { timeout: 420_000 }, async () => {
  await withApp(
    "worker-crash",
    async ({ driver, driverPid }) => {
      await openClass(driver, SEEDED_CLASS, "chat");
      await type(driver, "chat-input", "What do the mitochondria produce?");
      await click(driver, "chat-send");
      // Wait until the answer streams, so the language model worker is mid-request, then kill it
      // as a crash (or the kernel's out-of-memory killer) would.
      const streaming = await waitForTestId(driver, "chat-streaming", 30_000);
      const thinking = await renderedText(driver, streaming);
      await waitFor(
        driver,
        async () => (await renderedText(driver, streaming).catch(() => thinking)) !== thinking,
        240_000,
        "no answer tokens streamed",
      );
      const worker = appProcessTree(driverPid).helpers.find((p) => p.name === "lm-llm-worker");
      assert.ok(worker, "the language model runs in its own worker process");
      process.kill(worker.pid, "SIGKILL");

      const alert = await waitForAlert(driver, /worker|model/i, 60_000);
      assert.match(alert, /crash|stopped|killed|signal/i, `the message says the worker stopped: ${alert}`);
      assert.doesNotMatch(alert, /last worker output/, `the window shows a sentence, not the worker's log: ${alert}`);
      await screenshot(driver, "worker-crash");

      // The app survived, and the next question starts a fresh worker and gets its answer.
      await type(driver, "chat-input", "What does the nucleus hold?");
      await click(driver, "chat-send");
      await waitFor(
        driver,
        async () => (await driver.findElements(testId("chat-streaming"))).length === 0,
        300_000,
        "the second answer did not finish",
      );
      const answers = await driver.findElements({ css: '[data-testid="chat-messages"] .message-assistant' });
      assert.ok(answers.length >= 1, "the second question was answered");
      const last = await renderedText(driver, answers[answers.length - 1]);
      assert.ok(last.trim().length > 0, "the answer has text");
    },
    { dataDir: seededDataDir() },
  );
});
