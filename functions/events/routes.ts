/**
 * GET /v1/runs/:id/events: Server-Sent Events. `metrics` each time new partial metrics exist, `progress` as each
 * phase of a finalize begins ({phase, elapsed_s, done}), then `final`: once, or, while the final metrics list
 * work still `pending` (FID-infinity runs after finalize answers), again when that work adds its numbers; the
 * stream ends after a `final` with nothing pending.
 * A late client first gets the latest state. Wake-ups come from the database's notifications, so metrics computed
 * by any process reach every process's clients, and every `streamKeyRecheckMs` the stream re-reads the run anyway
 * (notifications are lost while the database restarts). Each event's id is its snapshot's `at`: a client
 * reconnecting with Last-Event-ID is not sent the snapshot it already has. A stream outlives its request's
 * authentication, so it re-checks its key as often: a revoked key's streams end with an `error` event.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { findActiveKey } from "../../db/store/api_keys.ts";
import { findRun } from "../../db/store/runs.ts";
import type { AppEnv } from "../env.ts";
import { requireRun } from "../owned.ts";

const KEEPALIVE_MS = 15_000;

/** The event stream route. */
export const events = new Hono<AppEnv>();

events.get("/v1/runs/:id/events", async (c) => {
  const deps = c.get("deps");
  const { id } = await requireRun(c);
  const keyId = c.get("principal").keyId;
  const recheckMs = deps.config.streamKeyRecheckMs;
  return streamSSE(c, async (stream) => {
    let wake: (() => void) | undefined;
    let pending = false;
    const progress: unknown[] = []; // finalize progress, not stored: passed on as it arrives
    let watchedFinalize = false, finalNoticed = false;
    const unsubscribe = deps.notifier.subscribe(id, (notice) => {
      if (notice.kind === "progress") {
        progress.push(notice.progress);
        watchedFinalize = true;
      }
      if (notice.kind === "final") finalNoticed = true;
      pending = true;
      wake?.();
    });
    /** Sleeps until a notification or `ms`, whichever comes first. */
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, ms));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }).finally(() => wake = undefined);
    const flushProgress = async () => {
      for (const p of progress.splice(0)) {
        await stream.writeSSE({ event: "progress", data: JSON.stringify(p) });
      }
    };
    stream.onAbort(() => wake?.());
    let lastAt: unknown = c.req.header("last-event-id") || undefined;
    let lastWrite = Date.now();
    /** Sends a metrics snapshot; its `at` is its event id. */
    const send = async (event: "metrics" | "final", snapshot: Record<string, unknown>) => {
      lastAt = snapshot.at;
      await stream.writeSSE({ event, data: JSON.stringify(snapshot), id: String(snapshot.at) });
      lastWrite = Date.now();
    };
    let lastKeyCheck = Date.now();
    try {
      while (!stream.aborted) {
        if (Date.now() - lastKeyCheck >= recheckMs) {
          lastKeyCheck = Date.now();
          if (keyId !== null && !(await findActiveKey(deps.db, keyId))) {
            await stream.writeSSE({
              event: "error",
              data: JSON.stringify({
                code: "key_revoked",
                message: "the API key of this stream was revoked; reconnect with a valid key",
              }),
            });
            break;
          }
        }
        pending = false;
        await flushProgress();
        const run = await findRun(deps.db, id);
        if (!run) break;
        if (run.status === "finalized" && run.final) {
          // A finalize this stream watched announced its phases before its final (NOTIFYs arrive in commit order),
          // but the run's row can be read before those notices arrive: wait for the final's (2 s at most), so every
          // phase goes out before the final.
          const deadline = Date.now() + 2_000;
          while (watchedFinalize && !finalNoticed && !stream.aborted && Date.now() < deadline) {
            await sleep(deadline - Date.now());
          }
          await flushProgress();
          // The complete final always goes out (a client that reconnects after it gets it again and is done); one
          // with work pending, once, and the stream waits for the update.
          const more = Array.isArray(run.final.pending) && run.final.pending.length > 0;
          if (!more || run.final.at !== lastAt) await send("final", run.final);
          if (!more) break;
        } else if (run.latest && run.latest.at !== lastAt) {
          await send("metrics", run.latest);
        }
        if (pending) continue;
        // Sleep until a notification, the next check, or the next keep-alive, whichever comes first. Each check
        // also re-reads the run, so a notification lost to a database restart delays an event by one interval.
        const untilKeepalive = KEEPALIVE_MS - (Date.now() - lastWrite);
        const untilCheck = recheckMs - (Date.now() - lastKeyCheck);
        await sleep(Math.min(untilKeepalive, untilCheck));
        if (!stream.aborted && Date.now() - lastWrite >= KEEPALIVE_MS) {
          await stream.write(": keep-alive\n\n");
          lastWrite = Date.now();
        }
      }
    } finally {
      unsubscribe();
    }
  });
});
