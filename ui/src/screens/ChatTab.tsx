import { useCallback, useEffect, useRef, useState, type SyntheticEvent } from "react";
import {
  ask,
  deleteConversation,
  describeError,
  getConversation,
  listConversations,
  onChatDone,
  onChatToken,
  renameConversation,
  stopAnswer,
  type ChatDone,
  type CitationView,
  type ConversationSummary,
  type MessageView,
} from "../api";
import { useReadAloud } from "../app/readAloud";
import { ActionError, Empty, ErrorText, Loaded, Loading, useOpenSource } from "../components/common";
import { ConfirmDelete } from "../components/ConfirmDelete";
import { InlineRename } from "../components/InlineRename";
import { strings } from "../strings";
import { useCommand, useEvent } from "../useCommand";

/** The answer being written: its request (once `ask` answered) and what has arrived. */
interface Pending {
  question: string;
  requestId: string | null;
}

function Citations({ citations }: { citations: CitationView[] }) {
  const open = useOpenSource();
  if (citations.length === 0) return null;
  return (
    <div className="citations" aria-label={strings.chat.sources} role="group">
      {citations.map((citation) => (
        <button
          key={citation.marker}
          type="button"
          className={`chip chip-${citation.locator.kind}`}
          data-testid="citation-chip"
          onClick={() => {
            open(citation.locator);
          }}
        >
          <span className="chip-number">{citation.marker}</span> {citation.label}
        </button>
      ))}
    </div>
  );
}

function Message({ message, reader }: { message: MessageView; reader: ReturnType<typeof useReadAloud> }) {
  const speaking = reader.speakingKey === message.id;
  return (
    <li className={`message message-${message.role}`} data-testid={`message-${message.role}`}>
      <p className="message-author">{message.role === "user" ? strings.chat.you : strings.chat.assistant}</p>
      <p className="message-text">{message.content}</p>
      {message.role === "assistant" && (
        <>
          <Citations citations={message.citations} />
          <button
            type="button"
            className="secondary small"
            data-testid="read-aloud"
            aria-pressed={speaking}
            onClick={() => {
              if (speaking) reader.stop();
              else void reader.start(message.id, message.content);
            }}
          >
            {speaking ? strings.chat.stopReading : strings.chat.readAloud}
          </button>
        </>
      )}
    </li>
  );
}

function ConversationItem(props: {
  conversation: ConversationSummary;
  selected: boolean;
  /** While an answer is being written, the student stays in its conversation. */
  disabled: boolean;
  onOpen: () => void;
  onRenamed: (title: string) => void;
  onDeleted: () => void;
}) {
  const { conversation } = props;
  const [renaming, setRenaming] = useState(false);
  const text = strings.chat;
  if (renaming)
    return (
      <li data-testid="conversation-item" data-conversation-id={conversation.id}>
        <InlineRename
          label={text.renameLabel(conversation.title)}
          initial={conversation.title}
          testId="conversation-rename-input"
          onRename={async (title) => {
            await renameConversation(conversation.id, title);
            props.onRenamed(title);
          }}
          onClose={() => {
            setRenaming(false);
          }}
        />
      </li>
    );
  return (
    <li className="conversation-row" data-testid="conversation-item" data-conversation-id={conversation.id}>
      <button
        type="button"
        className="conversation-link"
        aria-current={props.selected ? "true" : undefined}
        data-testid="conversation-open"
        disabled={props.disabled}
        onClick={props.onOpen}
      >
        {conversation.title}
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={text.renameConversation(conversation.title)}
        data-testid="conversation-rename"
        disabled={props.disabled}
        onClick={() => {
          setRenaming(true);
        }}
      >
        ✎
      </button>
      <ConfirmDelete
        label={text.deleteConversation(conversation.title)}
        question={text.confirmDelete(conversation.title)}
        testId="conversation-delete"
        onDelete={() => deleteConversation(conversation.id)}
        onDeleted={props.onDeleted}
      />
    </li>
  );
}

