import { useCallback, useEffect, useRef, useState } from "react";
import type { UnlistenFn } from "@tauri-apps/api/event";
import { describeError } from "./api";

/** The result of a command the screen is waiting on. */
export type Loadable<T> =
  | { status: "loading" }
  | { status: "ready"; value: T }
  | { status: "failed"; message: string };

/** What `useCommand` hands back besides the state. */
export interface CommandControls<T> {
  /** Shows "loading" and runs the command again (after a failure, say). */
  retry: () => void;
  /** Runs the command again but keeps showing the current value until the answer arrives. */
  refresh: () => void;
  /** Replaces the value locally (after a command returned the updated item). */
  update: (change: (value: T) => T) => void;
}

/**
 * Runs `call` on mount, whenever `call` changes, and on `retry`/`refresh`. `call` must be
 * stable (a module-level function or a `useCallback`), or it would run on every render.
 */
export function useCommand<T>(call: () => Promise<T>): [Loadable<T>, CommandControls<T>] {
  const [state, setState] = useState<Loadable<T>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [shownCall, setShownCall] = useState(() => call);

  // A new `call` (another class, say) must not show the previous one's value meanwhile.
  if (shownCall !== call) {
    setShownCall(() => call);
    setState({ status: "loading" });
  }

  useEffect(() => {
    // A stale answer (after unmount or a newer call) must not overwrite the current one.
    let current = true;
    call().then(
      (value) => {
        if (current) setState({ status: "ready", value });
      },
      (error: unknown) => {
        if (current) setState({ status: "failed", message: describeError(error) });
      },
    );
    return () => {
      current = false;
    };
  }, [call, attempt]);

  const retry = useCallback(() => {
    setState({ status: "loading" });
    setAttempt((n) => n + 1);
  }, []);
  const refresh = useCallback(() => {
    setAttempt((n) => n + 1);
  }, []);
  const update = useCallback((change: (value: T) => T) => {
    setState((old) => (old.status === "ready" ? { status: "ready", value: change(old.value) } : old));
  }, []);
  return [state, { retry, refresh, update }];
}

/**
 * Subscribes to a shell event for the component's lifetime. `handler` may change on every
 * render; the subscription stays and always calls the latest one.
 */
export function useEvent<P>(subscribe: (handler: (payload: P) => void) => Promise<UnlistenFn>, handler: (payload: P) => void) {
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    let unlisten: UnlistenFn | null = null;
    let active = true;
    subscribe((payload) => {
      if (active) latest.current(payload);
    }).then(
      (stop) => {
        if (active) unlisten = stop;
        else stop();
      },
      // Outside the shell (a plain browser) there are no events to listen to.
      () => undefined,
    );
    return () => {
      active = false;
      unlisten?.();
    };
  }, [subscribe]);
}

/**
 * Runs an action that may fail and keeps its error for display next to the control that ran
 * it. `run` resolves to the action's value, or undefined when it failed.
 */
export function useAction() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (failure: unknown) {
      setError(describeError(failure));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(null);
  }, []);
  return { error, busy, run, clear };
}
