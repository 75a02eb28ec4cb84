// (f) Generate flashcards from the class's material and review two of them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { until } from "selenium-webdriver";
import { invoke, screenshot, waitForTestId } from "../lib/app.mjs";
import { SEEDED_CLASS, withSeededApp } from "../lib/fixtures.mjs";
import { classNamed, waitForJobs } from "../lib/library.mjs";
import { click, openClass, renderedText, type } from "../lib/ui.mjs";

test("review two flashcards", { timeout: 420_000 }, async () => {
  await withSeededApp(
    "flashcards",
    async ({ driver }) => {
      await openClass(driver, SEEDED_CLASS, "flashcards");
      // Three cards keep the small model's generation short on two cores; two get reviewed.
      await type(driver, "cards-count", "3");
      await click(driver, "cards-generate");
      await waitForJobs(driver, 300_000, { kind: "flashcards" });
      const biology = await classNamed(driver, SEEDED_CLASS);
      const due = await invoke(driver, "due_flashcards", { classId: biology.id });
      assert.ok(due.length >= 2, `at least two new cards are due: ${JSON.stringify(due)}`);

      // The tab shows the first due card once the generation finished.
      const reviewed = [];
      for (let card = 0; card < 2; card += 1) {
        const front = await waitForTestId(driver, "card-front", 30_000);
        reviewed.push(await renderedText(driver, front));
        await click(driver, "card-show");
        await waitForTestId(driver, "card-back");
        if (card === 0) await screenshot(driver, "flashcards", { readme: true });
        await click(driver, "card-rate-3");
        // The next card (or the "all done" line) replaces this one.
        await driver.wait(until.stalenessOf(front), 15_000, "the rated card stays on screen");
      }

      // Two cards were rated "good": they are no longer due, and the rest still are.
      const after = await invoke(driver, "due_flashcards", { classId: biology.id });
      assert.equal(after.length, due.length - 2, `two fewer cards due: before ${due.length}, after ${after.length}`);
      const cards = await invoke(driver, "list_flashcards", { classId: biology.id });
      const now = Date.now();
      // The window may lay a card's front out with other white space than it was stored with.
      const words = (text) => text.replace(/\s+/g, " ").trim();
      for (const front of reviewed) {
        const card = cards.find((c) => words(c.front) === words(front));
        assert.ok(card, `the reviewed card "${front}" is in the class`);
        assert.ok(card.due > now, `the reviewed card "${front}" is scheduled in the future`);
      }
    },
  );
});
