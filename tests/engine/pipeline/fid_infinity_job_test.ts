/**
 * FID-infinity over HTTP, on PGlite and PostgreSQL: finalize answers first with it pending, the event stream
 * then sends the completed `final` (and ends), and the stored numbers are numpy's recipe run here: permute the
 * accepted rows with RandomState(0), take p[:N_k] for linspace(N // 10, N, 15), FID of each prefix against the
 * reference, least-squares line in 1 / N.
 */
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { runs } from "../../../db/schema.ts";
import { frechetDistance } from "../../../src/stats/frechet.ts";
import { fidInfinitySampleCounts, fitFidInfinity } from "../../../src/stats/fid_infinity.ts";
import { RandomState } from "../../../src/stats/numpy_random.ts";
import { naiveMeanCov, npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";
import {
  postJson,
  postNpy,
  readEvents,
  startTestService,
  testEachService,
  type TestService,
} from "../../_support/service.ts";

const D = 4;

async function setUp(s: TestService, runRows: number, config: Record<string, unknown> = {}) {
  const refRows = randomFeatures(500, D, 1);
  const ref = await (await postNpy(s, "/v1/references?name=r", npyOf(refRows, 500, D))).json();
  const run = await (await postJson(s, "/v1/runs", { name: "g", reference: ref.id, config })).json();
  const rows = randomFeatures(runRows, D, 2, 0.05);
  // Uneven batches: the prefixes cut across them.
  for (let a = 0, i = 0; a < runRows; i++) {
    const b = Math.min(runRows, a + 17 + 31 * (i % 3));
    const res = await postNpy(
      s,
      `/v1/runs/${run.id}/batches`,
      npyOf(rows.slice(a * D, b * D), b - a, D),
      `b${i}`,
    );
    assert.equal(res.status, 200);
    a = b;
  }
  return { refRows, rows, run };
}

async function waitForFinal(s: TestService, runId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 1000; i++) {
    const final = (await (await s.request(`/v1/runs/${runId}`)).json()).final;
    if (final && !final.pending) return final;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("FID-infinity never arrived");
}

testEachService(
  "finalize answers with fid_infinity pending; a second final event brings numpy's 15 FIDs and their line",
  async (s) => {
    const n = 613;
    const { refRows, rows, run } = await setUp(s, n, { kid: false, prdc: false });
    const stream = await s.request(`/v1/runs/${run.id}/events`);
    const finished = readEvents(stream, (e) => e.event === "final" && !JSON.parse(e.data).pending);

    const answer = await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
    assert.deepEqual(answer.pending, ["fid_infinity"]);
    assert.equal(answer.fid_infinity, undefined, "finalize does not wait for it");

    const events = await finished;
    const finals = events.filter((e) => e.event === "final").map((e) => JSON.parse(e.data));
    assert.deepEqual(
      finals.map((f) => f.pending ?? null),
      [["fid_infinity"], null],
      "two finals, in order",
    );
    const progress = events.filter((e) => e.event === "progress").map((e) => JSON.parse(e.data).phase);
    assert.ok(progress.includes("fid_infinity"), `progress phases: ${progress}`);
    const final = finals[1];
    assert.equal(final.fid, answer.fid, "the main numbers stay");
    assert.notEqual(final.at, answer.at, "a new snapshot: a new event id");
    assert.deepEqual(final, await waitForFinal(s, run.id), "GET run carries the same final");

    // numpy's recipe, written out.
    const perm = new RandomState(0).permutation(n);
    const ref = naiveMeanCov(refRows, 500, D);
    const counts = Array.from(fidInfinitySampleCounts(n));
    const fi = final.fid_infinity as { value: number; slope: number; points: [number, number][] };
    assert.deepEqual(Object.keys(fi).sort(), ["points", "slope", "value"]);
    assert.deepEqual(fi.points.map((p) => p[0]), counts);
    for (const [nk, fid] of fi.points) {
      const prefix = Float64Array.from(
        { length: nk * D },
        (_, t) => rows[perm[Math.floor(t / D)] * D + (t % D)],
      );
      const p = naiveMeanCov(prefix, nk, D);
      const want = frechetDistance(ref.mu, ref.cov, p.mu, p.cov);
      assert.ok(Math.abs(fid - want) <= 1e-9 * Math.max(1, want), `N = ${nk}: ${fid} vs ${want}`);
    }
    const line = fitFidInfinity(fi.points);
    assert.deepEqual([fi.value, fi.slope], [line.value, line.slope]);
    assert.ok(Math.abs(fi.points[14][1] - final.fid) <= 1e-9 * final.fid, "the last prefix is every row");

    const history = (await (await s.request(`/v1/runs/${run.id}/metrics`)).json()).metrics;
    assert.deepEqual(history.filter((h: { kind: string }) => h.kind === "final").length, 2);
    const again = await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
    assert.deepEqual(again, final, "finalize is idempotent and answers the completed final");
    const late = await readEvents(await s.request(`/v1/runs/${run.id}/events`), () => false);
    assert.deepEqual(
      late.map((e) => e.event),
      ["final"],
      "a late client gets the complete final and the end",
    );
  },
);

testEachService(
  "no FID-infinity under 150 samples, without stored features, or with config.fid_infinity false",
  async (s) => {
    for (
      const [rowsN, config] of [
        [149, { kid: false, prdc: false }],
        [200, { retain_features: false }],
        [200, { fid_infinity: false, kid: false, prdc: false }],
      ] as const
    ) {
      const { run } = await setUp(s, rowsN, config);
      const answer = await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
      assert.equal(answer.pending, undefined, JSON.stringify(config));
      assert.equal(answer.fid_infinity, undefined);
      const events = await readEvents(await s.request(`/v1/runs/${run.id}/events`), () => false);
      assert.deepEqual(events.map((e) => e.event), ["final"]);
    }
    const bad = await postJson(s, "/v1/runs", { name: "x", reference: "r", config: { fid_infinity: 1 } });
    assert.equal(bad.status, 422);
    assert.equal((await bad.json()).error.code, "bad_fid_infinity_config");
  },
);

testEachDatabase(
  "a finalize repeated while FID-infinity is still pending (its process gone) computes it once",
  async (db) => {
    const s = await startTestService(db);
    try {
      const { run } = await setUp(s, 300, { kid: false, prdc: false });
      await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" });
      await waitForFinal(s, run.id);
      // As a process that died after answering would leave it: pending, with nobody working on it.
      const stored = (await (await s.request(`/v1/runs/${run.id}`)).json()).final;
      const { fid_infinity: _, ...withoutIt } = stored;
      await s.deps.db.update(runs).set({ final: { ...withoutIt, pending: ["fid_infinity"] } })
        .where(eq(runs.id, run.id));
      const replies = await Promise.all(
        [0, 1, 2].map(async () =>
          await (await s.request(`/v1/runs/${run.id}/finalize`, { method: "POST" })).json()
        ),
      );
      for (const r of replies) assert.deepEqual(r.pending, ["fid_infinity"]);
      const again = await waitForFinal(s, run.id);
      assert.deepEqual(again.fid_infinity, stored.fid_infinity, "the same numbers again");
      await s.deps.background.settled();
      const history = (await (await s.request(`/v1/runs/${run.id}/metrics`)).json()).metrics;
      assert.equal(
        history.filter((h: { kind: string }) => h.kind === "final").length,
        3,
        "computed once more",
      );
    } finally {
      await s.close();
    }
  },
);
