// (c) Search a phrase of the lecture and open the hit: the player stands at the second where the
// phrase is spoken.

import assert from "node:assert/strict";
import { test } from "node:test";
import { By } from "selenium-webdriver";
import { invoke, screenshot, waitFor, waitForTestId } from "../lib/app.mjs";
import { LECTURE, SEEDED_CLASS, withSeededApp } from "../lib/fixtures.mjs";
import { classNamed } from "../lib/library.mjs";
import { type, waitForItemWithText } from "../lib/ui.mjs";

test("search a phrase and open the hit at the right second", { timeout: 300_000 }, async () => {
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

      // ...and the player stands at that second, which it can only once it has loaded its media
      // (from a blob: URL, which the window's content security policy has to allow).
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
