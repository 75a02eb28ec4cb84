import { createContext, useContext } from "react";

/** The tabs of a class page, in their order. */
export const CLASS_TABS = ["lectures", "documents", "notes", "quizzes", "flashcards", "chat"] as const;

/** One tab of a class page. */
export type ClassTab = (typeof CLASS_TABS)[number];

/** Every place in the app; navigation is plain state, there is no URL router. */
export type Route =
  | { page: "home" }
  | { page: "class"; classId: string; tab: ClassTab }
  | { page: "lecture"; lectureId: string; atMs: number | null }
  | { page: "document"; documentId: string; pageNumber: number | null }
  | { page: "record"; classId: string }
  | { page: "search"; query: string }
  | { page: "settings" };

/** The current route and the way to change it. */
export interface Nav {
  route: Route;
  navigate: (route: Route) => void;
}

/** Provided by the app shell. */
export const NavContext = createContext<Nav>({ route: { page: "home" }, navigate: () => undefined });

/** The current route and `navigate`. */
export function useNav(): Nav {
  return useContext(NavContext);
}

/** The class the current page belongs to, if any (dropped files go there). */
export function routeClassId(route: Route): string | null {
  return "classId" in route ? route.classId : null;
}

const LAST_PLACE_KEY = "littlemonster.lastPlace";

/**
 * The place to come back to after a restart for `route`: class pages, settings and home as they
 * are; a lecture or document as its class's tab (it may be gone by then); none for search.
 */
function placeOf(route: Route, lastClassId: string | null): Route | null {
  switch (route.page) {
    case "class":
    case "settings":
    case "home":
      return route;
    case "record":
      return { page: "class", classId: route.classId, tab: "lectures" };
    case "lecture":
      return lastClassId === null ? null : { page: "class", classId: lastClassId, tab: "lectures" };
    case "document":
      return lastClassId === null ? null : { page: "class", classId: lastClassId, tab: "documents" };
    case "search":
      return null;
  }
}

/** Remembers where the student is (the window's size and position are the shell's to keep). */
export function rememberPlace(route: Route, lastClassId: string | null): void {
  const place = placeOf(route, lastClassId);
  if (place === null) return;
  try {
    window.localStorage.setItem(LAST_PLACE_KEY, JSON.stringify(place));
  } catch {
    // Storage can be unavailable; the app then starts at home.
  }
}

/**
 * The remembered place, if it still exists: a class of `classIds` (the active profile's) with a
 * known tab, or settings; home otherwise.
 */
export function rememberedPlace(classIds: readonly string[]): Route {
  let stored: unknown;
  try {
    stored = JSON.parse(window.localStorage.getItem(LAST_PLACE_KEY) ?? "null");
  } catch {
    return { page: "home" };
  }
  if (typeof stored !== "object" || stored === null) return { page: "home" };
  const place = stored as Record<string, unknown>;
  if (place.page === "settings") return { page: "settings" };
  const { classId, tab } = place;
  if (
    place.page === "class" &&
    typeof classId === "string" &&
    classIds.includes(classId) &&
    CLASS_TABS.some((known) => known === tab)
  )
    return { page: "class", classId, tab: tab as ClassTab };
  return { page: "home" };
}
