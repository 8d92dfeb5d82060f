import assert from "node:assert/strict";
import { appendBatch } from "../../../db/store/batches.ts";
import { insertReference } from "../../../db/store/references.ts";
import { insertRun } from "../../../db/store/runs.ts";
import { inlineCompute, workerCompute } from "../../../functions/pipeline/compute.ts";
import { OwnerStats } from "../../../functions/pipeline/owner_stats.ts";
import { momentsCovariance, momentsMean } from "../../../src/stats/moments.ts";
import { featuresToBytes } from "../../../src/tensors/feature_bytes.ts";
import { naiveMeanCov, randomFeatures } from "../../_support/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";

const D = 4;

testEachDatabase(
  "concurrent refreshes and folds of one run count every batch exactly once",
  async ({ db }) => {
    await insertReference(db, { id: "ref", name: "r", dim: D, source: "features" });
    await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: D });
    const all: Float32Array[] = [];
    const compute = workerCompute();
    try {
      const owners = new OwnerStats(db, { intervalMs: 60_000, maxPending: 3 }, compute);
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 3; i++) {
          const data = randomFeatures(6, D, round * 10 + i);
          all.push(data);
          const { dtype, bytes } = featuresToBytes(data);
          await appendBatch(db, {
            owner: { kind: "run", id: "run" },
            idempotencyKey: `r${round}b${i}`,
            bodySha256: "s",
            n: 6,
            dim: D,
            dtype,
            features: bytes,
          });
        }
        const results = await Promise.all([
          owners.current("run", D),
          owners.fold("run", D, { retainFeatures: true }),
          owners.current("run", D),
          owners.fold("run", D, { retainFeatures: false, force: true }),
        ]);
        for (const m of results) assert.equal(m.n, all.length * 6, `round ${round}`);
      }
      const m = await owners.current("run", D);
      const flat = new Float32Array(all.length * 6 * D);
      all.forEach((p, i) => flat.set(p, i * 6 * D));
      const expected = naiveMeanCov(flat, all.length * 6, D);
      momentsMean(m).forEach((v, j) => assert.ok(Math.abs(v - expected.mu[j]) < 1e-12));
      momentsCovariance(m).forEach((v, j) => assert.ok(Math.abs(v - expected.cov[j]) < 1e-12));

      // A second process (a fresh cache over the same database) sees the same statistics.
      const other = await new OwnerStats(db, { intervalMs: 0, maxPending: 1 }, inlineCompute()).current(
        "run",
        D,
      );
      assert.equal(other.n, m.n);
      assert.deepEqual(momentsMean(other), momentsMean(m));
    } finally {
      compute.close();
    }
  },
);