/** Questions and grounded answers about one class, streamed, with clickable sources. */
export function ChatTab({ classId }: { classId: string }) {
  const loadList = useCallback(() => listConversations(classId), [classId]);
  const [conversations, listControls] = useCommand(loadList);
  const [selected, setSelected] = useState<string | null>(null);
  const [messages, setMessages] = useState<MessageView[]>([]);
  const [loadingConversation, setLoadingConversation] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [question, setQuestion] = useState("");
  const [pending, setPending] = useState<Pending | null>(null);
  // Tokens by request id; they may arrive before `ask` has returned the id.
  const [streams, setStreams] = useState<ReadonlyMap<string, string>>(new Map());
  const [answerError, setAnswerError] = useState<string | null>(null);
  // The conversation on screen, for answers that arrive after the student moved on.
  const selectedRef = useRef(selected);
  useEffect(() => {
    selectedRef.current = selected;
  }, [selected]);
  const reader = useReadAloud();
  const text = strings.chat;

  const open = async (conversationId: string | null) => {
    setSelected(conversationId);
    setMessages([]);
    setLoadError(null);
    setAnswerError(null);
    if (conversationId === null) return;
    setLoadingConversation(true);
    try {
      const conversation = await getConversation(conversationId);
      if (selectedRef.current === conversationId) setMessages(conversation.messages);
    } catch (error: unknown) {
      setLoadError(describeError(error));
    } finally {
      setLoadingConversation(false);
    }
  };

  // Events may arrive before `ask` has returned their request id: keep them by id.
  const streamsSoFar = useRef(new Map<string, string>());
  const doneEarly = useRef(new Map<string, ChatDone>());
  // Answers the student stopped: the shell ends them with an error (kind `busy`) that is no failure.
  const stopped = useRef(new Set<string>());

  /** Moves a finished answer (or what was written of it) into the conversation. */
  const finish = (done: ChatDone, asked: string) => {
    const now = Date.now();
    const question: MessageView = { id: `asked-${done.requestId}`, role: "user", content: asked, citations: [], createdAt: now };
    const answered: MessageView = done.message ?? {
      id: `partial-${done.requestId}`,
      role: "assistant",
      content: streamsSoFar.current.get(done.requestId) ?? "",
      citations: [],
      createdAt: now,
    };
    setMessages((old) => (answered.content === "" ? [...old, question] : [...old, question, answered]));
    if (done.error !== undefined && !stopped.current.has(done.requestId)) setAnswerError(done.error.message);
    stopped.current.delete(done.requestId);
    setPending(null);
    listControls.refresh();
  };

  useEvent(onChatToken, (token) => {
    streamsSoFar.current.set(token.requestId, (streamsSoFar.current.get(token.requestId) ?? "") + token.text);
    setStreams(new Map(streamsSoFar.current));
  });
  useEvent(onChatDone, (done) => {
    if (pending !== null && done.requestId === pending.requestId) finish(done, pending.question);
    else doneEarly.current.set(done.requestId, done);
  });

  const send = async (event: SyntheticEvent) => {
    event.preventDefault();
    const words = question.trim();
    if (words === "" || pending !== null) return;
    setAnswerError(null);
    setPending({ question: words, requestId: null });
    setQuestion("");
    try {
      const started = await ask(words, classId, selected);
      setSelected(started.conversationId);
      const already = doneEarly.current.get(started.requestId);
      doneEarly.current.delete(started.requestId);
      if (already !== undefined) finish(already, words);
      else setPending((current) => (current === null ? null : { ...current, requestId: started.requestId }));
    } catch (error: unknown) {
      setPending(null);
      setQuestion(words);
      setAnswerError(describeError(error));
    }
  };

  const streamed = pending?.requestId == null ? "" : (streams.get(pending.requestId) ?? "");

  return (
    <div className="chat">
      <aside className="conversations" aria-labelledby="conversations-heading">
        <h2 id="conversations-heading" className="sidebar-heading">
          {text.conversations}
        </h2>
        <button
          type="button"
          className="secondary"
          data-testid="chat-new"
          onClick={() => void open(null)}
          disabled={pending !== null}
        >
          + {text.newConversation}
        </button>
        <Loaded state={conversations} failed={text.listFailed} onRetry={listControls.retry}>
          {(list) =>
            list.length === 0 ? (
              <p className="muted small">{text.listEmpty}</p>
            ) : (
              <ul className="conversation-list">
                {list.map((conversation) => (
                  <ConversationItem
                    key={conversation.id}
                    conversation={conversation}
                    selected={conversation.id === selected}
                    disabled={pending !== null}
                    onOpen={() => void open(conversation.id)}
                    onRenamed={(title) => {
                      listControls.update((old) => old.map((other) => (other.id === conversation.id ? { ...other, title } : other)));
                    }}
                    onDeleted={() => {
                      listControls.update((old) => old.filter((other) => other.id !== conversation.id));
                      if (conversation.id === selected) void open(null);
                    }}
                  />
                ))}
              </ul>
            )
          }
        </Loaded>
      </aside>
      <section className="conversation" aria-label={text.conversations}>
        {loadingConversation && <Loading />}
        {loadError !== null && <ActionError summary={text.loadFailed} detail={loadError} />}
        {messages.length === 0 && pending === null && !loadingConversation && (
          <Empty>
            <p>{text.empty}</p>
          </Empty>
        )}
        {/* Screen readers wait while an answer streams (aria-busy), then read it once, whole. */}
        <ol className="messages" aria-live="polite" aria-busy={pending !== null} data-testid="chat-messages">
          {messages.map((message) => (
            <Message key={message.id} message={message} reader={reader} />
          ))}
          {pending !== null && (
            <>
              <li className="message message-user">
                <p className="message-author">{text.you}</p>
                <p className="message-text">{pending.question}</p>
              </li>
              <li className="message message-assistant streaming" data-testid="chat-streaming">
                <p className="message-author">{text.assistant}</p>
                <p className="message-text">{streamed === "" ? text.thinking : streamed}</p>
              </li>
            </>
          )}
        </ol>
        <p role="status" className="visually-hidden">
          {pending !== null ? text.answering : ""}
        </p>
        <ActionError summary={text.failed} detail={answerError} />
        <ErrorText message={reader.error} />
        <form className="chat-input" onSubmit={(event) => void send(event)}>
          <textarea
            aria-label={text.inputLabel}
            placeholder={text.inputPlaceholder}
            data-testid="chat-input"
            rows={2}
            value={question}
            onChange={(event) => {
              setQuestion(event.target.value);
            }}
            onKeyDown={(event) => {
              // Enter sends, Shift+Enter starts a new line, as in every chat.
              if (event.key === "Enter" && !event.shiftKey) {
                event.preventDefault();
                event.currentTarget.form?.requestSubmit();
              }
            }}
          />
          {pending === null ? (
            <button type="submit" data-testid="chat-send" disabled={question.trim() === ""}>
              {text.send}
            </button>
          ) : (
            <button
              type="button"
              className="secondary"
              data-testid="chat-stop"
              disabled={pending.requestId === null}
              onClick={() => {
                if (pending.requestId === null) return;
                stopped.current.add(pending.requestId);
                void stopAnswer(pending.requestId).catch(() => undefined);
              }}
            >
              {text.stop}
            </button>
          )}
        </form>
      </section>
    </div>
  );
}
