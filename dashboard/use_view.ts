/**
 * The current view, backed by the URL (see view_state.ts). Navigation pushes a history entry; continuous changes
 * (zoom, typing in a filter) replace the current one so Back is not flooded.
 */
import { useEffect, useState } from "preact/hooks";
import { parseView, viewHref, type ViewState } from "./view_state.ts";

type Listener = (v: ViewState) => void;
const listeners = new Set<Listener>();
let current: ViewState = parseView(location.pathname, location.search);

addEventListener("popstate", () => {
  current = parseView(location.pathname, location.search);
  for (const l of listeners) l(current);
});

/** Changes the view: `push` for navigation, `replace` for in-page tweaks. */
export function setView(next: ViewState, mode: "push" | "replace" = "replace"): void {
  const href = viewHref(next);
  current = next;
  if (href !== location.pathname + location.search) {
    if (mode === "push") history.pushState(null, "", href);
    else history.replaceState(null, "", href);
  }
  if (mode === "push") scrollTo(0, 0);
  for (const l of listeners) l(current);
}

/** Applies a patch to the current view. */
export function patchView(patch: Partial<ViewState>, mode: "push" | "replace" = "replace"): void {
  setView({ ...current, ...patch }, mode);
}

/** The view right now (outside components). */
export function getView(): ViewState {
  return current;
}

/** The current view; re-renders on every change. */
export function useView(): ViewState {
  const [view, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    set(current);
    return () => void listeners.delete(set);
  }, []);
  return view;
}
