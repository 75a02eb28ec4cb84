import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import { strings } from "../strings";
import { openClass, shot, silentWav, startApp } from "./app";
import { fail, finishedJob, fire, fullData, hang } from "./fakeShell";

async function openLecture(data = fullData(), overrides = {}) {
  const first = data.lectures[0];
  if (first !== undefined) first.mediaUrl = silentWav(30);
  const log = await startApp(data, overrides);
  await openClass("Biology");
  await userEvent.click(page.getByRole("button", { name: /^Cells and membranes/ }));
  return log;
}

const segments = () => page.getByTestId("transcript-segment");

describe("lecture page", () => {
  it("plays from a clicked segment and highlights the segment being played", async () => {
    await openLecture();
    await expect.element(page.getByRole("heading", { level: 1, name: "Cells and membranes" })).toBeVisible();
    await expect.element(segments().first()).toHaveTextContent("Today we look at the cell membrane");
    expect(segments().elements()).toHaveLength(5);

    await userEvent.click(segments().nth(2).getByTestId("segment-seek"));
    const audio = page.getByTestId("lecture-audio").element() as HTMLAudioElement;
    await expect.poll(() => audio.currentTime).toBeCloseTo(12, 0);
    await expect.element(segments().nth(2)).toHaveAttribute("data-active", "true");
    await expect.element(segments().first()).toHaveAttribute("data-active", "false");
    audio.pause();
    await shot("lecture");
  });

  it("edits a segment inline: Enter saves, Esc cancels", async () => {
    const log = await openLecture();
    const second = segments().nth(1);
    await userEvent.click(second.getByTestId("segment-edit"));
    await userEvent.fill(second.getByTestId("segment-input"), "The membrane is a lipid bilayer.");
    await userEvent.keyboard("{Enter}");
    await expect.element(second).toHaveTextContent("The membrane is a lipid bilayer.");
    expect(log.argsOf("edit_segment")).toEqual([{ segmentId: "seg-2", text: "The membrane is a lipid bilayer." }]);

    await userEvent.click(second.getByTestId("segment-edit"));
    await userEvent.fill(second.getByTestId("segment-input"), "thrown away");
    await userEvent.keyboard("{Escape}");
    await expect.element(second).toHaveTextContent("The membrane is a lipid bilayer.");
    expect(log.argsOf("edit_segment")).toHaveLength(1);
  });

  it("splits a segment at the caret with Alt+S, keeping the times, and merges it back with Alt+M", async () => {
    const log = await openLecture();
    const second = segments().nth(1);
    await userEvent.click(second.getByTestId("segment-edit"));
    const input = second.getByTestId("segment-input").element() as HTMLTextAreaElement;
    // "The membrane is a phospholipid bilayer" | " with proteins floating in it."
    input.setSelectionRange(38, 38);
    await userEvent.keyboard("{Alt>}s{/Alt}");
    await expect.poll(() => segments().elements().length).toBe(6);
    expect(log.argsOf("split_segment")).toEqual([{ segmentId: "seg-2", atChar: 38 }]);
    expect(log.argsOf("edit_segment")).toHaveLength(0);
    await expect.element(segments().nth(1)).toHaveTextContent("The membrane is a phospholipid bilayer");
    await expect.element(segments().nth(2)).toHaveTextContent("with proteins floating in it.");
    // The second part starts where the first ends: 6 s + 6 s × 38/68 = 0:09.
    await expect.element(segments().nth(2).getByTestId("segment-seek")).toHaveTextContent("0:09");
    await expect.element(segments().nth(3).getByTestId("segment-seek")).toHaveTextContent("0:12");
    // Focus goes to the second part, ready for the next edit.
    await expect.element(segments().nth(2).getByTestId("segment-edit")).toHaveFocus();

    await userEvent.click(segments().nth(1).getByTestId("segment-edit"));
    await userEvent.keyboard("{Alt>}m{/Alt}");
    await expect.poll(() => segments().elements().length).toBe(5);
    expect(log.argsOf("merge_segments")).toEqual([{ firstId: "seg-2a", secondId: "seg-2b" }]);
    await expect.element(segments().nth(1)).toHaveTextContent("The membrane is a phospholipid bilayer with proteins floating in it.");
    await expect.element(segments().nth(2).getByTestId("segment-seek")).toHaveTextContent("0:12");
  });

  it("splits with the button after saving an edited draft, counting characters as the shell does", async () => {
    const log = await openLecture();
    const first = segments().first();
    await userEvent.click(first.getByTestId("segment-edit"));
    const input = first.getByTestId("segment-input");
    await userEvent.fill(input, "Today 🧫 we look at cells.");
    // After "Today 🧫" (8 UTF-16 units, 7 characters).
    (input.element() as HTMLTextAreaElement).setSelectionRange(8, 8);
    await expect.element(first.getByTestId("segment-split")).toHaveAccessibleDescription(strings.lecture.splitTip);
    await userEvent.click(first.getByTestId("segment-split"));
    await expect.poll(() => segments().elements().length).toBe(6);
    expect(log.argsOf("edit_segment")).toEqual([{ segmentId: "seg-1", text: "Today 🧫 we look at cells." }]);
    expect(log.argsOf("split_segment")).toEqual([{ segmentId: "seg-1", atChar: 7 }]);
    await expect.element(segments().first()).toHaveTextContent("Today 🧫");
    await expect.element(segments().nth(1)).toHaveTextContent("we look at cells.");
  });

  it("refuses a split at the start of a segment and offers no merge on the last one", async () => {
    const log = await openLecture();
    const last = segments().nth(4);
    await userEvent.click(last.getByTestId("segment-edit"));
    (last.getByTestId("segment-input").element() as HTMLTextAreaElement).setSelectionRange(0, 0);
    await userEvent.click(last.getByTestId("segment-split"));
    await expect.element(last.getByRole("alert")).toHaveTextContent(strings.lecture.splitWhere);
    expect(log.argsOf("split_segment")).toHaveLength(0);
    expect(last.getByTestId("segment-merge").elements()).toHaveLength(0);
    await shot("lecture-split");
  });

  it("shows why a merge failed and keeps the editor", async () => {
    await openLecture(fullData(), { merge_segments: fail("The transcript is being rewritten by a job; try again in a moment.", "busy") });
    const first = segments().first();
    await userEvent.click(first.getByTestId("segment-edit"));
    await userEvent.click(first.getByTestId("segment-merge"));
    await expect.element(first.getByRole("alert")).toHaveTextContent("try again in a moment");
    await expect.element(first.getByTestId("segment-input")).toBeVisible();
    expect(segments().elements()).toHaveLength(5);
  });

  it("keeps the editor open with the reason when saving fails", async () => {
    await openLecture(fullData(), { edit_segment: fail("The transcript is being rewritten by a job; try again in a moment.", "busy") });
    const first = segments().first();
    await userEvent.click(first.getByTestId("segment-edit"));
    await userEvent.fill(first.getByTestId("segment-input"), "Today we look at membranes.");
    await userEvent.keyboard("{Enter}");
    await expect.element(first.getByRole("alert")).toHaveTextContent(strings.lecture.editFailed);
    await expect.element(first.getByRole("alert")).toHaveTextContent("try again in a moment");
    await expect.element(first.getByTestId("segment-input")).toBeVisible();
  });

  it("finds words in the transcript and marks them", async () => {
    await openLecture();
    await userEvent.fill(page.getByTestId("transcript-find"), "membrane");
    await expect.element(page.getByTestId("transcript-matches")).toHaveTextContent(strings.lecture.matches(3));
    expect(page.getByTestId("transcript").element().querySelectorAll("mark")).toHaveLength(3);
  });

  it("exports the transcript in the chosen format", async () => {
    const log = await openLecture();
    await userEvent.click(page.getByTestId("export-menu"));
    await page.getByTestId("export-format").selectOptions("srt");
    await userEvent.fill(page.getByTestId("export-path"), "/home/sam/cells.srt");
    await userEvent.click(page.getByTestId("export-run"));
    await expect.element(page.getByText(strings.lecture.exported("/home/sam/cells.srt"))).toBeVisible();
    expect(log.argsOf("export_transcript")).toEqual([{ lectureId: "lecture-cells", format: "srt", path: "/home/sam/cells.srt" }]);
  });

  it("shows an export failure in the menu", async () => {
    await openLecture(fullData(), { export_transcript: fail("Cannot write /root/x.txt: permission denied.", "io") });
    await userEvent.click(page.getByTestId("export-menu"));
    await userEvent.fill(page.getByTestId("export-path"), "/root/x.txt");
    await userEvent.click(page.getByTestId("export-run"));
    await expect.element(page.getByRole("alert")).toHaveTextContent("permission denied");
  });

  it("shows the stored transcript when the transcription ends, not a recording's live lines", async () => {
    const data = fullData();
    const stored = data.transcripts["lecture-cells"] ?? [];
    data.transcripts["lecture-cells"] = [];
    await openLecture(data);
    await expect.element(page.getByText(strings.lecture.transcriptEmpty)).toBeVisible();
    // A recording's live segment (no id yet) is not part of the stored transcript.
    await fire("transcript-segment", {
      lectureId: "lecture-cells",
      live: true,
      segment: { id: "", lectureId: "lecture-cells", startMs: 0, endMs: 3000, text: "Good morning.", speaker: null },
    });
    await expect.element(page.getByText(strings.lecture.transcriptEmpty)).toBeVisible();
    // The job stores the segments, then the shell says the class's library changed.
    data.transcripts["lecture-cells"] = stored;
    await fire("library-changed", { classId: data.lectures[0]?.classId ?? "" });
    await expect.element(segments().first()).toHaveTextContent("Today we look at the cell membrane");
    expect(segments().elements()).toHaveLength(5);
  });

  it("shows each chunk's segments while the lecture is still being transcribed", async () => {
    const data = fullData();
    const stored = data.transcripts["lecture-cells"] ?? [];
    data.transcripts["lecture-cells"] = [];
    await openLecture(data);
    await expect.element(page.getByText(strings.lecture.transcriptEmpty)).toBeVisible();
    const job = { ...finishedJob("job-cells", "transcribe"), status: "running", subjectId: "lecture-cells" };
    // Progress of another lecture's transcription changes nothing here.
    data.transcripts["lecture-cells"] = stored.slice(0, 2);
    await fire("job-progress", { ...job, subjectId: "lecture-mito", percent: 40 });
    await expect.element(page.getByText(strings.lecture.transcriptEmpty)).toBeVisible();
    // The first chunk is stored: its segments show before the job ends.
    await fire("job-progress", { ...job, percent: 40 });
    await expect.poll(() => segments().elements().length).toBe(2);
    data.transcripts["lecture-cells"] = stored;
    await fire("job-progress", { ...job, percent: 100 });
    await expect.poll(() => segments().elements().length).toBe(5);
  });

  it("says why a lecture cannot be opened", async () => {
    await openLecture(fullData(), { get_lecture: fail("That lecture no longer exists.", "notFound") });
    await expect.element(page.getByRole("alert")).toHaveTextContent(strings.lecture.loadFailed);
    await expect.element(page.getByRole("alert")).toHaveTextContent("That lecture no longer exists.");
  });

  it("shows loading while the transcript has not arrived", async () => {
    await openLecture(fullData(), { get_transcript: hang });
    await expect.element(page.getByRole("region", { name: strings.lecture.transcript }).getByRole("status")).toHaveTextContent(strings.loading);
  });
});
