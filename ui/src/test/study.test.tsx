import { page, userEvent } from "@vitest/browser/context";
import { cleanup } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { strings } from "../strings";
import { openClass, shot, startApp } from "./app";
import { emptyData, fail, finishedJob, fire, fullData, hang } from "./fakeShell";

describe("notes", () => {
  it("renders a note's Markdown without running scripts in it, and saves edits", async () => {
    const log = await startApp();
    await openClass("Biology", "notes");
    const note = page.getByRole("article");
    await expect.element(note.getByRole("heading", { name: "Membranes", exact: true })).toBeVisible();
    expect(note.element().querySelector("strong")?.textContent).toBe("Bilayer");
    expect(note.element().querySelector("script")).toBeNull();
    expect((window as unknown as { hacked?: boolean }).hacked).toBeUndefined();
    await shot("notes");

    await userEvent.click(page.getByTestId("note-edit"));
    await userEvent.fill(page.getByTestId("note-editor"), "# Membranes\n\nEdited by hand.");
    await userEvent.click(page.getByTestId("note-save"));
    await expect.element(note).toHaveTextContent("Edited by hand.");
    await expect.element(note.getByRole("status")).toHaveTextContent(strings.notes.saved);
    expect(log.argsOf("save_note")).toEqual([{ noteId: "note-1", markdown: "# Membranes\n\nEdited by hand." }]);
  });

  it("keeps the editor and says why when saving fails", async () => {
    await startApp(fullData(), { save_note: fail("The disk is full.", "io") });
    await openClass("Biology", "notes");
    await userEvent.click(page.getByTestId("note-edit"));
    await userEvent.click(page.getByTestId("note-save"));
    await expect.element(page.getByRole("alert")).toHaveTextContent("The disk is full.");
    await expect.element(page.getByTestId("note-editor")).toBeVisible();
  });

  it("generates notes as a job and lists them when the job is done", async () => {
    const data = emptyData();
    const log = await startApp(data);
    await openClass("Biology", "notes");
    await expect.element(page.getByText(strings.notes.empty)).toBeVisible();
    await userEvent.click(page.getByTestId("notes-generate"));
    expect(log.argsOf("generate_notes")).toEqual([{ scope: { kind: "class", classId: "class-bio" } }]);
    await expect.element(page.getByText(strings.notes.generating)).toBeVisible();
    data.notes = fullData().notes;
    await fire("job-progress", finishedJob("job-notes", "notes"));
    await expect.element(page.getByTestId("note-item")).toHaveTextContent("Cells and membranes");
  });

  it("shows loading while the notes have not arrived", async () => {
    await startApp(fullData(), { list_notes: hang });
    await openClass("Biology", "notes");
    await expect.element(page.getByRole("tabpanel").getByRole("status")).toHaveTextContent(strings.loading);
  });
});

describe("generation scope", () => {
  it("writes notes from one lecture", async () => {
    const log = await startApp();
    await openClass("Biology", "notes");
    const scope = page.getByTestId("study-scope");
    await expect.element(scope.getByRole("option", { name: "Cells and membranes" })).toBeInTheDocument();
    await scope.selectOptions("Cells and membranes");
    await userEvent.click(page.getByTestId("notes-generate"));
    expect(log.argsOf("generate_notes")).toEqual([{ scope: { kind: "lecture", lectureId: "lecture-cells" } }]);
  });

  it("writes a quiz from one document with the typed number of questions", async () => {
    const log = await startApp();
    await openClass("Biology", "quizzes");
    await page.getByTestId("study-scope").selectOptions("Week 1 slides");
    await userEvent.fill(page.getByTestId("quiz-count"), "12");
    await shot("quiz-scope");
    await userEvent.click(page.getByTestId("quiz-generate"));
    expect(log.argsOf("generate_quiz")).toEqual([{ scope: { kind: "document", documentId: "doc-slides" }, count: 12 }]);
  });

  it("refuses a card count out of range", async () => {
    const log = await startApp();
    await openClass("Biology", "flashcards");
    await userEvent.fill(page.getByTestId("cards-count"), "0");
    await expect.element(page.getByTestId("cards-generate")).toBeDisabled();
    await expect.element(page.getByTestId("cards-count")).toHaveAttribute("aria-invalid", "true");
    await userEvent.fill(page.getByTestId("cards-count"), "25");
    await userEvent.click(page.getByTestId("cards-generate"));
    expect(log.argsOf("generate_flashcards")).toEqual([{ scope: { kind: "class", classId: "class-bio" }, count: 25 }]);
  });

  it("offers only the whole class while the material loads, and when it cannot be listed", async () => {
    await startApp(fullData(), { list_lectures: hang });
    await openClass("Biology", "notes");
    const scope = page.getByTestId("study-scope");
    await expect.element(scope).toHaveAttribute("aria-busy", "true");
    await expect.element(scope.getByRole("option", { name: strings.loading })).toBeDisabled();
    cleanup();

    const log = await startApp(fullData(), { list_documents: fail("The library is locked by another window.", "busy") });
    await openClass("Biology", "notes");
    await expect.element(page.getByRole("alert")).toHaveTextContent(strings.scope.failed);
    await expect.element(page.getByRole("alert")).toHaveTextContent("locked by another window");
    expect(page.getByTestId("study-scope").getByRole("option").elements()).toHaveLength(1);
    await userEvent.click(page.getByTestId("notes-generate"));
    expect(log.argsOf("generate_notes")).toEqual([{ scope: { kind: "class", classId: "class-bio" } }]);
  });
});

