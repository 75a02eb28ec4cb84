import { afterEach, describe, expect, it, vi } from "vitest";
import { playableUrl } from "../app/media";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("playable media URLs", () => {
  it("reads an asset-protocol file into an object URL and frees it", async () => {
    const bytes = new Uint8Array([82, 73, 70, 70]);
    const fetched = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response(bytes, { headers: { "Content-Type": "audio/x-wav" } }));
    const revoked = vi.spyOn(URL, "revokeObjectURL");
    const playable = await playableUrl("asset://localhost/%2Flib%2Flecture.wav");
    expect(fetched).toHaveBeenCalledWith("asset://localhost/%2Flib%2Flecture.wav");
    expect(playable.src).toMatch(/^blob:/);
    fetched.mockRestore();
    expect(new Uint8Array(await (await fetch(playable.src)).arrayBuffer())).toEqual(bytes);
    playable.release();
    expect(revoked).toHaveBeenCalledWith(playable.src);
  });

  it("plays other URLs as they are", async () => {
    const fetched = vi.spyOn(globalThis, "fetch");
    const playable = await playableUrl("http://asset.localhost/%2Flib%2Flecture.wav");
    expect(playable.src).toBe("http://asset.localhost/%2Flib%2Flecture.wav");
    expect(fetched).not.toHaveBeenCalled();
  });

  it("says which file it could not read", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("gone", { status: 404 }));
    await expect(playableUrl("asset://localhost/%2Fgone.wav")).rejects.toThrow("asset://localhost/%2Fgone.wav: HTTP 404");
  });
});
