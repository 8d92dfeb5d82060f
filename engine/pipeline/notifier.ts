/**
 * Fans the database's metrics notifications (from every process) out to this process's SSE clients: new metrics
 * ({run, kind: "partial" | "final"}) and finalize progress ({run, kind: "progress", progress}).
 */
import type { Database } from "../../db/database.ts";
import { METRICS_CHANNEL } from "../../db/store/metrics.ts";

/** One notification about a run, as sent. */
export interface RunNotice {
  run: string;
  kind?: string;
  /** With kind "progress": the finalize's progress (finalize_progress.ts). */
  progress?: Record<string, unknown>;
}

/** One LISTEN per process; subscribers per run id. */
export class MetricsNotifier {
  #subs = new Map<string, Set<(notice: RunNotice) => void>>();
  #unlisten?: () => Promise<void>;

  /** Starts listening on the shared channel. */
  async start(database: Database): Promise<void> {
    this.#unlisten = await database.listen(METRICS_CHANNEL, (payload) => {
      let notice: RunNotice;
      try {
        notice = JSON.parse(payload);
      } catch {
        return; // not ours
      }
      for (const fn of this.#subs.get(String(notice?.run)) ?? []) fn(notice);
    });
  }

  /** Calls fn whenever the run has new metrics or finalize progress; returns the unsubscribe function. */
  subscribe(runId: string, fn: (notice: RunNotice) => void): () => void {
    const set = this.#subs.get(runId) ?? new Set();
    set.add(fn);
    this.#subs.set(runId, set);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.#subs.delete(runId);
    };
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    await this.#unlisten?.();
  }
}
