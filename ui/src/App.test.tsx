import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "./App";
import type { AppInfo, ModelSummary } from "./api";
import { strings } from "./strings";

const info: AppInfo = {
  version: "9.8.7",
  dataDir: "/home/student/.local/share/littlemonster",
  modelsDir: "/home/student/.local/share/littlemonster/models",
};

const whisper: ModelSummary = {
  id: "whisper-tiny.en",
  name: "Whisper tiny.en",
  role: "stt",
  description: "English-only speech recognition.",
  sizeBytes: 77_704_698,
  presence: "installed",
  problem: null,
};

const smollm: ModelSummary = {
  id: "smollm2-135m",
  name: "SmolLM2 135M Instruct",
  role: "llm",
  description: "A tiny chat model.",
  sizeBytes: 98_000_000,
  presence: "incomplete",
  problem: "/models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf: wrong size (5 bytes, expected 98000000)",
};

/** Answers the shell's commands from fixed data, as the Rust side would. */
function mockShell(models: ModelSummary[], calls: string[] = []) {
  mockIPC((command) => {
    calls.push(command);
    if (command === "app_info") return info;
    if (command === "list_models") return models;
    throw new Error(`unexpected command ${command}`);
  });
}

function modelsSection() {
  return within(screen.getByRole("region", { name: strings.models.heading }));
}

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("first screen", () => {
  it("shows the version and folders that app_info returns", async () => {
    const calls: string[] = [];
    mockShell([whisper], calls);

    render(<App />);

    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe(strings.home.heading);
    expect(screen.getByText(strings.installation.loading)).toBeTruthy();
    expect(await screen.findByText(info.version)).toBeTruthy();
    expect(screen.getByText(info.dataDir).tagName).toBe("CODE");
    expect(screen.getByText(info.modelsDir).tagName).toBe("CODE");
    expect(screen.queryByText(strings.installation.loading)).toBeNull();
    expect(calls.sort()).toEqual(["app_info", "list_models"]);
  });

  it("lists each model with its installed state", async () => {
    mockShell([whisper, smollm]);

    render(<App />);

    const rows = await modelsSection().findAllByRole("listitem");
    expect(rows).toHaveLength(2);
    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(first.textContent).toContain(whisper.name);
    expect(first.textContent).toContain(strings.models.roles.stt);
    expect(first.textContent).toContain("78 MB");
    expect(first.textContent).toContain(strings.models.presence.installed);
    expect(second.textContent).toContain(strings.models.presence.incomplete);
    expect(second.textContent).toContain(smollm.problem);
    expect(modelsSection().queryByText(strings.models.noneInstalled)).toBeNull();
  });

  it("says how to install models when none is installed", async () => {
    mockShell([{ ...whisper, presence: "missing", problem: "missing" }]);

    render(<App />);

    expect(await modelsSection().findByText(strings.models.noneInstalled)).toBeTruthy();
    expect(modelsSection().getByText(strings.models.howToInstall)).toBeTruthy();
    expect(modelsSection().getByRole("listitem").textContent).toContain(strings.models.presence.missing);
  });

  it("says what went wrong when app_info fails, and retries on request", async () => {
    let failures = 1;
    mockIPC((command) => {
      if (command === "list_models") return [whisper];
      if (command !== "app_info") throw new Error(`unexpected command ${command}`);
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(new Error('app_info not allowed on window "main"'));
      }
      return info;
    });

    render(<App />);

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain(strings.installation.failed);
    expect(alert.textContent).toContain('app_info not allowed on window "main"');
    expect(screen.queryByText(info.version)).toBeNull();

    fireEvent.click(within(alert).getByRole("button", { name: strings.installation.retry }));

    expect(await screen.findByText(info.version)).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
