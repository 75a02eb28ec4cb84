import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import { strings } from "../strings";
import { openClass, shot, startApp } from "./app";
import { emptyData, fail, fullData, hang, installShell, rejection } from "./fakeShell";
import { render } from "@testing-library/react";
import { App } from "../App";

describe("first run", () => {
  it("creates a profile and a first class, and says everything stays offline", async () => {
    const data = fullData();
    data.profiles = [];
    data.classes = [];
    const log = installShell(data);
    render(<App />);

    await expect.element(page.getByRole("heading", { name: strings.onboarding.heading })).toBeVisible();
    await expect.element(page.getByText(strings.onboarding.offline)).toBeVisible();
    await expect.element(page.getByTestId("onboarding-start")).toBeDisabled();
    await shot("onboarding");

    await userEvent.fill(page.getByTestId("onboarding-profile"), "Sam");
    await userEvent.fill(page.getByTestId("onboarding-class"), "Chemistry");
    await userEvent.click(page.getByTestId("onboarding-start"));

    await expect.element(page.getByTestId("class-item").getByText("Chemistry")).toBeVisible();
    // The app opens on the new class.
    await expect.element(page.getByRole("heading", { level: 1, name: "Chemistry" })).toBeVisible();
    expect(log.argsOf("create_profile")).toEqual([{ name: "Sam" }]);
    expect(log.argsOf("create_class")).toEqual([{ name: "Chemistry" }]);
  });

  it("asks only for a class when the profile exists, and shows a failure next to the form", async () => {
    const data = fullData();
    data.classes = [];
    installShell(data, { create_class: fail("A class needs a name of at most 80 characters.", "invalidInput") });
    render(<App />);

    await expect.element(page.getByTestId("onboarding-class")).toBeVisible();
    expect(page.getByTestId("onboarding-profile").elements()).toHaveLength(0);
    await userEvent.fill(page.getByTestId("onboarding-class"), "Chemistry");
    await userEvent.click(page.getByTestId("onboarding-start"));

    const alert = page.getByRole("alert");
    await expect.element(alert).toHaveTextContent(strings.onboarding.failed);
    await expect.element(alert).toHaveTextContent("A class needs a name of at most 80 characters.");
    await expect.element(page.getByTestId("onboarding-start")).toBeEnabled();
  });
});

describe("sidebar and home", () => {
  it("lists classes with their due cards and opens one", async () => {
    await startApp();
    const items = page.getByTestId("class-item");
    await expect.element(items.first()).toHaveTextContent("Biology");
    expect(items.elements()).toHaveLength(2);
    await expect.element(items.first().getByTestId("class-due")).toHaveTextContent("2");
    await expect.element(page.getByRole("button", { name: /^History/ }).first()).toBeVisible();
    await shot("home");

    await openClass("Biology");
    await expect.element(page.getByTestId("tab-lectures")).toHaveAttribute("aria-selected", "true");
  });

  it("creates, renames and deletes classes", async () => {
    const log = await startApp();
    await userEvent.fill(page.getByTestId("new-class-input"), "Physics");
    await userEvent.click(page.getByTestId("new-class-button"));
    await expect.element(page.getByRole("heading", { level: 1, name: "Physics" })).toBeVisible();
    expect(log.argsOf("create_class")).toEqual([{ name: "Physics" }]);

    const physics = page.getByTestId("class-item").nth(2);
    await userEvent.click(physics.getByTestId("class-rename"));
    await userEvent.fill(page.getByTestId("class-rename-input"), "Physics II");
    await userEvent.keyboard("{Enter}");
    await expect.element(physics).toHaveTextContent("Physics II");
    expect(log.argsOf("rename_class")).toEqual([{ classId: "class-3", name: "Physics II" }]);

    await userEvent.click(physics.getByTestId("class-delete"));
    await expect.element(physics.getByRole("group")).toHaveTextContent(strings.classes.confirmDelete("Physics II"));
    await userEvent.click(physics.getByTestId("class-delete-confirm"));
    await expect.poll(() => page.getByTestId("class-item").elements().length).toBe(2);
    expect(log.argsOf("delete_class")).toEqual([{ classId: "class-3" }]);
    // The deleted class was on screen: the app goes home.
    await expect.element(page.getByRole("heading", { level: 1, name: strings.home.heading })).toBeVisible();
  });

  it("shows why the classes did not load and retries", async () => {
    let call = 0;
    const data = emptyData();
    await startApp(data, {
      list_classes: () => {
        // The start check lists classes first; the sidebar's own load is the one that fails.
        if (call++ === 1) return rejection("The library database is locked by another program.", "io");
        return data.classes;
      },
    });
    const alert = page.getByRole("alert").first();
    await expect.element(alert).toHaveTextContent("The library database is locked by another program.");
    await userEvent.click(alert.getByRole("button", { name: strings.retry }));
    await expect.element(page.getByTestId("class-item")).toHaveTextContent("Biology");
  });

  it("says when the library cannot be opened at all, and tries again", async () => {
    let failures = 1;
    const data = fullData();
    installShell(data, {
      list_profiles: () => (failures-- > 0 ? rejection("Disk full.", "io") : data.profiles),
    });
    render(<App />);
    const alert = page.getByRole("alert");
    await expect.element(alert).toHaveTextContent(strings.startFailed);
    await expect.element(alert).toHaveTextContent("Disk full.");
    await userEvent.click(alert.getByRole("button", { name: strings.retry }));
    await expect.element(page.getByTestId("class-item").first()).toHaveTextContent("Biology");
  });

  it("says it is loading while the classes have not arrived", async () => {
    const data = fullData();
    let calls = 0;
    await startApp(data, { list_classes: (args) => (calls++ === 0 ? data.classes : hang(args)) });
    await expect.element(page.getByRole("status").first()).toHaveTextContent(strings.loading);
  });

  it("switches between light and dark themes and remembers the choice", async () => {
    await startApp();
    const before = document.documentElement.dataset.theme;
    await userEvent.click(page.getByTestId("theme-toggle"));
    const after = document.documentElement.dataset.theme;
    expect(after).not.toBe(before);
    expect(window.localStorage.getItem("littlemonster.theme")).toBe(after);
    if (after === "dark") await shot("home-dark");
    else {
      await userEvent.click(page.getByTestId("theme-toggle"));
      await shot("home-dark");
    }
  });

  it("moves between class tabs with the arrow keys", async () => {
    await startApp();
    await openClass("Biology");
    (page.getByTestId("tab-lectures").element() as HTMLElement).focus();
    await userEvent.keyboard("{ArrowRight}");
    await expect.element(page.getByTestId("tab-documents")).toHaveAttribute("aria-selected", "true");
    expect(document.activeElement).toBe(page.getByTestId("tab-documents").element());
    await userEvent.keyboard("{End}");
    await expect.element(page.getByTestId("tab-chat")).toHaveAttribute("aria-selected", "true");
    await userEvent.keyboard("{ArrowRight}");
    await expect.element(page.getByTestId("tab-lectures")).toHaveAttribute("aria-selected", "true");
  });
});
