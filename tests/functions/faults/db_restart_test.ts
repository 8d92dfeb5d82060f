/**
 * The database goes away during ingestion: a throwaway PostgreSQL is stopped (fast, then immediate = as after a
 * crash) while two server processes take uploads, and started again on the same data dir and port. Clients see
 * 503 with Retry-After (never 500) while it is down and retry; nothing is lost or doubled; the servers carry on by
 * themselves afterwards, LISTEN included (a metrics notification from one process reaches the other's SSE client).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openPostgres } from "../../../db/postgres/open.ts";
import { randomFeatures } from "../../../tools/arrays.ts";
import { sseEvents } from "../../../cli/sse_events.ts";
import { findPostgresBinDir, startPostgres } from "../../../tools/postgres_server.ts";
import {
  type Ack,
  planBatches,
  stackRows,
  StatusLog,
  uploadConcurrently,
} from "../../../tools/retrying_uploader.ts";
import { type ServerProcess, startServerProcess } from "../../../tools/server_process.ts";
import {
  assertAckHistory,
  assertCheckpointMatchesOffline,
  assertFinalMatchesOffline,
  assertReplays,
  createReferenceAndRun,
  finalize,
} from "./_harness.ts";

const D = 6;
const hasPostgres = findPostgresBinDir() !== null;

/** Opens the run's event stream and resolves each metrics/final event's n as it arrives. */
function watchEvents(url: string, runId: string) {
  const seen: { event: string; n: number; at: number }[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(`${url}/v1/runs/${runId}/events`, { signal: controller.signal });
    for await (const e of sseEvents(res.body!)) {
      if (e.data) seen.push({ event: e.event, n: JSON.parse(e.data).n, at: performance.now() });
    }
  })().catch(() => {});
  return { seen, close: () => (controller.abort(), done) };
}

async function waitUntil(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test({
  name: hasPostgres
    ? "[postgres] the database restarts during ingestion: 503 while down, nothing lost or doubled, LISTEN resumes"
    : "[postgres] the database restarts during ingestion (SKIPPED: no PostgreSQL server binaries)",
  ignore: !hasPostgres,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const pg = (await startPostgres())!;
    const servers: ServerProcess[] = [];
    try {
      // The throwaway server runs with synchronous_commit off (speed): an immediate stop would then lose commits
      // that were already acknowledged. A crash test needs what production has: commits durable when they return.
      const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
      await admin`alter system set synchronous_commit = on`;
      await admin`select pg_reload_conf()`;
      await admin.end();
      const env = {
        DATABASE_URL: pg.url,
        FIDSTREAM_FOLD_INTERVAL_MS: "0",
        FIDSTREAM_METRICS_DELAY_MS: "0",
        FIDSTREAM_REQUESTS_PER_MINUTE: "0",
      };
      servers.push(...await Promise.all([startServerProcess(env), startServerProcess(env)]));
      const urls = servers.map((s) => s.url);
      const refData = randomFeatures(120, D, 3);
      const runId = await createReferenceAndRun(urls[0], refData, 120, D);

      const batches = planBatches("db-restart", 200, (i) => 1 + (i % 4), D, 500);
      const log = new StatusLog();
      const uploads = uploadConcurrently(runId, batches, 6, {
        servers: () => urls,
        deadline: performance.now() + 120_000,
        log,
        backoffMs: 20,
      });
      for (const [k, mode] of (["fast", "immediate"] as const).entries()) {
        await waitUntil(
          `${(k + 1) * 40} acknowledged batches`,
          () => log.count("200") >= (k + 1) * 40,
          60_000,
        );
        const before = log.count("503");
        await pg.restart({
          mode,
          // Stay down until the clients have seen the outage (bounded: 503s come within milliseconds).
          whileDown: () =>
            waitUntil("503s while the database is down", () => log.count("503") >= before + 5, 20_000),
        });
      }
      const acks = await uploads;
      // 503 is the only failure a client may see; never a 500 or a dropped connection (the servers stay up).
      assert.deepEqual(log.unexpected(["200", "503"]), [], `statuses: ${log}`);
      assert.ok(log.count("503") >= 10, `statuses: ${log}`);
      assert.ok(log.samples.get("503")!.includes("database_unavailable"), log.samples.get("503"));

      const acked = new Map<string, Ack>(acks.map((a) => [a.key, a]));
      const total = batches.reduce((s, b) => s + b.n, 0);
      assertAckHistory(batches, acked, 0, total);
      // Both processes serve and replay again after the database came back.
      await assertReplays(urls[1], runId, batches.slice(0, 100), acked);
      await assertReplays(urls[0], runId, batches.slice(100), acked);

      // LISTEN resubscribed in both processes: metrics computed by server 0 reach server 1's SSE client (and
      // its own) well before the 15 s keep-alive would re-read the run.
      const watchers = [watchEvents(urls[1], runId), watchEvents(urls[0], runId)];
      try {
        await waitUntil(
          "the latest metrics on connect",
          () => watchers.every((w) => w.seen.length > 0),
          10_000,
        );
        const extra = planBatches("after-restart", 1, () => 5, D, 9000)[0];
        const res = await fetch(`${urls[0]}/v1/runs/${runId}/batches`, {
          method: "POST",
          body: extra.body as BodyInit,
          headers: { "content-type": "application/x-npy", "idempotency-key": extra.key },
        });
        assert.equal(res.status, 200, await res.text());
        for (const [i, w] of watchers.entries()) {
          await waitUntil(
            `server ${1 - i}'s SSE client to get n = ${total + 5}`,
            () => w.seen.some((e) => e.n === total + 5),
            5_000,
          );
        }
        batches.push(extra);
      } finally {
        await Promise.all(watchers.map((w) => w.close()));
      }

      const gen = stackRows(batches, D);
      const final = await finalize(urls[1], runId);
      assertFinalMatchesOffline(final, refData, gen, D);
      const database = await openPostgres(pg.url);
      try {
        await assertCheckpointMatchesOffline(database, runId, gen, D);
      } finally {
        await database.close();
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop("SIGKILL")));
      await pg.stop();
    }
  },
});
