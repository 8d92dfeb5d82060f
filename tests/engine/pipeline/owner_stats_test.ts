import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/database.ts";
import { checkpoints } from "../../../db/schema.ts";
import { appendBatch } from "../../../db/store/batches.ts";
import { readSnapshot } from "../../../db/store/checkpoints.ts";
import { insertReference } from "../../../db/store/references.ts";
import { insertRun } from "../../../db/store/runs.ts";
import { inlineCompute, workerCompute } from "../../../engine/pipeline/compute.ts";
import { OwnerStats, stackBatches } from "../../../engine/pipeline/owner_stats.ts";
import { momentsCovariance, momentsMean } from "../../../src/stats/moments.ts";
import { featuresToBytes } from "../../../src/tensors/feature_bytes.ts";
import { unitRows as unitRowsOf } from "../../../src/stats/vendi.ts";
import { naiveMeanCov, randomFeatures } from "../../../tools/arrays.ts";
import { testEachDatabase } from "../../_support/databases.ts";

const D = 4;

/** Stores n float32 rows (n x D) as a batch of the run "run" under the idempotency key. */
async function appendRows(db: Db, key: string, rows: Float32Array, n: number): Promise<void> {
  const { dtype, bytes } = featuresToBytes(rows);
  await appendBatch(db, {
    owner: { kind: "run", id: "run" },
    idempotencyKey: key,
    bodySha256: "s",
    n,
    dim: D,
    dtype,
    features: bytes,
  });
}

testEachDatabase(
  "pending batches are folded once their bytes reach the checkpoint's times its write cost, not before",
  async ({ db }) => {
    await insertReference(db, { id: "ref", name: "r", dim: D, source: "features" });
    await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: D });
    // The co-moment of D = 4 is 10 float64 = 80 bytes; a batch of 2 float32 rows is 32 bytes.
    const batch = (i: number) => appendRows(db, `b${i}`, randomFeatures(2, D, i), 2);
    const checkpointN = async () =>
      (await db.select({ n: checkpoints.n }).from(checkpoints).where(eq(checkpoints.ownerId, "run")))[0]?.n ??
        0;
    const owners = new OwnerStats(
      db,
      { intervalMs: 60_000, maxPending: 1000, checkpointWriteCost: 3 },
      inlineCompute(),
    );
    // 3 x 80 = 240 bytes: 7 batches (224) stay pending, the 8th (256) makes the fold due.
    for (let i = 0; i < 7; i++) {
      await batch(i);
      await owners.fold("run", D, { retainFeatures: true });
      assert.equal(await checkpointN(), 0, `after ${i + 1} batches`);
    }
    await batch(7);
    await owners.fold("run", D, { retainFeatures: true });
    assert.equal(await checkpointN(), 16, "all 8 batches of 2 rows folded");
  },
);

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
          await appendRows(db, `r${round}b${i}`, data, 6);
        }
        const results = await Promise.all([
          owners.current("run", D),
          owners.fold("run", D, { retainFeatures: true }),
          owners.current("run", D),
          owners.fold("run", D, { retainFeatures: false, force: true }),
        ]);
        for (const s of results) {
          assert.equal(s.moments.n, all.length * 6, `round ${round}`);
          assert.equal(s.unit?.n, all.length * 6, `round ${round}: the unit rows' moments too`);
        }
      }
      const { moments: m, unit } = await owners.current("run", D);
      const flat = new Float32Array(all.length * 6 * D);
      all.forEach((p, i) => flat.set(p, i * 6 * D));
      const expected = naiveMeanCov(flat, all.length * 6, D);
      momentsMean(m).forEach((v, j) => assert.ok(Math.abs(v - expected.mu[j]) < 1e-12));
      momentsCovariance(m).forEach((v, j) => assert.ok(Math.abs(v - expected.cov[j]) < 1e-12));
      const unitRows = naiveMeanCov(unitRowsOf(flat, all.length * 6, D), all.length * 6, D);
      momentsMean(unit!).forEach((v, j) => assert.ok(Math.abs(v - unitRows.mu[j]) < 1e-12));
      momentsCovariance(unit!).forEach((v, j) => assert.ok(Math.abs(v - unitRows.cov[j]) < 1e-12));

      // A second process (a fresh cache over the same database) sees the same statistics.
      const other = await new OwnerStats(db, { intervalMs: 0, maxPending: 1 }, inlineCompute()).current(
        "run",
        D,
      );
      assert.equal(other.moments.n, m.n);
      assert.deepEqual(momentsMean(other.moments), momentsMean(m));
      assert.deepEqual(momentsMean(other.unit!), momentsMean(unit!));
    } finally {
      compute.close();
    }
  },
);

