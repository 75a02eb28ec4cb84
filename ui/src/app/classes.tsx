import { createContext, useContext } from "react";
import type { ClassSummary } from "../api";
import type { CommandControls, Loadable } from "../useCommand";

/** The active profile's classes, loaded once by the app and refreshed when the library changes. */
export interface Classes {
  state: Loadable<ClassSummary[]>;
  controls: CommandControls<ClassSummary[]>;
}

/** Provided by the app shell. */
export const ClassesContext = createContext<Classes | null>(null);

/** The classes; only inside the app shell. */
export function useClasses(): Classes {
  const classes = useContext(ClassesContext);
  if (classes === null) throw new Error("useClasses outside ClassesContext");
  return classes;
}

/** The class with `id`, when the list is loaded and holds it. */
export function findClass(classes: Classes, id: string): ClassSummary | undefined {
  return classes.state.status === "ready" ? classes.state.value.find((item) => item.id === id) : undefined;
}
