import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode, type SyntheticEvent } from "react";
import {
  editSegment,
  exportTranscript,
  getLecture,
  getTranscript,
  mergeSegments,
  onJobProgress,
  onLibraryChanged,
  splitSegment,
  type TranscriptFormat,
  type TranscriptSegmentView,
} from "../api";
import { usePlayableUrl } from "../app/media";
import { useNav } from "../app/nav";
import { ActionError, Empty, ErrorText, Loaded, PageTitle, WithTooltip } from "../components/common";
import { clock, strings } from "../strings";
import { useAction, useCommand, useEvent } from "../useCommand";

const FORMATS: TranscriptFormat[] = ["txt", "md", "srt", "vtt", "json"];

/** `text` with each case-insensitive occurrence of `find` in `<mark>`. */
function WithMatches({ text, find }: { text: string; find: string }) {
  if (find === "") return <>{text}</>;
  const lower = text.toLowerCase();
  const needle = find.toLowerCase();
  const parts: ReactNode[] = [];
  let done = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + needle.length)) {
    parts.push(text.slice(done, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    done = at + needle.length;
  }
  parts.push(text.slice(done));
  return <>{parts}</>;
}

/** The number of Unicode characters in `text`, which is what the shell counts (not UTF-16 units). */
function charCount(text: string): number {
  return Array.from(text).length;
}

/** Alt+S and Alt+M, by key position: on macOS, Option changes the character typed. */
function shortcutOf(event: KeyboardEvent<HTMLTextAreaElement>): "split" | "merge" | null {
  if (!event.altKey || event.ctrlKey || event.metaKey) return null;
  if (event.code === "KeyS") return "split";
  if (event.code === "KeyM") return "merge";
  return null;
}

/** A button of the segment editor, with its shortcut in a tooltip. */
function SegmentTool(props: { label: string; tip: string; shortcut: string; testId: string; busy: boolean; onRun: () => Promise<void> }) {
  return (
    <WithTooltip tip={props.tip}>
      {(tipId) => (
        <button
          type="button"
          className="secondary small"
          data-testid={props.testId}
          aria-describedby={tipId}
          aria-keyshortcuts={props.shortcut}
          disabled={props.busy}
          onClick={() => void props.onRun()}
        >
          {props.label}
        </button>
      )}
    </WithTooltip>
  );
}

function Segment(props: {
  segment: TranscriptSegmentView;
  /** The segment after this one, which "merge" joins to it. */
  next: TranscriptSegmentView | undefined;
  active: boolean;
  find: string;
  /** Move keyboard focus to this segment's edit button (after a split or merge made it). */
  focus: boolean;
  onSeek: (ms: number) => void;
  onSaved: (segment: TranscriptSegmentView) => void;
  /** A split or merge answered with the whole transcript; `focusOffset` is the segment to focus, relative to this one. */
  onReplaced: (transcript: TranscriptSegmentView[], focusOffset: number) => void;
}) {
  const { segment, next } = props;
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const action = useAction();
  const time = clock(segment.startMs);
  const ref = useRef<HTMLLIElement>(null);
  const editor = useRef<HTMLTextAreaElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const text = strings.lecture;

  useEffect(() => {
    // Keep the spoken segment in view while the lecture plays.
    if (props.active) ref.current?.scrollIntoView({ block: "nearest" });
  }, [props.active]);

  useEffect(() => {
    if (props.focus) editButton.current?.focus();
  }, [props.focus]);

  const close = () => {
    setDraft(null);
    setProblem(null);
    action.clear();
  };

  /** Saves the draft if it changed; false when that failed. Split and merge work on saved text. */
  const saveDraft = async (): Promise<boolean> => {
    if (draft === null || draft.trim() === segment.text) return true;
    const saved = await action.run(() => editSegment(segment.id, draft.trim()));
    if (saved === undefined) return false;
    props.onSaved(saved);
    return true;
  };

  const save = async () => {
    if (await saveDraft()) close();
  };

  const split = async () => {
    if (draft === null) return;
    setProblem(null);
    // The caret in the saved (trimmed) text, in the shell's characters.
    const leading = draft.length - draft.trimStart().length;
    const trimmed = draft.trim();
    const caret = Math.min(Math.max((editor.current?.selectionStart ?? 0) - leading, 0), trimmed.length);
    const head = trimmed.slice(0, caret);
    if (head.trim() === "" || trimmed.slice(caret).trim() === "") {
      setProblem(text.splitWhere);
      editor.current?.focus();
      return;
    }
    if (!(await saveDraft())) return;
    const transcript = await action.run(() => splitSegment(segment.id, charCount(head)));
    if (transcript !== undefined) {
      close();
      // The second part, so that a keyboard user can go on splitting it.
      props.onReplaced(transcript, 1);
    }
  };

  const merge = async () => {
    if (next === undefined) return;
    setProblem(null);
    if (!(await saveDraft())) return;
    const transcript = await action.run(() => mergeSegments(segment.id, next.id));
    if (transcript !== undefined) {
      close();
      props.onReplaced(transcript, 0);
    }
  };

  return (
    <li
      ref={ref}
      className={props.active ? "segment active" : "segment"}
      data-testid="transcript-segment"
      data-segment-id={segment.id}
      data-active={props.active}
      aria-current={props.active ? "true" : undefined}
    >
      <button
        type="button"
        className="segment-time"
        aria-label={text.seek(time)}
        data-testid="segment-seek"
        onClick={() => {
          props.onSeek(segment.startMs);
        }}
      >
        {time}
      </button>
      {draft === null ? (
        <>
          <p
            className="segment-text"
            onClick={() => {
              props.onSeek(segment.startMs);
            }}
          >
            {segment.speaker !== null && <span className="speaker">{segment.speaker}: </span>}
            <WithMatches text={segment.text} find={props.find} />
          </p>
          <button
            ref={editButton}
            type="button"
            className="icon-button segment-edit"
            aria-label={text.editLabel(time)}
            data-testid="segment-edit"
            onClick={() => {
              setDraft(segment.text);
            }}
          >
            ✎
          </button>
        </>
      ) : (
        <div className="segment-editor">
          <textarea
            ref={editor}
            aria-label={text.editLabel(time)}
            aria-describedby={`edit-hint-${segment.id}`}
            aria-keyshortcuts="Enter Escape Alt+S Alt+M"
            data-testid="segment-input"
            value={draft}
            autoFocus
            rows={2}
            onChange={(event) => {
              setDraft(event.target.value);
            }}
            onKeyDown={(event) => {
              const shortcut = shortcutOf(event);
              if (shortcut === "split") {
                event.preventDefault();
                void split();
              } else if (shortcut === "merge") {
                event.preventDefault();
                void merge();
              } else if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
                event.preventDefault();
                void save();
              } else if (event.key === "Escape") {
                event.preventDefault();
                close();
                // Back to where editing started, not to the top of the page.
                requestAnimationFrame(() => editButton.current?.focus());
              }
            }}
          />
          <div className="row segment-tools">
            <SegmentTool label={text.split} tip={text.splitTip} shortcut="Alt+S" testId="segment-split" busy={action.busy} onRun={split} />
            {next !== undefined && (
              <SegmentTool label={text.merge} tip={text.mergeTip} shortcut="Alt+M" testId="segment-merge" busy={action.busy} onRun={merge} />
            )}
          </div>
          <p id={`edit-hint-${segment.id}`} className="muted small">
            {text.editHint}
          </p>
          <ErrorText message={problem} />
          <ActionError summary={text.editFailed} detail={action.error} />
        </div>
      )}
    </li>
  );
}

