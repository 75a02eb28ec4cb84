// (e) Generate a quiz from the class's material, take it, and see the score.

import assert from "node:assert/strict";
import { test } from "node:test";
import { allByTestId, invoke, screenshot, testId, waitForTestId } from "../lib/app.mjs";
import { SEEDED_CLASS, withSeededApp } from "../lib/fixtures.mjs";
import { classNamed, waitForJobs } from "../lib/library.mjs";
import { click, openClass, renderedText, type } from "../lib/ui.mjs";

test("generate a quiz and take it", { timeout: 420_000 }, async () => {
  await withSeededApp(
    "quiz",
    async ({ driver }) => {
      await openClass(driver, SEEDED_CLASS, "quizzes");
      // Three questions keep the small model's generation short on two cores.
      await type(driver, "quiz-count", "3");
      await click(driver, "quiz-generate");
      await waitForJobs(driver, 300_000, { kind: "quiz" });
      await click(driver, "quiz-take", 30_000);

      await waitForTestId(driver, "quiz-question", 30_000);
      const questions = await allByTestId(driver, "quiz-question");
      // Answer every question: the first choice, or a few words for a short answer.
      for (const question of questions) {
        const choices = await question.findElements(testId("quiz-choice"));
        if (choices.length > 0) {
          await choices[0].click();
        } else {
          await (await question.findElement(testId("quiz-answer"))).sendKeys("mitochondria");
        }
      }
      await screenshot(driver, "quiz", { readme: true });
      await click(driver, "quiz-submit");
      const score = await waitForTestId(driver, "quiz-score", 30_000);
      assert.match(
        (await renderedText(driver, score)).trim(),
        new RegExp(`^\\d+ of ${questions.length} correct$`),
        "the score counts every question",
      );
      await screenshot(driver, "quiz-result");

      // The attempt was stored and graded.
      const biology = await classNamed(driver, SEEDED_CLASS);
      const history = await invoke(driver, "quiz_history", { classId: biology.id });
      assert.equal(history.length, 1, `one attempt in the history: ${JSON.stringify(history)}`);
      assert.ok(history[0].score >= 0 && history[0].score <= 1, `a score from 0 to 1: ${history[0].score}`);
    },
  );
});
