import { useState, type SyntheticEvent } from "react";
import {
  getRecordingState,
  listInputDevices,
  onRecordingLevel,
  onTranscriptSegment,
  pauseRecording,
  resumeRecording,
  startRecording,
  stopRecording,
  type LectureSummary,
  type RecordingLevel,
  type RecordingState,
  type TranscriptSegmentView,
} from "../api";
import { useNav } from "../app/nav";
import { ActionError, Empty, Loaded } from "../components/common";
import { clock, day, strings } from "../strings";
import { useAction, useCommand, useEvent } from "../useCommand";

/** The microphone level as a bar; peak as a tick. The shell sends levels in dBFS (−100 is silence). */
function LevelMeter({ level }: { level: RecordingLevel | null }) {
  // Speech sits around −30 dBFS RMS; showing the top 60 dB makes quiet rooms visible too.
  const toPercent = (dbfs: number) => Math.max(0, Math.min(100, ((dbfs + 60) / 60) * 100));
  const rms = level === null || level.paused ? 0 : toPercent(level.rms);
  const peak = level === null || level.paused ? 0 : toPercent(level.peak);
  return (
    <div
      className="level-meter"
      role="meter"
      aria-label={strings.record.level}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(rms)}
      data-testid="level-meter"
    >
      <div className="level-fill" style={{ width: `${String(rms)}%` }} />
      <div className="level-peak" style={{ left: `${String(peak)}%` }} />
    </div>
  );
}

function StartForm({ classId, onStarted }: { classId: string; onStarted: (state: RecordingState) => void }) {
  const [devices, devicesControls] = useCommand(listInputDevices);
  const [title, setTitle] = useState(() => strings.record.titleDefault(day(Date.now())));
  const [device, setDevice] = useState("");
  const action = useAction();
  const text = strings.record;

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const state = await action.run(() => startRecording(classId, title.trim(), device === "" ? null : device));
    if (state !== undefined) onStarted(state);
  };

  return (
    <form className="card record-setup" onSubmit={(event) => void submit(event)}>
      <label className="field">
        <span>{text.titleLabel}</span>
        <input
          data-testid="record-title"
          value={title}
          onChange={(event) => {
            setTitle(event.target.value);
          }}
        />
      </label>
      <Loaded state={devices} failed={text.devicesFailed} onRetry={devicesControls.retry}>
        {(list) =>
          list.length === 0 ? (
            <p className="notice">{text.noDevices}</p>
          ) : (
            <label className="field">
              <span>{text.device}</span>
              <select
                data-testid="record-device"
                value={device}
                onChange={(event) => {
                  setDevice(event.target.value);
                }}
              >
                <option value="">{text.defaultDevice}</option>
                {list.map((input) => (
                  <option key={input.name} value={input.name}>
                    {input.description === "" ? input.name : input.description}
                    {input.isDefault ? ` ${text.defaultDevice}` : ""}
                  </option>
                ))}
              </select>
            </label>
          )
        }
      </Loaded>
      <button
        type="submit"
        className="big-button record"
        data-testid="record-start"
        disabled={title.trim() === "" || action.busy || (devices.status === "ready" && devices.value.length === 0)}
      >
        <span className="record-dot" aria-hidden="true" /> {text.start}
      </button>
      <ActionError summary={text.failed} detail={action.error} />
    </form>
  );
}

function Recording({ initial, onStopped }: { initial: RecordingState; onStopped: (lecture: LectureSummary) => void }) {
  const [state, setState] = useState(initial);
  const [level, setLevel] = useState<RecordingLevel | null>(null);
  const [segments, setSegments] = useState<TranscriptSegmentView[]>([]);
  const action = useAction();
  const text = strings.record;

  useEvent(onRecordingLevel, setLevel);
  // Live segments are not stored yet, so they have no id (""): each event is a new segment.
  useEvent(onTranscriptSegment, (event) => {
    if (event.lectureId !== state.lectureId) return;
    setSegments((old) => [...old, event.segment]);
  });

  const paused = level?.paused ?? state.paused;
  const elapsed = level?.elapsedMs ?? state.elapsedMs;

  const togglePause = async () => {
    const next = await action.run(() => (paused ? resumeRecording() : pauseRecording()));
    if (next !== undefined) {
      setState(next);
      setLevel((old) => (old === null ? null : { ...old, paused: next.paused }));
    }
  };
  const stop = async () => {
    const lecture = await action.run(stopRecording);
    if (lecture !== undefined) onStopped(lecture);
  };

  return (
    <div className="recording">
      <section className="card record-controls" aria-label={text.recording}>
        <p className={paused ? "record-status paused" : "record-status live"} role="status" data-testid="record-status">
          <span className="record-dot" aria-hidden="true" /> {paused ? text.paused : text.recording} · {state.title}
        </p>
        <p className="elapsed" aria-label={text.elapsed} data-testid="record-elapsed">
          {clock(elapsed)}
        </p>
        <LevelMeter level={level} />
        <div className="row center">
          <button
            type="button"
            className="big-button secondary"
            data-testid="record-pause"
            disabled={action.busy}
            onClick={() => void togglePause()}
          >
            {paused ? text.resume : text.pause}
          </button>
          <button type="button" className="big-button stop" data-testid="record-stop" disabled={action.busy} onClick={() => void stop()}>
            <span className="stop-square" aria-hidden="true" /> {text.stop}
          </button>
        </div>
        <ActionError summary={text.failed} detail={action.error} />
      </section>
      <section className="card live-transcript" aria-labelledby="live-heading">
        <h2 id="live-heading">{text.live}</h2>
        {segments.length === 0 ? (
          <p className="muted">{text.liveEmpty}</p>
        ) : (
          <ol className="segments" aria-live="polite" data-testid="live-transcript">
            {segments.map((segment, index) => (
              <li key={index} className="segment" data-testid="transcript-segment">
                <span className="segment-time">{clock(segment.startMs)}</span>
                <p className="segment-text">{segment.text}</p>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}

/** Record a lecture into a class: microphone, level, elapsed time and the live transcript. */
export function RecordPage({ classId }: { classId: string }) {
  const { navigate } = useNav();
  const [existing, existingControls] = useCommand(getRecordingState);
  const [started, setStarted] = useState<RecordingState | null>(null);
  const [stopped, setStopped] = useState<LectureSummary | null>(null);
  const text = strings.record;

  return (
    <>
      <header className="page-header">
        <h1>{text.heading}</h1>
        <p className="muted small">{strings.offline}</p>
      </header>
      {stopped !== null ? (
        <Empty>
          <p role="status">{text.stopped(stopped.title)}</p>
          <button
            type="button"
            data-testid="record-open-lecture"
            onClick={() => {
              navigate({ page: "lecture", lectureId: stopped.id, atMs: null });
            }}
          >
            {text.open}
          </button>
        </Empty>
      ) : (
        <Loaded state={existing} failed={text.failed} onRetry={existingControls.retry}>
          {(current) => {
            const recording = started ?? current;
            return recording === null ? (
              <StartForm classId={classId} onStarted={setStarted} />
            ) : (
              <Recording initial={recording} onStopped={setStopped} />
            );
          }}
        </Loaded>
      )}
    </>
  );
}
