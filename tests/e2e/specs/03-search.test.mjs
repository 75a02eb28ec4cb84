// (c) Search a phrase of the lecture and open the hit: the player stands at the second where the
// phrase is spoken.

import assert from "node:assert/strict";
import { test } from "node:test";
import { By } from "selenium-webdriver";
import { invoke, screenshot, waitFor, waitForTestId } from "../lib/app.mjs";
import { LECTURE, SEEDED_CLASS, withSeededApp } from "../lib/fixtures.mjs";
import { classNamed } from "../lib/library.mjs";
import { type, waitForItemWithText } from "../lib/ui.mjs";

test("search a phrase and open the hit at the right second", { timeout: 300_000 }, async (t) => {
  await withSeededApp(
    "search",
    async ({ driver }) => {
      await waitForItemWithText(driver, "class-item", SEEDED_CLASS, 30_000);
      const biology = await classNamed(driver, SEEDED_CLASS);

      // Where the phrase is spoken, from the stored transcript.
      const [lecture] = await invoke(driver, "list_lectures", { classId: biology.id });
      const segments = await invoke(driver, "get_transcript", { lectureId: lecture.id });
      const spoken = segments.find((s) => s.text.toLowerCase().includes(LECTURE.phrase));
      assert.ok(spoken, `"${LECTURE.phrase}" is in the transcript: ${JSON.stringify(segments.map((s) => s.text))}`);

      // The lecture hit the search command ranks first, and its passage covers the moment the
      // phrase is spoken.
      const results = await invoke(driver, "search", { query: LECTURE.phrase, classId: null, mode: "hybrid" });
      const lectureHit = results.find((r) => r.sourceKind === "lecture");
      assert.ok(lectureHit, `a lecture hit for "${LECTURE.phrase}": ${JSON.stringify(results)}`);
      const span = lectureHit.locator;
      assert.equal(span.kind, "lectureSpan");
      assert.equal(span.lectureId, lecture.id);
      // Not the lecture's first passage (see LECTURE): opening the hit has to seek.
      assert.ok(span.startMs > 0, `the hit starts after 0:00: ${JSON.stringify(span)}`);
      assert.ok(
        span.startMs <= spoken.startMs && spoken.startMs < span.endMs,
        `the hit (${span.startMs}-${span.endMs} ms) covers the segment at ${spoken.startMs} ms`,
      );

      // The window shows that hit (its label names the lecture and the time) after a search
      // from the sidebar's box.
      await type(driver, "global-search-input", LECTURE.phrase, { submit: true });
      const hit = await waitForItemWithText(driver, "search-result", lectureHit.label, 30_000);
      await screenshot(driver, "search", { readme: true });

      await hit.click();
      // The transcript marks the segment at the hit's start as the one playing...
      const playing = await waitFor(
        driver,
        async () => (await driver.findElements(By.css('[data-testid="transcript-segment"][data-active="true"]')))[0],
        30_000,
        "no transcript segment is marked as playing after opening the hit",
      );
      const atStart = segments.find((s) => s.startMs <= span.startMs && span.startMs < s.endMs);
      assert.equal(
        await playing.getAttribute("data-segment-id"),
        atStart?.id,
        `the segment at ${span.startMs} ms is marked as playing`,
      );
      await screenshot(driver, "search-hit-opened");

      // ...and the player stands at that second, which it can only once it has loaded its media.
      // Where this webview cannot play any audio at all (headless WebKitGTK on the test
      // machines fails even a WAV data: URL with FormatError), that part cannot be checked
      // here: the test says so instead of passing silently.
      if (!(await webviewPlaysAudio(driver))) {
        t.diagnostic("this webview plays no audio (not even a data: URL): the player's position was not checked");
        return;
      }
      const audio = await waitForTestId(driver, "lecture-audio", 30_000);
      const expected = span.startMs / 1000;
      let player = {};
      await waitFor(
        driver,
        async () => {
          player = await driver.executeScript(
            "const a = arguments[0]; return { at: a.currentTime, error: a.error && a.error.code, src: a.currentSrc };",
            audio,
          );
          return player.error === null && Math.abs(player.at - expected) <= 1;
        },
        15_000,
      ).catch((error) => {
        error.message =
          `after opening the hit the player stands at ${player.at} s, not at the hit's ${expected} s` +
          (player.error === null ? "" : ` (it cannot load ${player.src}: MediaError code ${player.error})`);
        throw error;
      });
    },
  );
});

/** Whether the webview can load audio at all: a 0.1 s silent WAV as a data: URL. */
async function webviewPlaysAudio(driver) {
  return driver.executeAsyncScript(`
    const done = arguments[0];
    const samples = 1600;
    const bytes = new Uint8Array(44 + samples * 2);
    const view = new DataView(bytes.buffer);
    const text = (at, value) => [...value].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
    text(0, "RIFF"); view.setUint32(4, 36 + samples * 2, true); text(8, "WAVEfmt ");
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, 16000, true); view.setUint32(28, 32000, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, samples * 2, true);
    const audio = new Audio("data:audio/wav;base64," + btoa(String.fromCharCode(...bytes)));
    audio.onloadedmetadata = () => done(true);
    audio.onerror = () => done(false);
    setTimeout(() => done(false), 5000);`);
}
