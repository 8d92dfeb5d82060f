/**
 * Following one run: its stored history (GET /v1/runs/:id/metrics) merged with live SSE events
 * (GET /v1/runs/:id/events), and the progress of its finalize while one runs. History is (re)loaded on every (re)connect, because the stream only carries the
 * newest result and would otherwise leave gaps for whatever happened while disconnected; RunSeries drops the
 * duplicates.
 */
import { authedUrl, fetchMetrics, type MetricPoint } from "./api.ts";
import { asProgress, type FinalizeProgress } from "./finalize_progress.ts";
import { RunSeries } from "./run_series.ts";
import { openEventStream, type StreamStatus } from "./sse.ts";

/** Callbacks of a followed run. */
export interface FollowHandlers {
  /** The series changed (same object, mutated; compare `series.version`). */
  onChange(series: RunSeries): void;
  /** A live point arrived (partial or final). */
  onPoint?(point: MetricPoint): void;
  /** A phase of the run's finalize began. */
  onProgress?(progress: FinalizeProgress): void;
  onStatus?(status: StreamStatus): void;
  onError?(error: unknown): void;
}

/** A followed run; `close` stops its stream. */
export interface FollowedRun {
  series: RunSeries;
  close(): void;
}

/** Loads a run's history and, when `live`, keeps it current over SSE until its `final` event. */
export function followRun(id: string, handlers: FollowHandlers, live: boolean): FollowedRun {
  const series = new RunSeries();
  const abort = new AbortController();
  let closed = false;
  const loadHistory = async () => {
    try {
      const points = await fetchMetrics(id, abort.signal);
      if (!closed && series.addAll(points)) handlers.onChange(series);
    } catch (e) {
      if (!closed) handlers.onError?.(e);
    }
  };
  const take = (kind: "partial" | "final") => (data: unknown) => {
    if (!data || typeof data !== "object") return;
    const point = { ...(data as MetricPoint), kind };
    handlers.onPoint?.(point);
    if (series.add(point)) handlers.onChange(series);
  };
  let stream: { close(): void } | null = null;
  if (live) {
    stream = openEventStream(authedUrl(`/v1/runs/${encodeURIComponent(id)}/events`), {
      events: {
        metrics: take("partial"),
        progress: (data) => {
          const p = asProgress(data);
          if (p) handlers.onProgress?.(p);
        },
        final: (data) => {
          take("final")(data);
          // The server ends the stream after a final with nothing pending (FID-infinity follows finalize's
          // answer in a second final); closing first keeps the browser from reconnecting.
          const pending = (data as MetricPoint | null)?.pending;
          if (!Array.isArray(pending) || pending.length === 0) stream?.close();
        },
      },
      onOpen: loadHistory,
      onStatus: handlers.onStatus,
    });
  } else {
    loadHistory();
  }
  return {
    series,
    close() {
      closed = true;
      abort.abort();
      stream?.close();
    },
  };
}