testEachDatabase(
  "a refresh reads waiting batches a page at a time and gets the same moments",
  async ({ db }) => {
    await insertReference(db, { id: "ref", name: "r", dim: D, source: "features" });
    await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: D });
    const rows: Float32Array[] = [];
    for (let i = 0; i < 7; i++) {
      const data = randomFeatures(3 + i, D, 500 + i);
      rows.push(data);
      await appendRows(db, `p${i}`, data, 3 + i);
    }
    // 1 byte: every page holds exactly one batch (at least one is always read); 200 bytes: a few per page.
    const pages: number[] = [];
    const counting = { ...inlineCompute() };
    const whole = await new OwnerStats(db, { intervalMs: 60_000, maxPending: 100 }, inlineCompute()).current(
      "run",
      D,
    );
    for (const pageBytes of [1, 200]) {
      let calls = 0, rows = 0;
      const compute = inlineCompute();
      counting.batchStatistics = (...args) => (calls++, rows += args[2], compute.batchStatistics(...args));
      const paged = new OwnerStats(
        db,
        { intervalMs: 60_000, maxPending: 100 },
        counting,
        Date.now,
        pageBytes,
      );
      const m = (await paged.current("run", D)).moments;
      pages.push(calls);
      assert.equal(rows, whole.moments.n, "every row's moments computed once");
      assert.equal(m.n, whole.moments.n);
      const [mu, cov] = [momentsMean(whole.moments), momentsCovariance(whole.moments)];
      momentsMean(m).forEach((v, j) => assert.ok(Math.abs(v - mu[j]) < 1e-12));
      momentsCovariance(m).forEach((v, j) => assert.ok(Math.abs(v - cov[j]) < 1e-12));
    }
    // One page per batch: one call each; larger pages stack a page's batches into fewer calls.
    assert.equal(pages[0], 7);
    assert.ok(pages[1] < 7, `a 200-byte page stacks its batches (${pages[1]} calls)`);
    // Folding after a paged refresh writes a checkpoint of all of it.
    const owners = new OwnerStats(db, { intervalMs: 60_000, maxPending: 100 }, inlineCompute(), Date.now, 1);
    const folded = await owners.fold("run", D, { retainFeatures: true, force: true });
    assert.equal(folded.moments.n, rows.reduce((s, r) => s + r.length / D, 0));
    assert.equal((await readSnapshot(db, "run")).pending.length, 0);
  },
);

testEachDatabase(
  "readSnapshot loads features up to its byte budget and counts the rest as deferred",
  async ({ db }) => {
    await insertReference(db, { id: "ref", name: "r", dim: D, source: "features" });
    await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: D });
    for (let i = 0; i < 5; i++) {
      await appendRows(db, `s${i}`, randomFeatures(2, D, 900 + i), 2); // 32 bytes each
    }
    const first = await readSnapshot(db, "run", { maxFeatureBytes: 70 });
    assert.deepEqual(first.pending.map((p) => p.features !== undefined), [true, true, false, false, false]);
    assert.equal(first.deferred, 3);
    const held = first.pending.slice(0, 2).map((p) => p.seq);
    const next = await readSnapshot(db, "run", { version: first.version, seqs: held, maxFeatureBytes: 70 });
    assert.deepEqual(next.pending.map((p) => p.features !== undefined), [false, false, true, true, false]);
    assert.equal(next.deferred, 1);
    assert.equal((await readSnapshot(db, "run")).deferred, 0, "no budget: everything at once");
  },
);

Deno.test("stackBatches stacks consecutive batches of one dtype and dim up to the row limit, in order", () => {
  const batch = (n: number, dtype: "float32" | "float64", dim = 2, fill = n) => ({
    n,
    dim,
    dtype,
    features: new Uint8Array(n * dim * (dtype === "float32" ? 4 : 8)).fill(fill),
  });
  const big = batch(9, "float32");
  const input = [
    batch(3, "float32"),
    batch(4, "float32"),
    batch(2, "float64"), // another dtype: a new group
    batch(1, "float64", 3), // another dim: a new group
    big, // over the limit alone: its own group, bytes not copied
    batch(5, "float32"),
    batch(3, "float32"),
    batch(1, "float32"), // 5 + 3 + 1 > 8: starts the next group
  ];
  const groups = stackBatches(input, 8);
  assert.deepEqual(groups.map((g) => [g.n, g.dtype, g.dim]), [
    [7, "float32", 2],
    [2, "float64", 2],
    [1, "float64", 3],
    [9, "float32", 2],
    [8, "float32", 2],
    [1, "float32", 2],
  ]);
  assert.equal(groups[3].features, big.features);
  assert.deepEqual([...groups[0].features], [...input[0].features, ...input[1].features]);
  assert.equal(groups.reduce((s, g) => s + g.n, 0), input.reduce((s, b) => s + b.n, 0));
});

testEachDatabase(
  "a checkpoint written without the unit rows' moments leaves them unknown, through later batches and folds",
  async ({ db }) => {
    await insertReference(db, { id: "ref", name: "r", dim: D, source: "features" });
    await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: D });
    const add = async (key: string, seed: number) => {
      await appendRows(db, key, randomFeatures(5, D, seed), 5);
    };
    await add("a", 1);
    const owners = new OwnerStats(db, { intervalMs: 60_000, maxPending: 100 }, inlineCompute());
    const first = await owners.fold("run", D, { retainFeatures: true, force: true });
    assert.equal(first.unit?.n, 5);
    // As a version before the Vendi score wrote it: the same checkpoint without unit moments.
    await db.update(checkpoints).set({ unitMoments: null }).where(eq(checkpoints.ownerId, "run"));
    await add("b", 2);
    const fresh = new OwnerStats(db, { intervalMs: 60_000, maxPending: 100 }, inlineCompute());
    const later = await fresh.fold("run", D, { retainFeatures: true, force: true });
    assert.deepEqual([later.moments.n, later.unit], [10, null]);
    assert.equal((await readSnapshot(db, "run")).unitMoments, null, "the fold keeps them unknown");
  },
);
