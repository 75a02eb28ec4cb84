import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import type { ClassTab } from "../app/nav";
import { strings } from "../strings";
import { openClass, startApp } from "./app";
import { fail, fullData, hang } from "./fakeShell";

/** Each class tab with the command that fills it and what it says when that fails. */
const TABS: { tab: ClassTab; command: string; failed: string }[] = [
  { tab: "lectures", command: "list_lectures", failed: strings.library.loadLecturesFailed },
  { tab: "documents", command: "list_documents", failed: strings.library.loadDocumentsFailed },
  { tab: "notes", command: "list_notes", failed: strings.notes.loadFailed },
  { tab: "quizzes", command: "list_quizzes", failed: strings.quiz.loadFailed },
  { tab: "flashcards", command: "due_flashcards", failed: strings.cards.loadFailed },
  { tab: "chat", command: "list_conversations", failed: strings.chat.listFailed },
];

describe("every class tab", () => {
  for (const { tab, command, failed } of TABS) {
    it(`${tab}: says it is loading, then shows a failure with a retry that works`, async () => {
      const data = fullData();
      let attempt = 0;
      let release: () => void = () => undefined;
      const first = new Promise<void>((resolve) => {
        release = resolve;
      });
      await startApp(data, {
        [command]: async (args) => {
          attempt += 1;
          if (attempt === 1) {
            await first;
            return fail("The library database is locked.", "busy")(args);
          }
          return hang(args);
        },
      });
      await openClass("Biology", tab);
      const panel = page.getByRole("tabpanel");
      await expect.element(panel.getByRole("status").first()).toHaveTextContent(strings.loading);

      release();
      const alert = panel.getByRole("alert").first();
      await expect.element(alert).toHaveTextContent(failed);
      await expect.element(alert).toHaveTextContent("The library database is locked.");
      // The rest of the app stays usable.
      await expect.element(page.getByTestId("new-class-input")).toBeEnabled();

      await userEvent.click(alert.getByRole("button", { name: strings.retry }));
      await expect.poll(() => attempt).toBe(2);
    });
  }
});

describe("document page", () => {
  it("says why a document cannot be opened", async () => {
    await startApp(fullData(), { get_document: fail("“slides.pdf” is missing from the library folder.", "notFound") });
    await openClass("Biology", "documents");
    await userEvent.click(page.getByRole("button", { name: /^Week 1 slides/ }));
    await expect.element(page.getByRole("alert")).toHaveTextContent(strings.document.loadFailed);
    await expect.element(page.getByRole("alert")).toHaveTextContent("missing from the library folder");
  });
});
