/** The app comes back where the student left it (class and tab, or settings). */
import { cleanup } from "@testing-library/react";
import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import { strings } from "../strings";
import { openClass, startApp } from "./app";
import { fullData } from "./fakeShell";

/** Closes the window and starts the app again on the same data (localStorage survives). */
async function restart(data = fullData()) {
  cleanup();
  await startApp(data);
}

describe("last place", () => {
  it("reopens the last class on the last tab", async () => {
    await startApp();
    await openClass("History", "quizzes");
    await restart();
    await expect.element(page.getByRole("heading", { level: 1, name: "History" })).toBeVisible();
    await expect.element(page.getByTestId("tab-quizzes")).toHaveAttribute("aria-selected", "true");
  });

  it("reopens a lecture's class on its lectures tab, and settings as settings", async () => {
    await startApp();
    await openClass("Biology", "notes");
    await userEvent.click(page.getByTestId("tab-lectures"));
    await userEvent.click(page.getByRole("button", { name: /^Cells and membranes/ }));
    await expect.element(page.getByRole("heading", { level: 1, name: "Cells and membranes" })).toBeVisible();
    await restart();
    await expect.element(page.getByRole("heading", { level: 1, name: "Biology" })).toBeVisible();
    await expect.element(page.getByTestId("tab-lectures")).toHaveAttribute("aria-selected", "true");

    await userEvent.click(page.getByTestId("settings-link"));
    await restart();
    await expect.element(page.getByRole("heading", { level: 1, name: strings.settings.heading })).toBeVisible();
  });

  it("starts at home when the remembered class is gone or the record is damaged", async () => {
    await startApp();
    await openClass("History", "chat");
    const data = fullData();
    data.classes = data.classes.filter((item) => item.name !== "History");
    await restart(data);
    await expect.element(page.getByRole("heading", { level: 1, name: strings.home.heading })).toBeVisible();

    window.localStorage.setItem("littlemonster.lastPlace", "{not json");
    await restart();
    await expect.element(page.getByRole("heading", { level: 1, name: strings.home.heading })).toBeVisible();
  });
});
