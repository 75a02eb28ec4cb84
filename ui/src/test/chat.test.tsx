import { page, userEvent } from "@vitest/browser/context";
import { describe, expect, it } from "vitest";
import type { MessageView } from "../api";
import { strings } from "../strings";
import { openClass, shot, startApp } from "./app";
import { emptyData, fail, fire, fullData } from "./fakeShell";

const answer: MessageView = {
  id: "m-new",
  role: "assistant",
  content: "Mitochondria make ATP [1].",
  citations: [
    { marker: 1, label: "Week 1 slides p. 2", chunkId: "chunk-2", locator: { kind: "documentPage", documentId: "doc-slides", page: 2 } },
  ],
  createdAt: Date.UTC(2026, 10, 22),
};

async function openChat(data = fullData(), overrides = {}) {
  const log = await startApp(data, overrides);
  await openClass("Biology", "chat");
  return log;
}

async function ask(question: string) {
  await userEvent.fill(page.getByTestId("chat-input"), question);
  await userEvent.keyboard("{Enter}");
}

describe("chat", () => {
  it("opens a conversation with its citations, and a chip plays the lecture from that moment", async () => {
    await openChat();
    await userEvent.click(page.getByTestId("conversation-open"));
    await expect.element(page.getByTestId("message-assistant")).toHaveTextContent("Osmosis is the diffusion of water");
    const chips = page.getByTestId("citation-chip");
    await expect.element(chips.first()).toHaveTextContent("Cells and membranes @ 0:18");
    await expect.element(chips.nth(1)).toHaveTextContent("Week 1 slides p. 2");
    await shot("chat");

    await userEvent.click(chips.first());
    await expect.element(page.getByRole("heading", { level: 1, name: "Cells and membranes" })).toBeVisible();
    await expect.element(page.getByTestId("transcript-segment").nth(3)).toHaveAttribute("data-active", "true");
  });

  it("streams an answer token by token and ends with the stored message and its sources", async () => {
    const log = await openChat(emptyData());
    await expect.element(page.getByText(strings.chat.empty)).toBeVisible();
    await ask("What do mitochondria make?");
    expect(log.argsOf("ask")).toEqual([{ question: "What do mitochondria make?", classId: "class-bio", conversationId: null }]);
    await expect.element(page.getByTestId("chat-streaming")).toHaveTextContent(strings.chat.thinking);
    await expect.element(page.getByTestId("chat-stop")).toBeEnabled();

    await fire("chat-token", { requestId: "req-1", text: "Mitochondria " });
    await fire("chat-token", { requestId: "other", text: "IGNORED " });
    await fire("chat-token", { requestId: "req-1", text: "make ATP" });
    await expect.element(page.getByTestId("chat-streaming")).toHaveTextContent("Mitochondria make ATP");

    await fire("chat-done", { requestId: "req-1", message: answer });
    await expect.element(page.getByTestId("message-assistant")).toHaveTextContent("Mitochondria make ATP [1].");
    await expect.element(page.getByTestId("message-user")).toHaveTextContent("What do mitochondria make?");
    await expect.element(page.getByTestId("citation-chip")).toHaveTextContent("Week 1 slides p. 2");
    await expect.element(page.getByTestId("chat-send")).toBeVisible();

    // The next question continues the same conversation.
    await ask("And what else?");
    expect(log.argsOf("ask")[1]).toEqual({ question: "And what else?", classId: "class-bio", conversationId: "conv-new" });
  });

  it("handles an answer that streams and finishes before ask has returned", async () => {
    let answerNow: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => {
      answerNow = resolve;
    });
    await openChat(emptyData(), {
      ask: async () => {
        await asked;
        return { requestId: "req-fast", conversationId: "conv-fast" };
      },
    });
    await ask("Quick one?");
    await fire("chat-token", { requestId: "req-fast", text: "Mitochondria make ATP [1]." });
    await fire("chat-done", { requestId: "req-fast", message: answer });
    answerNow();
    await expect.element(page.getByTestId("message-assistant")).toHaveTextContent("Mitochondria make ATP [1].");
    await expect.element(page.getByTestId("chat-send")).toBeVisible();
  });

  it("stops an answer on request and keeps what was written", async () => {
    const log = await openChat(emptyData());
    await ask("Explain osmosis");
    await fire("chat-token", { requestId: "req-1", text: "Osmosis is" });
    await userEvent.click(page.getByTestId("chat-stop"));
    expect(log.argsOf("stop_answer")).toEqual([{ requestId: "req-1" }]);
    await fire("chat-done", { requestId: "req-1", error: { kind: "busy", message: "the answer was stopped" } });
    await expect.element(page.getByTestId("message-assistant")).toHaveTextContent("Osmosis is");
    expect(page.getByRole("alert").elements()).toHaveLength(0);
  });

  it("shows why an answer failed and keeps the question when asking is refused", async () => {
    await openChat(emptyData(), { ask: fail("No language model is installed. Run scripts/fetch-models.", "missingModel") });
    await ask("Explain osmosis");
    await expect.element(page.getByRole("alert")).toHaveTextContent("No language model is installed.");
    await expect.element(page.getByTestId("chat-input")).toHaveValue("Explain osmosis");
  });

  it("shows a failure reported at the end of the stream", async () => {
    await openChat(emptyData());
    await ask("Explain osmosis");
    await fire("chat-done", { requestId: "req-1", error: { kind: "worker", message: "The language model stopped unexpectedly." } });
    await expect.element(page.getByRole("alert")).toHaveTextContent("The language model stopped unexpectedly.");
  });

  it("reads an answer aloud, sentence by sentence", async () => {
    const log = await openChat();
    await userEvent.click(page.getByTestId("conversation-open"));
    await userEvent.click(page.getByTestId("read-aloud"));
    expect(log.argsOf("read_aloud")[0]?.text).toContain("Osmosis is the diffusion");
    await expect.element(page.getByTestId("read-aloud")).toHaveAttribute("aria-pressed", "true");
    await fire("read-aloud", { sessionId: "speech-1", done: true });
    await expect.element(page.getByTestId("read-aloud")).toHaveAttribute("aria-pressed", "false");
  });

  it("says when the conversations cannot be listed", async () => {
    await openChat(fullData(), { list_conversations: fail("The chat history is unreadable.", "io") });
    await expect.element(page.getByRole("alert")).toHaveTextContent("The chat history is unreadable.");
    await expect.element(page.getByTestId("chat-input")).toBeEnabled();
  });

  it("renames a conversation in place: Enter saves, Esc cancels", async () => {
    const log = await openChat();
    const item = page.getByTestId("conversation-item");
    await userEvent.click(item.getByTestId("conversation-rename"));
    await userEvent.fill(page.getByTestId("conversation-rename-input"), "Osmosis basics");
    await userEvent.keyboard("{Enter}");
    await expect.element(page.getByTestId("conversation-open")).toHaveTextContent("Osmosis basics");
    expect(log.argsOf("rename_conversation")).toEqual([{ conversationId: "conv-1", title: "Osmosis basics" }]);

    await userEvent.click(item.getByTestId("conversation-rename"));
    await userEvent.fill(page.getByTestId("conversation-rename-input"), "thrown away");
    await userEvent.keyboard("{Escape}");
    await expect.element(page.getByTestId("conversation-open")).toHaveTextContent("Osmosis basics");
    expect(log.argsOf("rename_conversation")).toHaveLength(1);
  });

  it("keeps the title field and says why a rename failed", async () => {
    await openChat(fullData(), { rename_conversation: fail("A title can have at most 200 characters.", "invalidInput") });
    await userEvent.click(page.getByTestId("conversation-rename"));
    await userEvent.fill(page.getByTestId("conversation-rename-input"), "x".repeat(201));
    await userEvent.keyboard("{Enter}");
    await expect.element(page.getByRole("alert")).toHaveTextContent("at most 200 characters");
    await expect.element(page.getByTestId("conversation-rename-input")).toBeVisible();
  });

  it("deletes the open conversation after confirming, and starts a new one", async () => {
    const log = await openChat();
    await userEvent.click(page.getByTestId("conversation-open"));
    await expect.element(page.getByTestId("message-assistant")).toBeVisible();
    await userEvent.click(page.getByTestId("conversation-delete"));
    await expect.element(page.getByText(strings.chat.confirmDelete("What is osmosis?"))).toBeVisible();
    await shot("chat-delete");
    await userEvent.click(page.getByTestId("conversation-delete-confirm"));
    await expect.element(page.getByText(strings.chat.listEmpty)).toBeVisible();
    await expect.element(page.getByText(strings.chat.empty)).toBeVisible();
    expect(page.getByTestId("message-assistant").elements()).toHaveLength(0);
    expect(log.argsOf("delete_conversation")).toEqual([{ conversationId: "conv-1" }]);
  });
});
