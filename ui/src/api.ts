/**
 * Typed wrappers around the shell's commands. Components call these, never `invoke` directly,
 * so each command's name and result type are written down once.
 */
import { invoke } from "@tauri-apps/api/core";

/** What the shell reports about this installation (Rust: `commands::app::AppInfo`). */
export interface AppInfo {
  version: string;
  dataDir: string;
  modelsDir: string;
}

/** Reads the app version and the folders that hold user data and models. */
export function getAppInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

/**
 * Turns whatever a command rejected with into text for the user: Tauri rejects with the
 * command's serialized error, usually a string.
 */
export function describeError(error: unknown): string {
  if (typeof error === "string") return error;
  if (error instanceof Error) return error.message;
  return JSON.stringify(error);
}
