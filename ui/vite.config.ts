/// <reference types="vitest/config" />
/// <reference types="@vitest/browser/providers/playwright" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The Tauri shell loads the dev server from this port (tauri.conf.json `build.devUrl`).
const DEV_PORT = 1420;

// Node's `process` (this file runs in Node; the app's tsconfig has no Node types).
declare const process: { env: Record<string, string | undefined> };

// UI tests run in Debian's Chromium (scripts/install-system-deps), never a downloaded one.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  plugins: [react()],
  // Tauri prints its own build output; keep Vite's errors visible without clearing the screen.
  clearScreen: false,
  // The app icon is imported from the repository's assets/ folder, outside ui/.
  server: { port: DEV_PORT, strictPort: true, fs: { allow: [".", "../assets/icons"] } },
  build: {
    outDir: "dist",
    // WebKitGTK 2.40+ on Linux and current WebView2/WKWebView all run ES2022.
    target: "es2022",
  },
  // Pre-bundle what the tests import, so Vite does not reload the page mid-run.
  optimizeDeps: {
    include: [
      "react",
      "react-dom/client",
      "@testing-library/react",
      "@tauri-apps/api/core",
      "@tauri-apps/api/event",
      "@tauri-apps/api/mocks",
      "@tauri-apps/api/webview",
      "dompurify",
      "marked",
    ],
  },
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    setupFiles: ["src/test/setup.ts"],
    // Every screen is tested in a real, headless Chromium with the shell's IPC mocked.
    browser: {
      enabled: true,
      provider: "playwright",
      headless: true,
      screenshotFailures: false,
      viewport: { width: 1280, height: 820 },
      instances: [
        {
          browser: "chromium",
          launch: { executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"] },
        },
      ],
    },
  },
});
