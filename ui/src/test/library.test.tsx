import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import type { JobSummary } from "../api";
import { strings } from "../strings";
import { openClass, shot, startApp } from "./app";
import { dragLeave, dragOver, dropFiles, emptyData, fail, fire, fullData, hang, rejection } from "./fakeShell";

const importJob: JobSummary = {
  id: "job-import-1",
  kind: "transcribe",
  subject: "week2",
  subjectId: "lecture-week2",
  status: "queued",
  percent: 0,
  secondsProcessed: null,
  message: null,
  error: null,
  classId: "class-bio",
  attempts: 0,
  maxAttempts: 3,
  createdAt: Date.UTC(2026, 10, 21),
  updatedAt: Date.UTC(2026, 10, 21),
};

describe("lectures and documents", () => {
  it("lists lectures and documents with their state", async () => {
    await startApp();
    await openClass("Biology");
    const rows = page.getByTestId("lecture-row");
    await expect.element(rows.first()).toHaveTextContent("Cells and membranes");
    await expect.element(rows.first()).toHaveTextContent("0:30");
    await expect.element(rows.nth(1)).toHaveTextContent(strings.library.lectureStatus.transcribing);

    await userEvent.click(page.getByTestId("tab-documents"));
    await expect.element(page.getByTestId("document-row")).toHaveTextContent("Week 1 slides");
    await expect.element(page.getByTestId("document-row")).toHaveTextContent("3 pages");
  });

  it("deletes a lecture after asking, and shows a refusal beside it", async () => {
    let refusals = 1;
    const log = await startApp(fullData(), {
      delete_lecture: () => (refusals-- > 0 ? rejection("The lecture is being transcribed; cancel its job first.", "busy") : null),
    });
    await openClass("Biology");
    const row = page.getByTestId("lecture-row").nth(1);
    await userEvent.click(row.getByTestId("lecture-delete"));
    await userEvent.click(row.getByTestId("lecture-delete-confirm"));
    await expect.element(row.getByRole("alert")).toHaveTextContent("cancel its job first");

    await userEvent.click(row.getByTestId("lecture-delete"));
    await userEvent.click(row.getByTestId("lecture-delete-confirm"));
    await expect.poll(() => page.getByTestId("lecture-row").elements().length).toBe(1);
    expect(log.argsOf("delete_lecture")).toEqual([{ lectureId: "lecture-mito" }, { lectureId: "lecture-mito" }]);
  });

  it("says what to do when a class is empty", async () => {
    await startApp(emptyData());
    await openClass("Biology");
    await expect.element(page.getByText(strings.library.lecturesEmpty)).toBeVisible();
    await userEvent.click(page.getByTestId("tab-documents"));
    await expect.element(page.getByText(strings.library.documentsEmpty)).toBeVisible();
  });

  it("shows a failed load next to the list and retries", async () => {
    let failures = 1;
    const data = fullData();
    await startApp(data, {
      list_lectures: () => (failures-- > 0 ? rejection("Cannot read library.db.", "io") : data.lectures),
    });
    await openClass("Biology");
    const alert = page.getByRole("alert");
    await expect.element(alert).toHaveTextContent(strings.library.loadLecturesFailed);
    await expect.element(alert).toHaveTextContent("Cannot read library.db.");
    await userEvent.click(alert.getByRole("button", { name: strings.retry }));
    await expect.element(page.getByTestId("lecture-row").first()).toBeVisible();
  });

  it("shows loading while the lectures have not arrived", async () => {
    await startApp(fullData(), { list_lectures: hang });
    await openClass("Biology");
    await expect.element(page.getByRole("tabpanel").getByRole("status")).toHaveTextContent(strings.loading);
  });

  it("refreshes when the shell says the class's library changed", async () => {
    const data = emptyData();
    const log = await startApp(data);
    await openClass("Biology");
    await expect.element(page.getByText(strings.library.lecturesEmpty)).toBeVisible();
    data.lectures = fullData().lectures;
    await fire("library-changed", { classId: "class-bio" });
    await expect.element(page.getByTestId("lecture-row").first()).toHaveTextContent("Cells and membranes");
    expect(log.argsOf("list_lectures").length).toBeGreaterThanOrEqual(2);
  });
});

