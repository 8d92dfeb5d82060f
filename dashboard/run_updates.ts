/**
 * A run page's copy of its run, kept current from two sources that race: live events (metrics, progress,
 * final) and refetches of the run row. A run only moves forward (streaming, finalizing, finalized), so a row
 * fetched before a finalize began must not take back what the events already showed.
 */
import type { MetricPoint, Run } from "./api.ts";

const STATUS_ORDER: Record<Run["status"], number> = { streaming: 0, finalizing: 1, finalized: 2 };

/** The run with a live point folded in (status, latest or final). */
export function mergePoint(run: Run, p: MetricPoint): Run {
  if (p.kind === "final") return { ...run, final: p, status: "finalized", n: Math.max(run.n, p.n) };
  return { ...run, latest: p, n: Math.max(run.n, p.n) };
}

/** The run once a finalize's progress is heard: finalizing, unless it is already further. */
export function markFinalizing(run: Run): Run {
  return run.status === "streaming" ? { ...run, status: "finalizing" } : run;
}

/**
 * A refetched row in place of the held one, except that a row older than what the page has seen (an earlier
 * status) keeps the held status and final metrics: its response may arrive after the events that moved on.
 */
export function newerRun(held: Run | null, fetched: Run): Run {
  if (!held || held.id !== fetched.id || STATUS_ORDER[fetched.status] >= STATUS_ORDER[held.status]) {
    return fetched;
  }
  return {
    ...fetched,
    status: held.status,
    final: held.final ?? fetched.final,
    n: Math.max(held.n, fetched.n),
  };
}
