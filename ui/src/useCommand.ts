import { useCallback, useEffect, useState } from "react";
import { describeError } from "./api";

/** The result of a command the screen is waiting on. */
export type Loadable<T> =
  | { status: "loading" }
  | { status: "ready"; value: T }
  | { status: "failed"; message: string };

/**
 * Runs `call` on mount and again on each `retry`. `call` must be stable (a module-level
 * function from `api.ts`), or it would run on every render.
 */
export function useCommand<T>(call: () => Promise<T>): [Loadable<T>, () => void] {
  const [state, setState] = useState<Loadable<T>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    // A stale answer (after unmount or a newer retry) must not overwrite the current one.
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
  return [state, retry];
}
