/**
 * Every piece of text the UI shows, in one place so it can be translated.
 * Components import from here and never write user-facing text inline.
 */
export const strings = {
  appName: "Little Monster",
  tagline: "Your offline study companion",
  skipToContent: "Skip to main content",
  classes: {
    heading: "Classes",
    empty: "No classes yet.",
    emptyHint: "Classes you add will appear here.",
  },
  home: {
    heading: "Welcome",
    intro: "Little Monster works without an internet connection. Your lectures, documents and notes stay on this computer.",
  },
  installation: {
    heading: "This installation",
    version: "Version",
    dataDir: "Your data",
    modelsDir: "Models",
    loading: "Loading…",
    failed: "Could not read the app's details.",
    retry: "Try again",
  },
  models: {
    heading: "Models",
    intro: "Little Monster listens, writes and answers with these models, all running on this computer.",
    loading: "Checking the models folder…",
    failed: "Could not check the models folder.",
    retry: "Check again",
    noneInstalled: "No models are installed yet.",
    howToInstall: "Run scripts/fetch-models in the Little Monster folder to install the small default models, then check again.",
    presence: {
      installed: "Installed",
      missing: "Missing",
      incomplete: "Incomplete",
    },
    roles: {
      stt: "Speech to text",
      llm: "Language model",
      embedding: "Search",
      tts: "Text to speech",
      runtime: "Runtime library",
    },
    /** The size of a model's files, e.g. "98 MB". */
    size: (bytes: number) =>
      bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${String(Math.max(1, Math.round(bytes / 1e6)))} MB`,
  },
} as const;
