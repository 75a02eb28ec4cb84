import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import { strings } from "../strings";
import { shot, startApp } from "./app";
import { fail, fullData, hang } from "./fakeShell";

async function openSettings(data = fullData(), overrides = {}) {
  const log = await startApp(data, overrides);
  await userEvent.click(page.getByTestId("settings-link"));
  await expect.element(page.getByRole("heading", { level: 1, name: strings.settings.heading })).toBeVisible();
  return log;
}

describe("settings", () => {
  it("lists profiles, switches and creates them", async () => {
    const log = await openSettings();
    const items = page.getByTestId("profile-item");
    await expect.element(items.first()).toHaveTextContent(strings.settings.active);
    await userEvent.click(page.getByRole("button", { name: strings.settings.switchTo("Alex") }));
    expect(log.argsOf("switch_profile")).toEqual([{ profileId: "profile-alex" }]);
    // A switch reloads the classes and goes home.
    await expect.element(page.getByRole("heading", { level: 1, name: strings.home.heading })).toBeVisible();

    await userEvent.click(page.getByTestId("settings-link"));
    await userEvent.fill(page.getByTestId("new-profile-input"), "Robin");
    await userEvent.click(page.getByTestId("new-profile-button"));
    expect(log.argsOf("create_profile")).toEqual([{ name: "Robin" }]);
  });

  it("shows models with sizes and problems, and verifies them", async () => {
    const log = await openSettings();
    const rows = page.getByTestId("model-row");
    await expect.element(rows.first()).toHaveTextContent("Whisper tiny.en");
    await expect.element(rows.first()).toHaveTextContent("78 MB");
    await expect.element(rows.nth(2)).toHaveTextContent(strings.models.presence.incomplete);
    await expect.element(rows.nth(2)).toHaveTextContent("wrong size");
    await userEvent.click(page.getByTestId("models-verify"));
    await expect.poll(() => log.argsOf("verify_models").length).toBe(1);
    await shot("settings");
  });

  it("says how to install models when none is installed", async () => {
    const data = fullData();
    data.models = data.models.map((model) => ({ ...model, presence: "missing", problem: "missing" }));
    await openSettings(data);
    await expect.element(page.getByText(strings.models.noneInstalled)).toBeVisible();
    await expect.element(page.getByText(strings.models.howToInstall)).toBeVisible();
  });

  it("saves engine settings", async () => {
    const log = await openSettings();
    await expect.element(page.getByTestId("settings-save")).toBeDisabled();
    await userEvent.fill(page.getByTestId("settings-threads"), "2");
    await userEvent.click(page.getByTestId("settings-save"));
    await expect.element(page.getByText(strings.settings.saved)).toBeVisible();
    expect(log.argsOf("save_settings")).toEqual([
      { settings: { threads: 2, whisperModel: "whisper-tiny.en", llmModel: "smollm2-135m", voice: "piper-joe" } },
    ]);
  });

  it("shows a failed save next to the form", async () => {
    await openSettings(fullData(), { save_settings: fail("Threads must be between 1 and 64.", "invalidInput") });
    await userEvent.fill(page.getByTestId("settings-threads"), "3");
    await userEvent.click(page.getByTestId("settings-save"));
    await expect.element(page.getByRole("alert")).toHaveTextContent("Threads must be between 1 and 64.");
  });

  it("shows diagnostics: workers found and missing, and the last log lines", async () => {
    await openSettings();
    const card = page.getByRole("region", { name: strings.settings.diagnostics });
    await expect.element(card).toHaveTextContent("/opt/littlemonster/lm-stt-worker");
    await expect.element(card).toHaveTextContent("linux x86_64");
    await expect.element(card).toHaveTextContent(`lm-llm-worker: ${strings.settings.workerMissing}`);
    await expect.element(page.getByTestId("log-tail")).toHaveTextContent("WARN lm-llm-worker not found", { normalizeWhitespace: true });
  });

  it("shows each card's loading and failure on its own", async () => {
    await openSettings(fullData(), { get_diagnostics: hang, diagnostics: fail("Cannot read the log file.", "io"), get_settings: hang });
    await expect.element(page.getByRole("region", { name: strings.settings.diagnostics }).getByRole("alert")).toHaveTextContent("Cannot read the log file.");
    await expect.element(page.getByRole("region", { name: strings.settings.engines }).getByRole("status")).toHaveTextContent(strings.loading);
    await expect.element(page.getByTestId("profile-item").first()).toBeVisible();
  });
});