function ExportMenu({ lectureId, title }: { lectureId: string; title: string }) {
  const [format, setFormat] = useState<TranscriptFormat>("txt");
  const [path, setPath] = useState("");
  const [written, setWritten] = useState<string | null>(null);
  const action = useAction();
  const text = strings.lecture;
  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setWritten(null);
    const result = await action.run(() => exportTranscript(lectureId, format, path.trim()));
    if (result !== undefined) setWritten(result);
  };
  return (
    <details className="export-menu">
      <summary data-testid="export-menu">{text.exportButton}</summary>
      <form className="export-form" onSubmit={(event) => void submit(event)}>
        <label className="field">
          <span>{text.exportFormat}</span>
          <select
            data-testid="export-format"
            value={format}
            onChange={(event) => {
              setFormat(event.target.value as TranscriptFormat);
            }}
          >
            {FORMATS.map((name) => (
              <option key={name} value={name}>
                {text.formats[name]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{text.exportPath}</span>
          <input
            data-testid="export-path"
            value={path}
            placeholder={`~/${title}.${format}`}
            onChange={(event) => {
              setPath(event.target.value);
            }}
          />
        </label>
        <button type="submit" data-testid="export-run" disabled={path.trim() === "" || action.busy}>
          {text.exportRun}
        </button>
        {written !== null && (
          <p role="status" className="ok-text">
            {text.exported(written)}
          </p>
        )}
        <ActionError summary={text.exportFailed} detail={action.error} />
      </form>
    </details>
  );
}

/** A lecture: the player beside its transcript; find, edit, export. */
export function LecturePage({ lectureId, atMs }: { lectureId: string; atMs: number | null }) {
  const { navigate } = useNav();
  const loadLecture = useCallback(() => getLecture(lectureId), [lectureId]);
  const loadTranscript = useCallback(() => getTranscript(lectureId), [lectureId]);
  const [lecture, lectureControls] = useCommand(loadLecture);
  const [transcript, transcriptControls] = useCommand(loadTranscript);
  const [positionMs, setPositionMs] = useState(atMs ?? 0);
  const [find, setFind] = useState("");
  // The segment that a split or merge just made, to take keyboard focus.
  const [focusId, setFocusId] = useState<string | null>(null);
  const audio = useRef<HTMLAudioElement>(null);
  const text = strings.lecture;

  const mediaSrc = usePlayableUrl(lecture.status === "ready" ? lecture.value.mediaUrl : null);
  // A transcription that ends stores the lecture's segments and changes its status.
  const classId = lecture.status === "ready" ? lecture.value.classId : null;
  useEvent(onLibraryChanged, (change) => {
    if (change.classId !== classId) return;
    lectureControls.refresh();
    transcriptControls.refresh();
  });
  // A running transcription stores each finished chunk's segments: show them as they come.
  useEvent(onJobProgress, (job) => {
    if (job.kind === "transcribe" && job.subjectId === lectureId && job.status === "running") {
      transcriptControls.refresh();
    }
  });

  const seek = useCallback((ms: number) => {
    setPositionMs(ms);
    const player = audio.current;
    if (player === null) return;
    player.currentTime = ms / 1000;
    // Playback may be refused until the user interacts; the position is set either way.
    player.play().catch(() => undefined);
  }, []);

  const segments = useMemo(() => (transcript.status === "ready" ? transcript.value : []), [transcript]);
  const activeId = useMemo(
    () => segments.find((segment) => positionMs >= segment.startMs && positionMs < segment.endMs)?.id ?? null,
    [segments, positionMs],
  );
  const matchCount = useMemo(
    () => (find === "" ? 0 : segments.filter((segment) => segment.text.toLowerCase().includes(find.toLowerCase())).length),
    [segments, find],
  );

  return (
    <Loaded state={lecture} failed={text.loadFailed} onRetry={lectureControls.retry}>
      {(detail) => (
        <>
          <PageTitle
            backLabel={text.back}
            title={detail.title}
            onBack={() => {
              navigate({ page: "class", classId: detail.classId, tab: "lectures" });
            }}
          >
            <ExportMenu lectureId={detail.id} title={detail.title} />
          </PageTitle>
          <div className="lecture-layout">
            <div className="player card">
              <audio
                ref={audio}
                controls
                src={mediaSrc ?? undefined}
                aria-label={text.player}
                data-testid="lecture-audio"
                preload="metadata"
                onLoadedMetadata={(event) => {
                  if (atMs !== null) event.currentTarget.currentTime = atMs / 1000;
                }}
                onTimeUpdate={(event) => {
                  setPositionMs(event.currentTarget.currentTime * 1000);
                }}
              />
            </div>
            <section className="card transcript" aria-labelledby="transcript-heading">
              <div className="row spread">
                <h2 id="transcript-heading">{text.transcript}</h2>
                <div className="row">
                  <input
                    type="search"
                    aria-label={text.find}
                    placeholder={text.findPlaceholder}
                    data-testid="transcript-find"
                    value={find}
                    onChange={(event) => {
                      setFind(event.target.value);
                    }}
                  />
                  {find !== "" && (
                    <span className="muted small" role="status" data-testid="transcript-matches">
                      {text.matches(matchCount)}
                    </span>
                  )}
                </div>
              </div>
              <Loaded state={transcript} failed={text.transcriptFailed} onRetry={transcriptControls.retry}>
                {(list) =>
                  list.length === 0 ? (
                    <Empty>
                      <p>{text.transcriptEmpty}</p>
                    </Empty>
                  ) : (
                    <ol className="segments" data-testid="transcript">
                      {list.map((segment, index) => (
                        <Segment
                          key={segment.id}
                          segment={segment}
                          next={list[index + 1]}
                          active={segment.id === activeId}
                          find={find}
                          focus={segment.id === focusId}
                          onSeek={seek}
                          onSaved={(saved) => {
                            transcriptControls.update((old) => old.map((other) => (other.id === saved.id ? saved : other)));
                          }}
                          onReplaced={(replaced, focusOffset) => {
                            transcriptControls.update(() => replaced);
                            setFocusId(replaced[index + focusOffset]?.id ?? null);
                          }}
                        />
                      ))}
                    </ol>
                  )
                }
              </Loaded>
            </section>
          </div>
        </>
      )}
    </Loaded>
  );
}
