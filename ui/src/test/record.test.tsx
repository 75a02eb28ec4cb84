import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import { strings } from "../strings";
import { openClass, shot, startApp } from "./app";
import { fail, fire, fullData } from "./fakeShell";

async function openRecorder(data = fullData(), overrides = {}) {
  const log = await startApp(data, overrides);
  await openClass("Biology");
  await userEvent.click(page.getByTestId("record-link"));
  await expect.element(page.getByRole("heading", { level: 1, name: strings.record.heading })).toBeVisible();
  return log;
}

describe("recording", () => {
  it("records with a chosen microphone, shows level, time and live transcript, pauses and stops", async () => {
    const log = await openRecorder();
    await page.getByTestId("record-device").selectOptions("hw:1,0");
    await userEvent.fill(page.getByTestId("record-title"), "Cell signalling");
    await userEvent.click(page.getByTestId("record-start"));
    expect(log.argsOf("start_recording")).toEqual([{ classId: "class-bio", title: "Cell signalling", deviceName: "hw:1,0" }]);
    await expect.element(page.getByTestId("record-status")).toHaveTextContent(strings.record.recording);

    await fire("recording-level", { rms: -20, peak: -6, elapsedMs: 65_000, paused: false });
    await expect.element(page.getByTestId("record-elapsed")).toHaveTextContent("1:05");
    // −20 dBFS is two thirds of the way up a 60 dB scale.
    await expect.element(page.getByTestId("level-meter")).toHaveAttribute("aria-valuenow", "67");
    await fire("recording-level", { rms: -100, peak: -100, elapsedMs: 65_100, paused: false });
    await expect.element(page.getByTestId("level-meter")).toHaveAttribute("aria-valuenow", "0");

    // Live segments are not stored yet: the shell sends them without an id.
    const live = (startMs: number, text: string) => ({
      lectureId: "lecture-rec",
      live: true,
      segment: { id: "", lectureId: "lecture-rec", startMs, endMs: startMs + 4000, text, speaker: null },
    });
    await fire("transcript-segment", live(0, "Receptors bind ligands."));
    await fire("transcript-segment", live(4000, "The signal is passed on inside the cell."));
    await expect.element(page.getByTestId("transcript-segment").nth(1)).toHaveTextContent("The signal is passed on inside the cell.");
    await expect.element(page.getByTestId("transcript-segment").nth(0)).toHaveTextContent("Receptors bind ligands.");
    expect(page.getByTestId("transcript-segment").elements()).toHaveLength(2);
    await shot("record");

    await userEvent.click(page.getByTestId("record-pause"));
    await expect.element(page.getByTestId("record-status")).toHaveTextContent(strings.record.paused);
    await expect.element(page.getByTestId("record-pause")).toHaveTextContent(strings.record.resume);
    await userEvent.click(page.getByTestId("record-pause"));
    expect(log.argsOf("resume_recording")).toHaveLength(1);

    await userEvent.click(page.getByTestId("record-stop"));
    await expect.element(page.getByRole("status")).toHaveTextContent(strings.record.stopped("Lecture"));
    await userEvent.click(page.getByTestId("record-open-lecture"));
    expect(log.argsOf("get_lecture")).toEqual([{ lectureId: "lecture-rec" }]);
  });

  it("returns to a recording that is already running", async () => {
    await openRecorder(fullData(), {
      recording_state: () => ({ lectureId: "lecture-rec", classId: "class-bio", title: "Ongoing", elapsedMs: 125_000, paused: false, liveTranscript: true }),
    });
    await expect.element(page.getByTestId("record-elapsed")).toHaveTextContent("2:05");
    await expect.element(page.getByTestId("record-status")).toHaveTextContent("Ongoing");
  });

  it("says when there is no microphone", async () => {
    const data = fullData();
    data.devices = [];
    await openRecorder(data);
    await expect.element(page.getByText(strings.record.noDevices)).toBeVisible();
    await expect.element(page.getByTestId("record-start")).toBeDisabled();
  });

  it("shows why recording could not start", async () => {
    await openRecorder(fullData(), { start_recording: fail("The microphone is used by another program.", "busy") });
    await userEvent.click(page.getByTestId("record-start"));
    await expect.element(page.getByRole("alert")).toHaveTextContent("The microphone is used by another program.");
    await expect.element(page.getByTestId("record-start")).toBeEnabled();
  });

  it("shows why the microphones could not be listed", async () => {
    await openRecorder(fullData(), { list_input_devices: fail("ALSA: no sound card.", "io") });
    await expect.element(page.getByRole("alert")).toHaveTextContent("ALSA: no sound card.");
  });
});
