/** Keyboard use: every control of a screen is reachable with Tab, in reading order, with a visible focus. */
import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import type { JobSummary } from "../api";
import { strings } from "../strings";
import { openClass, startApp } from "./app";
import { finishedJob, fire, fullData } from "./fakeShell";

/** What a test calls a control: its test id, else its accessible label, else its text. */
function nameOf(element: Element): string {
  return element.getAttribute("data-testid") ?? element.getAttribute("aria-label") ?? element.textContent.trim();
}

/** The controls a keyboard user should be able to reach inside `root`, in document order. */
function reachable(root: Element): Element[] {
  const selector = "button, input, select, textarea, a[href], summary, [tabindex]";
  return Array.from(root.querySelectorAll(selector)).filter(
    (element) =>
      !(element as HTMLButtonElement).disabled &&
      element.getAttribute("tabindex") !== "-1" &&
      // Hidden elements (closed details, say) take no focus.
      element.getClientRects().length > 0,
  );
}

/** Presses Tab from `start` until focus leaves `root`; returns each control focused on the way. */
async function tabThrough(start: HTMLElement, root: Element): Promise<Element[]> {
  start.focus();
  const visited: Element[] = [];
  for (let step = 0; step < 80; step++) {
    await userEvent.tab();
    const focused = document.activeElement;
    if (focused === null || !root.contains(focused)) break;
    if (visited.at(-1) !== focused) visited.push(focused);
    // The focus ring must show, and the control itself must be visible (not an opacity-0 hover action).
    const style = getComputedStyle(focused);
    expect(style.outlineStyle, `focus ring on ${nameOf(focused)}`).toBe("solid");
    expect(Number(style.opacity), `opacity of ${nameOf(focused)}`).toBeGreaterThan(0.9);
  }
  return visited;
}

describe("keyboard", () => {
  it("reaches every control of the flashcards tab in order, with a visible focus", async () => {
    await startApp();
    await openClass("Biology", "flashcards");
    await expect.element(page.getByTestId("card-row").first()).toBeVisible();
    const panel = page.getByRole("tabpanel").element();
    const visited = await tabThrough(page.getByTestId("tab-flashcards").element() as HTMLElement, panel);
    const names = visited.map(nameOf);
    expect(names.slice(0, 4)).toEqual(["study-scope", "cards-count", "cards-generate", "card-show"]);
    expect(names.slice(4, 8)).toEqual(["cards-csv-path", "card-edit", "card-suspend", "card-delete"]);
    expect(visited).toEqual(reachable(panel));
  });

  it("reaches every control of the chat tab in order, including rename and delete", async () => {
    await startApp();
    await openClass("Biology", "chat");
    await expect.element(page.getByTestId("conversation-open")).toBeVisible();
    const panel = page.getByRole("tabpanel").element();
    const visited = await tabThrough(page.getByTestId("tab-chat").element() as HTMLElement, panel);
    expect(visited.map(nameOf)).toEqual(["chat-new", "conversation-open", "conversation-rename", "conversation-delete", "chat-input"]);
    expect(visited).toEqual(reachable(panel));
  });

  it("reaches the transcript tools while editing a segment, and shows their shortcuts on focus", async () => {
    await startApp();
    await openClass("Biology");
    await userEvent.click(page.getByRole("button", { name: /^Cells and membranes/ }));
    const first = page.getByTestId("transcript-segment").first();
    await userEvent.click(first.getByTestId("segment-edit"));
    const visited = await tabThrough(first.getByTestId("segment-input").element() as HTMLElement, first.element());
    expect(visited.map(nameOf)).toEqual(["segment-split", "segment-merge"]);
    // Back onto the merge button (tabbing went one past it): its tooltip shows and describes it.
    await userEvent.tab({ shift: true });
    await expect.element(first.getByTestId("segment-merge")).toHaveFocus();
    const tip = first.getByRole("tooltip", { name: strings.lecture.mergeTip });
    await expect.element(first.getByTestId("segment-merge")).toHaveAccessibleDescription(strings.lecture.mergeTip);
    await expect.poll(() => getComputedStyle(tip.element()).opacity).toBe("1");
  });
});

describe("live regions", () => {
  it("announces a job's start and end, not each percent", async () => {
    await startApp();
    const job: JobSummary = { ...finishedJob("job-notes", "notes"), subject: "Cells and membranes", status: "running", percent: 10 };
    const announcer = page.getByTestId("job-announcer");
    await expect.element(announcer).toHaveAttribute("aria-live", "polite");
    await fire("job-progress", job);
    const running = `${strings.jobs.title("notes", "Cells and membranes")}: ${strings.jobs.status.running}`;
    await expect.element(announcer).toHaveTextContent(running);
    await fire("job-progress", { ...job, percent: 50, updatedAt: job.updatedAt + 1 });
    await fire("job-progress", { ...job, status: "failed", error: "The language model is missing.", updatedAt: job.updatedAt + 2 });
    await expect.element(announcer).toHaveTextContent(`${strings.jobs.status.failed}. The language model is missing.`);
  });

  it("keeps a streamed answer busy for screen readers until it is complete", async () => {
    const data = fullData();
    data.conversations = [];
    await startApp(data);
    await openClass("Biology", "chat");
    const messages = page.getByTestId("chat-messages");
    await expect.element(messages).toHaveAttribute("aria-live", "polite");
    await userEvent.fill(page.getByTestId("chat-input"), "What is osmosis?");
    await userEvent.keyboard("{Enter}");
    await expect.element(messages).toHaveAttribute("aria-busy", "true");
    await expect.element(page.getByText(strings.chat.answering)).toBeInTheDocument();
    await fire("chat-token", { requestId: "req-1", text: "Water moving." });
    await fire("chat-done", {
      requestId: "req-1",
      message: { id: "m-answer", role: "assistant", content: "Water moving.", citations: [], createdAt: Date.UTC(2027, 0, 1) },
    });
    await expect.element(messages).toHaveAttribute("aria-busy", "false");
    await expect.element(page.getByTestId("message-assistant")).toHaveTextContent("Water moving.");
  });
});
