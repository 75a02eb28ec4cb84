import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import { strings } from "../strings";
import { shot, startApp } from "./app";
import { fail, fullData, hang } from "./fakeShell";

async function searchFor(words: string) {
  await userEvent.fill(page.getByTestId("global-search-input"), words);
  await userEvent.keyboard("{Enter}");
}

describe("search", () => {
  it("searches everything from the sidebar box and marks the matched words safely", async () => {
    const log = await startApp();
    await searchFor("osmosis");
    const results = page.getByTestId("search-result");
    await expect.element(results.first()).toHaveTextContent("Cells and membranes @ 0:18");
    await expect.element(results.first()).toHaveTextContent("Osmosis is the diffusion of water");
    expect(log.argsOf("search")).toEqual([{ query: "osmosis", classId: null, mode: "hybrid", limit: 20 }]);

    const marks = [...page.getByTestId("search-results").element().querySelectorAll("mark")].map((mark) => mark.textContent);
    expect(marks).toEqual(["Osmosis", "Osmosis"]);
    // Escaped markup inside a snippet comes out as text, never as HTML.
    await expect.element(results.nth(1)).toHaveTextContent("Osmosis moves water <i>toward</i> higher solute & more.");
    expect(results.nth(1).element().querySelector("i")).toBeNull();
    await expect.element(results.nth(1)).toHaveTextContent("Week 1 slides p. 2");
    await shot("search");
  });

  it("opens a lecture hit at its second", async () => {
    await startApp();
    await searchFor("osmosis");
    await userEvent.click(page.getByTestId("search-result").first());
    await expect.element(page.getByRole("heading", { level: 1, name: "Cells and membranes" })).toBeVisible();
    await expect.element(page.getByTestId("transcript-segment").nth(3)).toHaveAttribute("data-active", "true");
  });

  it("opens a document hit at its page", async () => {
    await startApp();
    await searchFor("osmosis");
    await userEvent.click(page.getByTestId("search-result").nth(1));
    await expect.element(page.getByRole("heading", { level: 1, name: "Week 1 slides" })).toBeVisible();
    const pages = page.getByTestId("document-page");
    await expect.element(pages.nth(1)).toHaveAttribute("aria-current", "location");
    await expect.element(pages.nth(2)).toHaveTextContent(strings.document.noText);
    await shot("document");
  });

  it("searches one class in another mode from the search page", async () => {
    const log = await startApp();
    await searchFor("water");
    await page.getByTestId("search-mode").selectOptions("semantic");
    await page.getByTestId("search-scope").selectOptions("class-bio");
    await userEvent.fill(page.getByTestId("search-input"), "how does water move");
    await userEvent.click(page.getByTestId("search-submit"));
    await expect.poll(() => log.argsOf("search").length).toBe(2);
    expect(log.argsOf("search")[1]).toEqual({ query: "how does water move", classId: "class-bio", mode: "semantic", limit: 20 });
  });

  it("says when nothing matches", async () => {
    const data = fullData();
    data.searchResults = [];
    await startApp(data);
    await searchFor("quantum");
    await expect.element(page.getByText(strings.search.none("quantum"))).toBeVisible();
  });

  it("says what to type before the first search", async () => {
    await startApp();
    await searchFor("");
    await expect.element(page.getByText(strings.search.empty)).toBeVisible();
  });

  it("shows a failed search next to the box, and searching while waiting", async () => {
    await startApp(fullData(), { search: fail("The search index is being rebuilt; try again in a minute.", "busy") });
    await searchFor("osmosis");
    await expect.element(page.getByRole("alert")).toHaveTextContent("The search index is being rebuilt");
  });

  it("says it is searching while the results have not arrived", async () => {
    await startApp(fullData(), { search: hang });
    await searchFor("osmosis");
    await expect.element(page.getByRole("status")).toHaveTextContent(strings.search.searching);
  });
});