describe("quizzes", () => {
  it("takes a quiz, scores it with feedback per question, and shows the history", async () => {
    const log = await startApp();
    await openClass("Biology", "quizzes");
    await expect.element(page.getByTestId("quiz-row")).toHaveTextContent(strings.quiz.best(0.5));
    await expect.element(page.getByTestId("quiz-history")).toHaveTextContent("Membranes");
    await expect.element(page.getByTestId("quiz-history")).toHaveTextContent(strings.quiz.percent(0.5));

    await userEvent.click(page.getByTestId("quiz-take"));
    await userEvent.click(page.getByTestId("quiz-choice").nth(1));
    await userEvent.fill(page.getByTestId("quiz-answer"), "glucose");
    await userEvent.click(page.getByTestId("quiz-submit"));
    expect(log.argsOf("submit_quiz")).toEqual([{ quizId: "quiz-1", answers: ["1", "glucose"] }]);

    await expect.element(page.getByTestId("quiz-score")).toHaveTextContent(strings.quiz.score(1, 2));
    const feedback = page.getByTestId("quiz-feedback");
    await expect.element(feedback.first()).toHaveTextContent(strings.quiz.right);
    await expect.element(feedback.nth(1)).toHaveTextContent(strings.quiz.rightAnswer("ATP"));
    await expect.element(feedback.nth(1)).toHaveTextContent(strings.quiz.yourAnswer("glucose"));
    await shot("quiz-result");

    await userEvent.click(page.getByRole("button", { name: strings.quiz.again }));
    await userEvent.click(page.getByTestId("quiz-choice").nth(1));
    await userEvent.fill(page.getByTestId("quiz-answer"), "ATP");
    await userEvent.click(page.getByTestId("quiz-submit"));
    await expect.element(page.getByTestId("quiz-score")).toHaveTextContent(strings.quiz.score(2, 2));
  });

  it("shows a grading failure next to the submit button, keeping the answers", async () => {
    await startApp(fullData(), { submit_quiz: fail("The quiz was deleted.", "notFound") });
    await openClass("Biology", "quizzes");
    await userEvent.click(page.getByTestId("quiz-take"));
    await userEvent.click(page.getByTestId("quiz-choice").first());
    await userEvent.click(page.getByTestId("quiz-submit"));
    await expect.element(page.getByRole("alert")).toHaveTextContent("The quiz was deleted.");
    await expect.element(page.getByTestId("quiz-choice").first()).toBeChecked();
  });

  it("generates a quiz with the chosen number of questions", async () => {
    const log = await startApp(emptyData());
    await openClass("Biology", "quizzes");
    await expect.element(page.getByText(strings.quiz.empty)).toBeVisible();
    await expect.element(page.getByText(strings.quiz.historyEmpty)).toBeVisible();
    await userEvent.fill(page.getByTestId("quiz-count"), "10");
    await userEvent.click(page.getByTestId("quiz-generate"));
    expect(log.argsOf("generate_quiz")).toEqual([{ scope: { kind: "class", classId: "class-bio" }, count: 10 }]);
  });

  it("says why a quiz could not be generated", async () => {
    await startApp(emptyData(), { generate_quiz: fail("This class has no material to ask about yet.", "invalidInput") });
    await openClass("Biology", "quizzes");
    await userEvent.click(page.getByTestId("quiz-generate"));
    await expect.element(page.getByRole("alert")).toHaveTextContent("This class has no material to ask about yet.");
  });
});

