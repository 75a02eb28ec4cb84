// (d) Ask a question about the class in chat and get an answer with a citation chip.

import assert from "node:assert/strict";
import { test } from "node:test";
import { invoke, screenshot, waitForTestId } from "../lib/app.mjs";
import { SEEDED_CLASS, withSeededApp } from "../lib/fixtures.mjs";
import { classNamed } from "../lib/library.mjs";
import { click, openClass, renderedText, type } from "../lib/ui.mjs";

test("ask a question in chat and see a citation chip", { timeout: 300_000 }, async () => {
  await withSeededApp(
    "chat",
    async ({ driver }) => {
      await openClass(driver, SEEDED_CLASS, "chat");
      await type(driver, "chat-input", "What do the mitochondria produce?");
      await click(driver, "chat-send");
      // SmolLM2-135M on two cores: allow the model's load and the whole answer.
      const chip = await waitForTestId(driver, "citation-chip", 240_000);
      const chipText = await renderedText(driver, chip);
      await screenshot(driver, "chat", { readme: true });

      // The conversation was stored with the citation the window shows.
      const biology = await classNamed(driver, SEEDED_CLASS);
      const [conversation] = await invoke(driver, "list_conversations", { classId: biology.id });
      assert.ok(conversation, "the question started a conversation in the class");
      const view = await invoke(driver, "get_conversation", { conversationId: conversation.id });
      const answer = view.messages.find((m) => m.role === "assistant");
      assert.ok(answer && answer.citations.length > 0, `a stored answer with citations: ${JSON.stringify(view)}`);
      const cited = answer.citations.find((c) => chipText.includes(c.label));
      assert.ok(
        cited,
        `the chip "${chipText}" names a cited source (${answer.citations.map((c) => c.label).join(", ")})`,
      );

      // The chip opens what it cites: the lecture's player or the document's page.
      // A long answer puts the chips under the composer that stays at the bottom: scroll first,
      // as a student would.
      await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' });", chip);
      await chip.click();
      await waitForTestId(driver, cited.locator.kind === "lectureSpan" ? "lecture-audio" : "document-page", 30_000);
    },
  );
});
