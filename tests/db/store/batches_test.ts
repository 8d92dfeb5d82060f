import assert from "node:assert/strict";
import { appendBatch, countBatches, type NewBatch } from "../../../db/store/batches.ts";
import { insertReference } from "../../../db/store/references.ts";
import { beginFinalize, insertRun } from "../../../db/store/runs.ts";
import { ConflictError, NotFoundError } from "../../../src/errors.ts";
import { testEachDatabase } from "../../_support/databases.ts";

async function setup(db: Parameters<typeof insertRun>[0]) {
  await insertReference(db, { id: "ref", name: "r", dim: 2, source: "features" });
  await insertRun(db, { id: "run", name: "x", referenceId: "ref", dim: 2 });
}

const batch = (key: string, n: number, sha = `sha-${key}`): NewBatch => ({
  owner: { kind: "run", id: "run" },
  idempotencyKey: key,
  bodySha256: sha,
  n,
  dim: 2,
  dtype: "float32",
  features: new Uint8Array(n * 8),
});

testEachDatabase("concurrent appends with one key store one batch and all answer alike", async ({ db }) => {
  await setup(db);
  const receipts = await Promise.all(Array.from({ length: 8 }, () => appendBatch(db, batch("k", 3))));
  assert.equal(receipts.filter((r) => !r.replay).length, 1);
  assert.ok(receipts.every((r) => r.batch === receipts[0].batch && r.n === 3));
  assert.deepEqual(await countBatches(db, "run"), { batches: 1, withFeatures: 1 });
});

testEachDatabase("concurrent appends with distinct keys count every sample once", async ({ db }) => {
  await setup(db);
  const receipts = await Promise.all(
    Array.from({ length: 10 }, (_, i) => appendBatch(db, batch(`k${i}`, i + 1))),
  );
  const totals = receipts.map((r) => r.n).sort((a, b) => a - b);
  assert.equal(totals.at(-1), 55);
  assert.equal(new Set(totals).size, 10, "each batch saw a distinct running total");
});

testEachDatabase("a key reused with another body is refused and changes nothing", async ({ db }) => {
  await setup(db);
  await appendBatch(db, batch("k", 3, "a"));
  await assert.rejects(
    appendBatch(db, batch("k", 5, "b")),
    (e) => e instanceof ConflictError && e.code === "idempotency_key_reused",
  );
  assert.equal((await appendBatch(db, batch("k2", 1))).n, 4);
});

testEachDatabase("a finalizing run refuses new batches but replays accepted ones", async ({ db }) => {
  await setup(db);
  await appendBatch(db, batch("k", 3));
  await beginFinalize(db, "run");
  await assert.rejects(
    appendBatch(db, batch("new", 1)),
    (e) => e instanceof ConflictError && e.code === "run_finalized",
  );
  assert.deepEqual(await appendBatch(db, batch("k", 3)), {
    batch: (await appendBatch(db, batch("k", 3))).batch,
    n: 3,
    replay: true,
  });
  assert.deepEqual(await countBatches(db, "run"), { batches: 1, withFeatures: 1 });
});

testEachDatabase("a batch for an unknown run is a NotFoundError and leaves no row", async ({ db }) => {
  await setup(db);
  const b = { ...batch("k", 1), owner: { kind: "run" as const, id: "ghost" } };
  await assert.rejects(appendBatch(db, b), NotFoundError);
  assert.deepEqual(await countBatches(db, "ghost"), { batches: 0, withFeatures: 0 });
});
