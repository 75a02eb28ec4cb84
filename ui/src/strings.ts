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
    modelsHint: "Speech and language models live in this folder. To put the small default models there, run scripts/fetch-models.",
    loading: "Loading…",
    failed: "Could not read the app's details.",
    retry: "Try again",
  },
} as const;
