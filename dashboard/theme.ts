/**
 * Light and dark mode follow the system (prefers-color-scheme). CSS handles the page; charts draw on a canvas,
 * so they read the same colours from the CSS variables and are rebuilt when the scheme changes.
 */
import { useEffect, useState } from "preact/hooks";

/** The colour scheme in force. */
export type Scheme = "light" | "dark";

const query = () => matchMedia("(prefers-color-scheme: dark)");

/** The current scheme; re-renders when the system switches. */
export function useScheme(): Scheme {
  const [scheme, setScheme] = useState<Scheme>(query().matches ? "dark" : "light");
  useEffect(() => {
    const mq = query();
    const on = () => setScheme(mq.matches ? "dark" : "light");
    mq.addEventListener("change", on);
    return () => mq.removeEventListener("change", on);
  }, []);
  return scheme;
}

/** Colours a canvas needs, read from the page's CSS variables. */
export function chartColors() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { fg: v("--muted", "#555"), grid: v("--grid", "#e5e5e5"), accent: v("--accent", "#2563eb") };
}

/**
 * Series colours: Okabe-Ito-like hues that stay distinct for colour-blind readers and readable on both
 * backgrounds (the dark variants are lighter).
 */
const PALETTE: Record<Scheme, string[]> = {
  light: [
    "#2563eb",
    "#d97706",
    "#059669",
    "#dc2626",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#475569",
    "#b45309",
  ],
  dark: [
    "#60a5fa",
    "#fbbf24",
    "#34d399",
    "#f87171",
    "#a78bfa",
    "#22d3ee",
    "#f472b6",
    "#a3e635",
    "#cbd5e1",
    "#fb923c",
  ],
};

/** The colour of series number i. */
export function seriesColor(i: number, scheme: Scheme): string {
  const p = PALETTE[scheme];
  return p[((i % p.length) + p.length) % p.length];
}
