import assert from "node:assert/strict";
import { appendBatch } from "../../../db/store/batches.ts";
import { readSnapshot, writeCheckpoint } from "../../../db/store/checkpoints.ts";
import { insertReference } from "../../../db/store/references.ts";
import { insertRun } from "../../../db/store/runs.ts";
import { testEachDatabase } from "../../_support/databases.ts";

async function withBatches(db: Parameters<typeof insertRun>[0], count: number) {
  await insertReference(db, { id: "ref", name: "r", dim: 1, source: "features" });
  await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: 1 });
  for (let i = 0; i < count; i++) {
    await appendBatch(db, {
      owner: { kind: "run", id: "run" },
      idempotencyKey: `k${i}`,
      bodySha256: "s",
      n: 1,
      dim: 1,
      dtype: "float32",
      features: new Uint8Array(new Float32Array([i]).buffer),
    });
  }
}

testEachDatabase(
  "a fold marks exactly its batches and later snapshots see the rest as pending",
  async ({ db }) => {
    await withBatches(db, 3);
    const snap = await readSnapshot(db, "run");
    assert.deepEqual([snap.version, snap.n, snap.pending.length], [0, 0, 3]);
    assert.ok(snap.pending.every((p) => p.features?.byteLength === 4));
    const seqs = snap.pending.slice(0, 2).map((p) => p.seq);
    const v = await writeCheckpoint(db, "run", {
      expectedVersion: 0,
      seqs,
      n: 2,
      moments: new Uint8Array([1]),
      unitMoments: new Uint8Array([2]),
      dropFeatures: true,
    });
    assert.equal(v, 1);
    const after = await readSnapshot(db, "run");
    assert.deepEqual([after.version, after.n, after.pending.map((p) => p.seq)], [1, 2, [
      snap.pending[2].seq,
    ]]);
    assert.deepEqual(after.moments, new Uint8Array([1]));
    assert.deepEqual(after.unitMoments, new Uint8Array([2]), "the unit rows' moments come with the moments");
    const known = await readSnapshot(db, "run", { version: 1, seqs: [snap.pending[2].seq] });
    assert.equal(known.moments, undefined, "a caller holding this version gets no blob");
    assert.equal(known.unitMoments, undefined);
    assert.equal(known.pending[0].features, undefined, "nor the batches it holds");
  },
);

testEachDatabase(
  "a fold against a stale version or already-folded batches loses and writes nothing",
  async ({ db }) => {
    await withBatches(db, 2);
    const seqs = (await readSnapshot(db, "run")).pending.map((p) => p.seq);
    const write = (expectedVersion: number, s: number[]) =>
      writeCheckpoint(db, "run", {
        expectedVersion,
        seqs: s,
        n: s.length,
        moments: new Uint8Array([9]),
        unitMoments: null,
        dropFeatures: false,
      });
    const results = await Promise.all([write(0, seqs), write(0, seqs)]);
    assert.deepEqual(results.sort(), [1, null], "exactly one of two racing folds wins");
    assert.equal(await write(0, seqs), null, "stale version");
    assert.equal(await write(1, seqs), null, "batches already folded");
    const snap = await readSnapshot(db, "run");
    assert.deepEqual([snap.version, snap.n, snap.pending.length], [1, 2, 0]);
    assert.equal(snap.unitMoments, null, "a checkpoint without unit moments reads as null");
  },
);
