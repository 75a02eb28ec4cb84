import { useEffect, useState } from "react";

/**
 * A URL the webview's media player can load for `url`, and how to free it. The shell hands out
 * asset-protocol URLs (`asset://localhost/…`); WebKitGTK's media player has no handler for that
 * scheme (tauri-apps/tauri#3725) although `fetch` reads it, so such a file is read into a Blob
 * and played from an object URL. That holds the whole file in memory while it plays (a 16 kHz
 * recording is about 2 MB a minute). Other URLs (Windows' `http://asset.localhost`, test data)
 * play as they are.
 */
export async function playableUrl(url: string): Promise<{ src: string; release: () => void }> {
  if (!url.startsWith("asset:")) return { src: url, release: () => undefined };
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot read ${url}: HTTP ${String(response.status)}`);
  const src = URL.createObjectURL(await response.blob());
  return {
    src,
    release: () => {
      URL.revokeObjectURL(src);
    },
  };
}

/**
 * [`playableUrl`] for a component: `null` while it is being prepared, freed when `url` changes
 * or the component goes away. If the file cannot be read, the original URL is used, so the
 * player shows its own error.
 */
export function usePlayableUrl(url: string | null): string | null {
  const [playable, setPlayable] = useState<{ for: string; src: string } | null>(null);
  useEffect(() => {
    if (url === null) return;
    let active = true;
    let release: (() => void) | null = null;
    playableUrl(url).then(
      (ready) => {
        if (!active) {
          ready.release();
          return;
        }
        release = ready.release;
        setPlayable({ for: url, src: ready.src });
      },
      () => {
        if (active) setPlayable({ for: url, src: url });
      },
    );
    return () => {
      active = false;
      release?.();
    };
  }, [url]);
  return playable !== null && playable.for === url ? playable.src : null;
}
