/**
 * GET /v1/runs/:id/events: Server-Sent Events. `metrics` each time new partial metrics exist, `progress` as each
 * phase of a finalize begins ({phase, elapsed_s, done}), `final` once.
 * A late client first gets the latest state. Wake-ups come from the database's notifications, so metrics computed
 * by any process reach every process's clients.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { findRun } from "../../db/store/runs.ts";
import type { AppEnv } from "../env.ts";
import { requireRun } from "../owned.ts";

const KEEPALIVE_MS = 15_000;

/** The event stream route. */
export const events = new Hono<AppEnv>();

events.get("/v1/runs/:id/events", async (c) => {
  const deps = c.get("deps");
  const { id } = await requireRun(c);
  return streamSSE(c, async (stream) => {
    let wake: (() => void) | undefined;
    let pending = false;
    const progress: unknown[] = []; // finalize progress, not stored: passed on as it arrives
    const unsubscribe = deps.notifier.subscribe(id, (notice) => {
      if (notice.kind === "progress") progress.push(notice.progress);
      pending = true;
      wake?.();
    });
    stream.onAbort(() => wake?.());
    let lastAt: unknown = undefined;
    try {
      while (!stream.aborted) {
        pending = false;
        for (const p of progress.splice(0)) {
          await stream.writeSSE({ event: "progress", data: JSON.stringify(p) });
        }
        const run = await findRun(deps.db, id);
        if (!run) break;
        if (run.status === "finalized" && run.final) {
          await stream.writeSSE({ event: "final", data: JSON.stringify(run.final), id: String(run.final.n) });
          break;
        }
        if (run.latest && run.latest.at !== lastAt) {
          lastAt = run.latest.at;
          await stream.writeSSE({
            event: "metrics",
            data: JSON.stringify(run.latest),
            id: String(run.latest.n),
          });
        }
        if (pending) continue;
        const timedOut = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), KEEPALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = undefined;
        if (timedOut && !stream.aborted) await stream.write(": keep-alive\n\n");
      }
    } finally {
      unsubscribe();
    }
  });
});