describe("flashcards", () => {
  it("reviews due cards with the keyboard: space shows the answer, 1–4 rate", async () => {
    const log = await startApp();
    await openClass("Biology", "flashcards");
    await expect.element(page.getByTestId("card-counts")).toHaveTextContent(strings.cards.due(2));
    await expect.element(page.getByTestId("card-front")).toHaveTextContent("What is osmosis?");
    expect(page.getByTestId("card-back").elements()).toHaveLength(0);

    await userEvent.keyboard(" ");
    await expect.element(page.getByTestId("card-back")).toHaveTextContent("Diffusion of water");
    await expect.element(page.getByTestId("card-rate-3")).toHaveTextContent("1 day");
    await shot("flashcards");

    await userEvent.keyboard("3");
    await expect.element(page.getByTestId("card-front")).toHaveTextContent("What powers active transport?");
    expect(log.argsOf("review_flashcard")).toEqual([{ cardId: "card-1", rating: 3 }]);
    await expect.element(page.getByTestId("card-counts")).toHaveTextContent(strings.cards.due(1));

    await userEvent.click(page.getByTestId("card-show"));
    await userEvent.click(page.getByTestId("card-rate-1"));
    expect(log.argsOf("review_flashcard")[1]).toEqual({ cardId: "card-2", rating: 1 });
    await expect.element(page.getByTestId("cards-empty")).toHaveTextContent(strings.cards.allDone);
  });

  it("keeps the card and says why when a review is not saved", async () => {
    await startApp(fullData(), { review_flashcard: fail("The card was deleted on another device.", "notFound") });
    await openClass("Biology", "flashcards");
    await userEvent.click(page.getByTestId("card-show"));
    await userEvent.click(page.getByTestId("card-rate-4"));
    await expect.element(page.getByRole("alert")).toHaveTextContent("The card was deleted on another device.");
    await expect.element(page.getByTestId("card-front")).toHaveTextContent("What is osmosis?");
  });

  it("says what to do when the class has no cards, and generates some", async () => {
    const log = await startApp(emptyData());
    await openClass("Biology", "flashcards");
    await expect.element(page.getByTestId("cards-empty")).toHaveTextContent(strings.cards.empty);
    await userEvent.click(page.getByTestId("cards-generate"));
    expect(log.argsOf("generate_flashcards")).toEqual([{ scope: { kind: "class", classId: "class-bio" }, count: 10 }]);
  });

  it("lists every card and edits one's sides", async () => {
    const log = await startApp();
    await openClass("Biology", "flashcards");
    const rows = page.getByTestId("card-row");
    await expect.element(rows.first()).toHaveTextContent("What is osmosis?");
    expect(rows.elements()).toHaveLength(2);

    await userEvent.click(rows.nth(1).getByTestId("card-edit"));
    await userEvent.fill(rows.nth(1).getByTestId("card-edit-front"), "What powers the sodium pump?");
    await userEvent.fill(rows.nth(1).getByTestId("card-edit-back"), "ATP, made by mitochondria.");
    await userEvent.keyboard("{Control>}{Enter}{/Control}");
    await expect.element(rows.nth(1)).toHaveTextContent("What powers the sodium pump?");
    await expect.element(rows.nth(1)).toHaveTextContent("ATP, made by mitochondria.");
    expect(log.argsOf("edit_flashcard")).toEqual([{ cardId: "card-2", front: "What powers the sodium pump?", back: "ATP, made by mitochondria." }]);

    // Esc leaves a card as it was.
    await userEvent.click(rows.first().getByTestId("card-edit"));
    await userEvent.fill(rows.first().getByTestId("card-edit-front"), "thrown away");
    await userEvent.keyboard("{Escape}");
    await expect.element(rows.first()).toHaveTextContent("What is osmosis?");
    expect(log.argsOf("edit_flashcard")).toHaveLength(1);
    await shot("flashcard-list");
  });

  it("suspends a card out of the review and takes it back", async () => {
    const log = await startApp();
    await openClass("Biology", "flashcards");
    const first = page.getByTestId("card-row").first();
    await userEvent.click(first.getByTestId("card-suspend"));
    await expect.element(first.getByTestId("card-suspend")).toHaveAttribute("aria-pressed", "true");
    await expect.element(first).toHaveTextContent(strings.cards.suspended);
    await expect.element(page.getByTestId("card-counts")).toHaveTextContent(strings.cards.due(1));
    await expect.element(page.getByTestId("card-front")).toHaveTextContent("What powers active transport?");

    await userEvent.click(first.getByTestId("card-suspend"));
    await expect.element(first.getByTestId("card-suspend")).toHaveAttribute("aria-pressed", "false");
    await expect.element(page.getByTestId("card-counts")).toHaveTextContent(strings.cards.due(2));
    expect(log.argsOf("suspend_flashcard")).toEqual([
      { cardId: "card-1", suspended: true },
      { cardId: "card-1", suspended: false },
    ]);
  });

  it("deletes a card after an inline confirmation", async () => {
    const log = await startApp();
    await openClass("Biology", "flashcards");
    const first = page.getByTestId("card-row").first();
    await userEvent.click(first.getByTestId("card-delete"));
    await expect.element(first.getByText(strings.cards.confirmDelete("What is osmosis?"))).toBeVisible();
    await userEvent.click(first.getByTestId("card-delete-confirm"));
    await expect.poll(() => page.getByTestId("card-row").elements().length).toBe(1);
    expect(log.argsOf("delete_flashcard")).toEqual([{ cardId: "card-1" }]);
    await expect.element(page.getByTestId("card-front")).toHaveTextContent("What powers active transport?");
  });

  it("says why an edit was not saved and keeps the editor", async () => {
    await startApp(fullData(), { edit_flashcard: fail("A card needs text on both sides.", "invalidInput") });
    await openClass("Biology", "flashcards");
    const first = page.getByTestId("card-row").first();
    await userEvent.click(first.getByTestId("card-edit"));
    await userEvent.click(first.getByTestId("card-save"));
    await expect.element(first.getByRole("alert")).toHaveTextContent("A card needs text on both sides.");
    await expect.element(first.getByTestId("card-edit-front")).toBeVisible();
  });

  it("imports cards from a CSV path and exports them to one", async () => {
    const log = await startApp(emptyData());
    await openClass("Biology", "flashcards");
    await expect.element(page.getByTestId("card-list-empty")).toHaveTextContent(strings.cards.listEmpty);
    await expect.element(page.getByTestId("cards-csv-import")).toBeDisabled();
    await userEvent.fill(page.getByTestId("cards-csv-path"), "/home/sam/bio.csv");
    await userEvent.click(page.getByTestId("cards-csv-import"));
    await expect.element(page.getByTestId("cards-csv-result")).toHaveTextContent(strings.cards.csvImported(1, "/home/sam/bio.csv"));
    await expect.element(page.getByTestId("card-row")).toHaveTextContent("What is ATP?");
    await expect.element(page.getByTestId("card-front")).toHaveTextContent("What is ATP?");

    await userEvent.fill(page.getByTestId("cards-csv-path"), "/home/sam/out.csv");
    await userEvent.click(page.getByTestId("cards-csv-export"));
    await expect.element(page.getByTestId("cards-csv-result")).toHaveTextContent(strings.cards.csvExported(1, "/home/sam/out.csv"));
    expect(log.argsOf("import_flashcards_csv")).toEqual([{ classId: "class-bio", path: "/home/sam/bio.csv" }]);
    expect(log.argsOf("export_flashcards_csv")).toEqual([{ classId: "class-bio", path: "/home/sam/out.csv" }]);
  });

  it("says why a CSV file could not be imported", async () => {
    await startApp(emptyData(), { import_flashcards_csv: fail("Row 3 has no back side; nothing was imported.", "invalidInput") });
    await openClass("Biology", "flashcards");
    await userEvent.fill(page.getByTestId("cards-csv-path"), "/home/sam/bad.csv");
    await userEvent.click(page.getByTestId("cards-csv-import"));
    await expect.element(page.getByRole("alert")).toHaveTextContent(strings.cards.csvFailed);
    await expect.element(page.getByRole("alert")).toHaveTextContent("Row 3 has no back side");
  });

  it("shows a load failure", async () => {
    await startApp(fullData(), { due_flashcards: fail("Cannot read the card schedule.", "io") });
    await openClass("Biology", "flashcards");
    await expect.element(page.getByRole("alert")).toHaveTextContent("Cannot read the card schedule.");
  });
});