describe("import by drag and drop", () => {
  it("imports dropped files into the class on screen, with per-file results, errors and progress", async () => {
    const data = fullData();
    data.importReport = {
      classId: "class-bio",
      files: [
        {
          path: "/home/sam/Lectures/week2.m4a",
          status: "imported",
          itemKind: "lecture",
          itemId: "l2",
          title: "week2",
          jobId: importJob.id,
          notices: [],
          error: null,
        },
        {
          path: "/home/sam/Lectures/slides.pdf",
          status: "duplicate",
          itemKind: "document",
          itemId: "doc-slides",
          title: "Week 1 slides",
          jobId: null,
          notices: ["Page 3 has no text; it may be a scan."],
          error: null,
        },
        {
          path: "/home/sam/Lectures/broken.pdf",
          status: "failed",
          itemKind: null,
          itemId: null,
          title: null,
          jobId: null,
          notices: [],
          error: { kind: "invalidInput", message: "“broken.pdf” is not a PDF file: no %PDF header." },
        },
      ],
      imported: 1,
      failed: 1,
    };
    const log = await startApp(data);
    await openClass("Biology");

    await dropFiles(["/home/sam/Lectures"]);
    const results = page.getByTestId("import-result");
    await expect.element(results.first()).toHaveTextContent("week2");
    expect(log.argsOf("import_paths")).toEqual([{ classId: "class-bio", paths: ["/home/sam/Lectures"] }]);
    await expect.element(results.nth(0)).toHaveTextContent(strings.library.outcome.imported);
    await expect.element(results.nth(1)).toHaveTextContent(strings.library.outcome.duplicate);
    await expect.element(results.nth(1)).toHaveTextContent("Page 3 has no text; it may be a scan.");
    await expect.element(results.nth(2).getByRole("alert")).toHaveTextContent("“broken.pdf” is not a PDF file: no %PDF header.");

    await fire("job-progress", { ...importJob, status: "running", percent: 37, message: "11:06 of 30:00" });
    const bar = results.first().getByRole("progressbar");
    await expect.element(bar).toHaveAttribute("aria-valuenow", "37");
    await expect.element(results.first()).toHaveTextContent("11:06 of 30:00");

    await userEvent.click(page.getByTestId("jobs-toggle"));
    await shot("class-import");

    await fire("job-progress", { ...importJob, status: "done", percent: 100, updatedAt: importJob.updatedAt + 1 });
    await expect.element(results.first()).toHaveTextContent(strings.jobs.status.done);
  });

  it("shows an overlay naming the class while files are dragged over the window", async () => {
    await startApp();
    await openClass("Biology");
    await dragOver();
    await expect.element(page.getByTestId("drop-overlay")).toHaveTextContent(strings.library.dropHere("Biology"));
    await dragLeave();
    await expect.poll(() => page.getByTestId("drop-overlay").elements().length).toBe(0);
  });

  it("says to pick a class when files are dropped on the home page", async () => {
    const log = await startApp();
    await dropFiles(["/tmp/a.mp3"]);
    await expect.element(page.getByRole("alert")).toHaveTextContent(strings.library.noClassForDrop);
    expect(log.argsOf("import_paths")).toEqual([]);
  });

  it("imports typed paths, and shows the command's failure when nothing could be imported", async () => {
    const log = await startApp(fullData(), { import_paths: fail("The class no longer exists.", "notFound") });
    await openClass("Biology");
    await userEvent.click(page.getByTestId("import-button"));
    await userEvent.fill(page.getByTestId("import-paths-input"), "/a/one.mp3\n\n/a/two.pdf ");
    await userEvent.click(page.getByTestId("import-paths-run"));
    expect(log.argsOf("import_paths")).toEqual([{ classId: "class-bio", paths: ["/a/one.mp3", "/a/two.pdf"] }]);
    const batch = page.getByTestId("import-results");
    await expect.element(batch.getByRole("alert")).toHaveTextContent("The class no longer exists.");
    await userEvent.click(batch.getByRole("button", { name: strings.library.dismissResults }));
    await expect.poll(() => page.getByTestId("import-results").elements().length).toBe(0);
  });
});

describe("jobs panel", () => {
  it("lists jobs live from job-progress, and cancels and retries them", async () => {
    const log = await startApp();
    await userEvent.click(page.getByTestId("jobs-toggle"));
    const rows = page.getByTestId("job-row");
    await expect.element(rows.first()).toHaveTextContent("Transcribing · Mitochondria");
    await expect.element(rows.first().getByRole("progressbar")).toHaveAttribute("aria-valuenow", "42");
    await expect.element(rows.nth(1)).toHaveTextContent("The embedding model is missing.");

    await fire("job-progress", { ...importJob, status: "running", percent: 5, updatedAt: Date.UTC(2027, 0, 1) });
    await expect.poll(() => rows.elements().length).toBe(3);

    await userEvent.click(rows.first().getByTestId("job-cancel"));
    expect(log.argsOf("cancel_job").length).toBe(1);
    await userEvent.click(page.getByTestId("job-retry"));
    expect(log.argsOf("retry_job")).toEqual([{ jobId: "job-failed" }]);
  });

  it("shows a cancel failure beside the job", async () => {
    await startApp(fullData(), { cancel_job: fail("The job already finished.", "busy") });
    await userEvent.click(page.getByTestId("jobs-toggle"));
    const row = page.getByTestId("job-row").first();
    await userEvent.click(row.getByTestId("job-cancel"));
    await expect.element(row.getByRole("alert")).toHaveTextContent("The job already finished.");
  });

  it("says so when nothing is running", async () => {
    await startApp(emptyData());
    await userEvent.click(page.getByTestId("jobs-toggle"));
    await expect.element(page.getByText(strings.jobs.empty)).toBeVisible();
  });
});
