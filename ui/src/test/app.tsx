/** Starting the app against the fake shell, and small steps every UI test needs. */
import { render } from "@testing-library/react";
import { page, userEvent } from "@vitest/browser/context";
import { expect } from "vitest";
import { App } from "../App";
import type { ClassTab } from "../app/nav";
import { strings } from "../strings";
import { fullData, installShell, type FakeData, type Override, type ShellLog } from "./fakeShell";

/** Renders the app on the fake shell; resolves once the sidebar shows. */
export async function startApp(data: FakeData = fullData(), overrides: Record<string, Override> = {}): Promise<ShellLog> {
  const log = installShell(data, overrides);
  render(<App />);
  await expect.element(page.getByRole("heading", { name: strings.classes.heading })).toBeVisible();
  return log;
}

/** Opens a class from the sidebar, then one of its tabs. */
export async function openClass(name: string, tab: ClassTab = "lectures") {
  await userEvent.click(page.getByRole("button", { name: new RegExp(`^${name}`) }).first());
  if (tab !== "lectures") await userEvent.click(page.getByTestId(`tab-${tab}`));
  await expect.element(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

/** Saves a screenshot of the whole window to ui/test-output/ (gitignored) for a human to look at. */
export async function shot(name: string) {
  // Let fonts and transitions settle so the picture matches what a student sees.
  await new Promise((resolve) => setTimeout(resolve, 150));
  window.scrollTo(0, 0);
  await page.screenshot({ path: `../../test-output/${name}.png` });
}

/** A silent 16-bit mono WAV of `seconds`, as a blob URL the `<audio>` element can seek in. */
export function silentWav(seconds: number): string {
  const rate = 8000;
  const samples = rate * seconds;
  const buffer = new ArrayBuffer(44 + samples * 2);
  const view = new DataView(buffer);
  const text = (offset: number, value: string) => {
    for (let i = 0; i < value.length; i++) view.setUint8(offset + i, value.charCodeAt(i));
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + samples * 2, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, samples * 2, true);
  return URL.createObjectURL(new Blob([buffer], { type: "audio/wav" }));
}
