/** Fans the database's metrics notifications (from every process) out to this process's SSE clients. */
import type { Database } from "../../db/database.ts";
import { METRICS_CHANNEL } from "../../db/store/metrics.ts";

/** One LISTEN per process; subscribers per run id. */
export class MetricsNotifier {
  #subs = new Map<string, Set<() => void>>();
  #unlisten?: () => Promise<void>;

  /** Starts listening on the shared channel. */
  async start(database: Database): Promise<void> {
    this.#unlisten = await database.listen(METRICS_CHANNEL, (payload) => {
      let run: unknown;
      try {
        run = JSON.parse(payload).run;
      } catch {
        return; // not ours
      }
      for (const fn of this.#subs.get(String(run)) ?? []) fn();
    });
  }

  /** Calls fn whenever the run has new metrics; returns the unsubscribe function. */
  subscribe(runId: string, fn: () => void): () => void {
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
