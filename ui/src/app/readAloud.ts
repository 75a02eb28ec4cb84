import { useCallback, useEffect, useRef, useState } from "react";
import { describeError, onReadAloud, readAloud, stopReadAloud } from "../api";
import { useEvent } from "../useCommand";
import { playableUrl } from "./media";

/**
 * Reads text aloud through the shell's voice: sentences arrive as `read-aloud` events with an
 * audio URL and play one after the other. One text at a time, identified by the caller's key.
 */
export function useReadAloud() {
  const [speaking, setSpeaking] = useState<{ key: string; sessionId: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const queue = useRef<string[]>([]);
  const player = useRef<HTMLAudioElement | null>(null);
  const finished = useRef(false);

  const playNext = useCallback(function next() {
    // Busy while a sentence plays or is still being prepared (no source yet).
    const current = player.current;
    if (current !== null && !current.ended && (!current.paused || current.src === "")) return;
    const url = queue.current.shift();
    if (url === undefined) {
      if (finished.current) setSpeaking(null);
      return;
    }
    const audio = new Audio();
    player.current = audio;
    void playableUrl(url).then(
      ({ src, release }) => {
        // Stopped (or replaced) while the file was being read.
        if (player.current !== audio) {
          release();
          return;
        }
        audio.onended = () => {
          release();
          next();
        };
        audio.src = src;
        audio.play().catch(() => {
          release();
          next();
        });
      },
      () => {
        if (player.current !== audio) return;
        player.current = null;
        next();
      },
    );
  }, []);

  useEvent(onReadAloud, (event) => {
    if (speaking === null || event.sessionId !== speaking.sessionId) return;
    if ("audioUrl" in event) {
      queue.current.push(event.audioUrl);
      playNext();
    } else if ("error" in event) {
      setError(event.error.message);
      setSpeaking(null);
    } else {
      finished.current = true;
      playNext();
    }
  });

  const stop = useCallback(() => {
    queue.current = [];
    player.current?.pause();
    player.current = null;
    setSpeaking((current) => {
      if (current?.sessionId != null) void stopReadAloud(current.sessionId).catch(() => undefined);
      return null;
    });
  }, []);

  const start = useCallback(
    async (key: string, text: string) => {
      stop();
      setError(null);
      finished.current = false;
      setSpeaking({ key, sessionId: null });
      try {
        const sessionId = await readAloud(text);
        setSpeaking((current) => (current?.key === key ? { key, sessionId } : current));
      } catch (failure: unknown) {
        setError(describeError(failure));
        setSpeaking(null);
      }
    },
    [stop],
  );

  // Silence when the screen goes away.
  useEffect(() => stop, [stop]);

  return { speakingKey: speaking?.key ?? null, error, start, stop };
}
