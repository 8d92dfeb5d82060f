/**
 * The runs and references lists, kept fresh by polling. Polling (not one SSE stream per run) because browsers
 * allow only ~6 HTTP/1.1 connections per origin: dozens of open event streams would starve every other request.
 * One GET /v1/runs every couple of seconds carries every run's latest and final metrics. Paused while the tab is
 * hidden.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { fetchReferences, fetchRuns, type Reference, type Run } from "./api.ts";

/** A polled list: its items (null until first loaded), the last error, and a way to refresh now. */
export interface Polled<T> {
  data: T[] | null;
  error: string | null;
  refresh(): void;
}

function usePolled<T>(load: (signal: AbortSignal) => Promise<T[]>, intervalMs: number): Polled<T> {
  const [data, setData] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const kick = useRef<() => void>(() => {});
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let abort: AbortController | null = null;
    const tick = async () => {
      clearTimeout(timer);
      if (stopped) return;
      if (!document.hidden) {
        abort?.abort();
        abort = new AbortController();
        try {
          const items = await load(abort.signal);
          if (!stopped) (setData(items), setError(null));
        } catch (e) {
          if (!stopped && !(e instanceof DOMException && e.name === "AbortError")) {
            setError(e instanceof Error ? e.message : String(e));
          }
        }
      }
      if (!stopped && intervalMs > 0) timer = setTimeout(tick, intervalMs);
    };
    kick.current = tick;
    const onVisible = () => !document.hidden && tick();
    document.addEventListener("visibilitychange", onVisible);
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      abort?.abort();
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [intervalMs]);
  return { data, error, refresh: () => kick.current() };
}

/** Every run, refreshed every `intervalMs`. */
export function useRuns(intervalMs = 2000): Polled<Run> {
  return usePolled(fetchRuns, intervalMs);
}

/** Every reference, refreshed every `intervalMs` (0: load once). */
export function useReferences(intervalMs = 0): Polled<Reference> {
  return usePolled(fetchReferences, intervalMs);
}
