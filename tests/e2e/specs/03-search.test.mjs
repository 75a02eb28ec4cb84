// (c) Search a phrase of the lecture and open the hit: the player stands at the second where the
// phrase is spoken.

import assert from "node:assert/strict";
import { test } from "node:test";
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
      const audio = await waitForTestId(driver, "lecture-audio", 30_000);
      const expected = span.startMs / 1000;
      let currentTime = NaN;
      await waitFor(
        driver,
        async () => {
          currentTime = await driver.executeScript("return arguments[0].currentTime;", audio);
          return Math.abs(currentTime - expected) <= 1;
        },
        15_000,
        `the player is not at ${expected} s`,
      ).catch((error) => {
        error.message = `after opening the hit the player stands at ${currentTime} s, not at the hit's ${expected} s`;
        throw error;
      });
      await screenshot(driver, "search-hit-opened");
    },
  );
});
