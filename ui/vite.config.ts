/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The Tauri shell loads the dev server from this port (tauri.conf.json `build.devUrl`).
const DEV_PORT = 1420;

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
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
