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

/** What a model is for (Rust: `lm_core::models::ModelRole`). */
export type ModelRole = "stt" | "llm" | "embedding" | "tts" | "runtime";

/** Whether a model's files are in the models folder (Rust: `commands::models::Presence`). */
export type ModelPresence = "installed" | "missing" | "incomplete";

/** One catalog model with its installed state (Rust: `commands::models::ModelSummary`). */
export interface ModelSummary {
  id: string;
  name: string;
  role: ModelRole;
  description: string;
  sizeBytes: number;
  presence: ModelPresence;
  /** For a model that is not installed: which files are wrong. */
  problem: string | null;
}

/** Lists the bundled catalog's models and whether each is installed (presence and size only). */
export function listModels(): Promise<ModelSummary[]> {
  return invoke<ModelSummary[]>("list_models");
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
