/**
 * Two real server processes on one PostgreSQL ingest into one run concurrently (with duplicate retries racing
 * across processes): nothing is lost or counted twice, and the final statistics are exact.
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../db/postgres/open.ts";
import { frechetDistance } from "../../src/stats/frechet.ts";
import { momentsCovariance, momentsMean } from "../../src/stats/moments.ts";
import { naiveMeanCov, npyOf, randomFeatures } from "../../tools/arrays.ts";
import { testOnPostgres } from "../_support/databases.ts";
import { readEvents } from "../_support/service.ts";
import { startServerProcess } from "../../tools/server_process.ts";
import { finalCheckpoint } from "./faults/_harness.ts";

const D = 5;

testOnPostgres(
  "two server processes on one PostgreSQL ingest one run concurrently with exact final statistics",
  async (url) => {
    const env = { DATABASE_URL: url, FIDSTREAM_FOLD_INTERVAL_MS: "0", FIDSTREAM_METRICS_DELAY_MS: "5" };
    const servers = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    try {
      const [a, b] = servers.map((s) => s.url);
      const refData = randomFeatures(150, D, 1);
      const ref = await (await fetch(`${a}/v1/references?name=ref`, {
        method: "POST",
        body: npyOf(refData, 150, D) as BodyInit,
        headers: { "content-type": "application/x-npy" },
      })).json();
      const run = await (await fetch(`${b}/v1/runs`, {
        method: "POST",
        body: JSON.stringify({ name: "concurrent", reference: ref.id }),
        headers: { "content-type": "application/json" },
      })).json();
      const events = readEvents(await fetch(`${b}/v1/runs/${run.id}/events`), (e) => e.event === "final");

      const clients = 8, perClient = 6, rows = 7;
      const all: Float32Array[] = [];
      const upload = async (server: string, body: Uint8Array, key: string) => {
        const res = await fetch(`${server}/v1/runs/${run.id}/batches`, {
          method: "POST",
          body: body as BodyInit,
          headers: { "content-type": "application/x-npy", "idempotency-key": key },
        });
        assert.equal(res.status, 200, await res.clone().text());
        return await res.json();
      };
      await Promise.all(Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const data = randomFeatures(rows, D, 100 + c * perClient + i, 0.25);
          all.push(data);
          const body = npyOf(data, rows, D);
          const key = `client${c}-batch${i}`;
          // The same batch sent to both processes at once, as a client retrying after a timeout would.
          const [r1, r2] = await Promise.all([upload(a, body, key), upload(b, body, key)]);
          assert.equal(r1.batch, r2.batch);
          assert.equal(r1.n, r2.n);
          assert.equal(r1.replayed !== r2.replayed, true, "exactly one of the two was a replay");
        }
      }));

      const total = clients * perClient * rows;
      // Partial metrics run in the background after each batch: wait for the one that has every row (computed by
      // either process) before finalizing, or a fast finalize closes the run before any partial is stored.
      const deadline = Date.now() + 60_000;
      while ((await (await fetch(`${b}/v1/runs/${run.id}`)).json()).latest?.n !== total) {
        assert.ok(Date.now() < deadline, "partial metrics of every row within 60 s");
        await new Promise((r) => setTimeout(r, 50));
      }
      const final = await (await fetch(`${a}/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
      assert.equal(final.n, total);
      const gen = new Float32Array(total * D);
      all.forEach((p, i) => gen.set(p, i * rows * D));
      const r = naiveMeanCov(refData, 150, D), g = naiveMeanCov(gen, total, D);
      const expected = frechetDistance(r.mu, r.cov, g.mu, g.cov);
      assert.ok(Math.abs(final.fid - expected) <= 1e-9 * expected, `${final.fid} vs ${expected}`);

      // The stored checkpoint itself holds exactly the offline mean and covariance.
      const database = await openPostgres(url);
      try {
        const m = (await finalCheckpoint(database, run.id, total))!;
        assert.equal(m.n, total);
        const mu = momentsMean(m), cov = momentsCovariance(m);
        for (let j = 0; j < D; j++) assert.ok(Math.abs(mu[j] - g.mu[j]) < 1e-12, "mean");
        for (let j = 0; j < D * D; j++) assert.ok(Math.abs(cov[j] - g.cov[j]) < 1e-12, "covariance");
      } finally {
        await database.close();
      }

      // Server B's SSE client saw the final computed by server A (notifications cross processes).
      const seen = await events;
      assert.equal(seen.at(-1)!.event, "final");
      assert.equal(JSON.parse(seen.at(-1)!.data).n, total);
      const partial = seen.filter((e) => e.event === "metrics").map((e) => JSON.parse(e.data).n);
      assert.ok(partial.length >= 1, "partial metrics streamed while batches arrived");
      assert.deepEqual(partial, [...partial].sort((x, y) => x - y), "partial n never goes backwards");
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  },
);
