import { createContext, useCallback, useContext, useLayoutEffect, useMemo, useState, type ReactNode } from "react";

/** The colour theme: the system's preference until the student picks one. */
export interface Theme {
  dark: boolean;
  toggle: () => void;
}

const STORAGE_KEY = "littlemonster.theme";
const ThemeContext = createContext<Theme>({ dark: false, toggle: () => undefined });

function systemPrefersDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia("(prefers-color-scheme: dark)").matches;
}

function storedChoice(): "light" | "dark" | null {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    // Storage can be unavailable (private mode); the system preference still applies.
    return null;
  }
}

/** Sets `data-theme` on the document element, which the stylesheet's palettes key on. */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const [dark, setDark] = useState(() => {
    const choice = storedChoice();
    return choice === null ? systemPrefersDark() : choice === "dark";
  });
  // Before paint, so a dark system never flashes the light palette.
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = dark ? "dark" : "light";
  }, [dark]);
  const toggle = useCallback(() => {
    setDark((old) => {
      try {
        window.localStorage.setItem(STORAGE_KEY, old ? "light" : "dark");
      } catch {
        // Not remembered, but still switched.
      }
      return !old;
    });
  }, []);
  const value = useMemo(() => ({ dark, toggle }), [dark, toggle]);
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

/** The current theme and its toggle. */
export function useTheme(): Theme {
  return useContext(ThemeContext);
}
