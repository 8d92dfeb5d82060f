/**
 * Three server processes on one PostgreSQL, 16 concurrent uploaders with retries spread over all three, and
 * duplicate keys: every batch is also sent again at once to another process, and an earlier one is re-sent later
 * (as a client retrying after a lost answer would). The final n, mean and covariance are exact.
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../../db/postgres/open.ts";
import { randomFeatures } from "../../../tools/arrays.ts";
import { testOnPostgres } from "../../_support/databases.ts";
import {
  type Ack,
  planBatches,
  postUntilAccepted,
  stackRows,
  StatusLog,
} from "../../../tools/retrying_uploader.ts";
import { startServerProcess } from "../../../tools/server_process.ts";
import {
  assertAckHistory,
  assertCheckpointMatchesOffline,
  assertFinalMatchesOffline,
  createReferenceAndRun,
  finalize,
} from "./_harness.ts";

const D = 7;
const CLIENTS = 16;
const PER_CLIENT = 8;

testOnPostgres(
  "[postgres] three servers, 16 uploaders with retries and duplicate keys: exact n, mean and covariance",
  async (url) => {
    const env = {
      DATABASE_URL: url,
      FIDSTREAM_FOLD_INTERVAL_MS: "0",
      FIDSTREAM_METRICS_DELAY_MS: "5",
      FIDSTREAM_REQUESTS_PER_MINUTE: "0",
    };
    const servers = await Promise.all([0, 1, 2].map(() => startServerProcess(env)));
    try {
      const urls = servers.map((s) => s.url);
      const refData = randomFeatures(160, D, 5);
      const runId = await createReferenceAndRun(urls[0], refData, 160, D);
      const batches = planBatches("u", CLIENTS * PER_CLIENT, (i) => 1 + (i % 6), D, 3000);
      const log = new StatusLog();
      const deadline = performance.now() + 60_000;
      const firsts = new Map<string, Ack>();
      const replays: Ack[] = [];
      await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
        const mine = batches.slice(c * PER_CLIENT, (c + 1) * PER_CLIENT);
        for (const [i, b] of mine.entries()) {
          // The same key to two processes at once: exactly one stores it, the other replays its answer.
          const [x, y] = await Promise.all([
            postUntilAccepted(runId, b, { servers: () => urls, start: c, deadline, log }),
            postUntilAccepted(runId, b, { servers: () => urls, start: c + 1, deadline, log }),
          ]);
          assert.deepEqual([x.batch, x.n], [y.batch, y.n], `both answers for ${b.key}`);
          assert.equal(x.replayed !== y.replayed, true, `exactly one of the two stored ${b.key}`);
          firsts.set(b.key, x.replayed ? y : x);
          // Later, an earlier batch again, through yet another process.
          if (i % 3 === 2) {
            replays.push(
              await postUntilAccepted(runId, mine[i - 2], {
                servers: () => urls,
                start: c + 2,
                deadline,
                log,
              }),
            );
          }
        }
      }));
      assert.deepEqual(log.unexpected(["200"]), [], `statuses: ${log}`);
      for (const r of replays) {
        assert.equal(r.replayed, true);
        assert.deepEqual([r.batch, r.n], [firsts.get(r.key)!.batch, firsts.get(r.key)!.n]);
      }
      const total = batches.reduce((s, b) => s + b.n, 0);
      assertAckHistory(batches, firsts, 0, total);

      const gen = stackRows(batches, D);
      const final = await finalize(urls[2], runId);
      assertFinalMatchesOffline(final, refData, gen, D);
      const database = await openPostgres(url);
      try {
        await assertCheckpointMatchesOffline(database, runId, gen, D);
      } finally {
        await database.close();
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  },
);
