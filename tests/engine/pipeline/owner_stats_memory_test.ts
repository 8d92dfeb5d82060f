/**
 * A refresh after a burst merges the new batches' moments a few at a time: each is a D x D co-moment (16 MB at
 * D = 2048), and holding one per pending batch took a server to 16 GB RSS under load (bench/load_bench.ts).
 */
import assert from "node:assert/strict";
import { appendBatch } from "../../../db/store/batches.ts";
import { insertReference } from "../../../db/store/references.ts";
import { insertRun } from "../../../db/store/runs.ts";
import { type Compute, inlineCompute } from "../../../engine/pipeline/compute.ts";
import { OwnerStats } from "../../../engine/pipeline/owner_stats.ts";
import { momentsCovariance, momentsMean } from "../../../src/stats/moments.ts";
import { featuresToBytes } from "../../../src/tensors/feature_bytes.ts";
import { naiveMeanCov, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";

const D = 3;
const BATCHES = 40;

testEachDatabase(
  "a refresh over 40 pending batches has at most 4 batch moments in flight, and is exact",
  async ({ db }) => {
    await insertReference(db, { id: "ref", name: "r", dim: D, source: "features" });
    await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: D });
    const rows: Float32Array[] = [];
    for (let i = 0; i < BATCHES; i++) {
      const data = randomFeatures(5, D, i);
      rows.push(data);
      const { dtype, bytes } = featuresToBytes(data);
      await appendBatch(db, {
        owner: { kind: "run", id: "run" },
        idempotencyKey: `b${i}`,
        bodySha256: "s",
        n: 5,
        dim: D,
        dtype,
        features: bytes,
      });
    }
    const inline = inlineCompute();
    let inFlight = 0, most = 0;
    // The real computation, answered asynchronously like the worker's, counting calls not yet answered.
    const counting: Compute = {
      ...inline,
      batchStatistics: async (features, dtype, n, dim) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        return await inline.batchStatistics(features, dtype, n, dim);
      },
    };
    const owners = new OwnerStats(db, { intervalMs: 60_000, maxPending: 1000 }, counting);
    const m = (await owners.current("run", D)).moments;
    assert.ok(most <= 4, `${most} batch moments were in flight at once`);
    const flat = new Float32Array(BATCHES * 5 * D);
    rows.forEach((r, i) => flat.set(r, i * 5 * D));
    const expected = naiveMeanCov(flat, BATCHES * 5, D);
    assert.equal(m.n, BATCHES * 5);
    momentsMean(m).forEach((v, j) => assert.ok(Math.abs(v - expected.mu[j]) < 1e-12));
    momentsCovariance(m).forEach((v, j) => assert.ok(Math.abs(v - expected.cov[j]) < 1e-12));
  },
);
