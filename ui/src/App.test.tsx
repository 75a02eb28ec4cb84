import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "./App";
import type { AppInfo } from "./api";
import { strings } from "./strings";

const info: AppInfo = {
  version: "9.8.7",
  dataDir: "/home/student/.local/share/littlemonster",
  modelsDir: "/home/student/.local/share/littlemonster/models",
};

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("first screen", () => {
  it("shows the version and folders that app_info returns", async () => {
    const calls: string[] = [];
    mockIPC((command) => {
      calls.push(command);
      if (command === "app_info") return info;
      throw new Error(`unexpected command ${command}`);
    });

    render(<App />);

    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe(strings.home.heading);
    expect(screen.getByRole("status").textContent).toBe(strings.installation.loading);
    expect(await screen.findByText(info.version)).toBeTruthy();
    expect(screen.getByText(info.dataDir).tagName).toBe("CODE");
    expect(screen.getByText(info.modelsDir).tagName).toBe("CODE");
    expect(screen.getByText(strings.installation.modelsHint)).toBeTruthy();
    expect(screen.queryByRole("status")).toBeNull();
    expect(calls).toEqual(["app_info"]);
  });

  it("says what went wrong when app_info fails, and retries on request", async () => {
    let failures = 1;
    mockIPC((command) => {
      if (command !== "app_info") throw new Error(`unexpected command ${command}`);
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(new Error("app_info not allowed on window \"main\""));
      }
      return info;
    });

    render(<App />);

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain(strings.installation.failed);
    expect(alert.textContent).toContain('app_info not allowed on window "main"');
    expect(screen.queryByText(info.version)).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: strings.installation.retry }));

    expect(await screen.findByText(info.version)).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
