import assert from "node:assert/strict";
import { and, eq, isNotNull } from "drizzle-orm";
import type { Db } from "../../../db/database.ts";
import { batches } from "../../../db/schema.ts";
import {
  appendBatch,
  countBatches,
  type FeaturePaging,
  type NewBatch,
  ownerFeatures,
  type StoredFeatures,
} from "../../../db/store/batches.ts";
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

// --- ownerFeatures: paged reads ---

/** A batch of n rows (D=2) whose bytes are all distinct from other batches' (they encode key and position). */
const filled = (
  owner: NewBatch["owner"],
  key: string,
  n: number,
  dtype: NewBatch["dtype"] = "float32",
): NewBatch => {
  const features = new Uint8Array(n * 2 * (dtype === "float32" ? 4 : 8));
  for (let i = 0; i < features.length; i++) {
    features[i] = (i * 7 + key.length * 31 + Number(key.slice(1))) & 255;
  }
  return { owner, idempotencyKey: key, bodySha256: `sha-${key}`, n, dim: 2, dtype, features };
};

/** The plain reader paging replaced: every seq of the owner that holds features, then one query per batch. */
async function oneByOne(db: Db, ownerId: string): Promise<StoredFeatures[]> {
  const seqs = await db.select({ seq: batches.seq }).from(batches)
    .where(and(eq(batches.ownerId, ownerId), isNotNull(batches.features))).orderBy(batches.seq);
  const out: StoredFeatures[] = [];
  for (const { seq } of seqs) {
    const [row] = await db.select({
      n: batches.n,
      dim: batches.dim,
      dtype: batches.dtype,
      features: batches.features,
    })
      .from(batches).where(eq(batches.seq, seq));
    if (row.features) {
      out.push({
        n: row.n,
        dim: row.dim,
        dtype: row.dtype as StoredFeatures["dtype"],
        features: row.features,
      });
    }
  }
  return out;
}

/** ownerFeatures collected, with the number of queries it issued (every query here starts with db.select). */
/** db, counting the SELECT queries started through it. */
function countingSelects(db: Db): { db: Db; queries: number } {
  const counter = { db, queries: 0 };
  counter.db = new Proxy(db, {
    get: (target, prop) =>
      prop === "select"
        ? (...a: Parameters<Db["select"]>) => (counter.queries++, target.select(...a))
        : Reflect.get(target, prop),
  });
  return counter;
}

async function paged(db: Db, ownerId: string, paging?: FeaturePaging) {
  const counting = countingSelects(db);
  const rows: StoredFeatures[] = [];
  for await (const row of ownerFeatures(counting.db, ownerId, paging)) rows.push(row);
  return { rows, queries: counting.queries };
}

/** Rows compared as plain values (postgres.js hands out Buffer-backed views, PGlite plain Uint8Arrays). */
const plain = (rows: StoredFeatures[]) => rows.map((r) => ({ ...r, features: Array.from(r.features) }));
const expected = (stored: NewBatch[]) =>
  stored.map((b) => ({ n: b.n, dim: b.dim, dtype: b.dtype, features: Array.from(b.features) }));

testEachDatabase(
  "ownerFeatures reads several pages in acceptance order, as the one-by-one reader does",
  async ({ db }) => {
    await setup(db);
    const run = { kind: "run" as const, id: "run" }, ref = { kind: "reference" as const, id: "ref" };
    // 11 batches of the run (80 bytes each, one float64 of 3 rows: 48 bytes), interleaved with the reference's.
    const stored: NewBatch[] = [];
    for (let i = 0; i < 11; i++) {
      const b = i === 4 ? filled(run, `k${i}`, 3, "float64") : filled(run, `k${i}`, 10);
      stored.push(b);
      await appendBatch(db, b);
      await appendBatch(db, filled(ref, `k${i}`, 1 + i));
    }
    const reference = await oneByOne(db, "run");
    assert.deepEqual(plain(reference), expected(stored));
    // Budget 240 bytes: three 80-byte batches per page, or the 48-byte one plus two; 11 batches need 4 pages.
    const byBytes = await paged(db, "run", { maxBytes: 240, maxBatches: 100 });
    assert.deepEqual(plain(byBytes.rows), plain(reference));
    assert.equal(byBytes.queries, 1 + 4, "one size query and 4 pages");
    // Count bound: 2 batches per page, 6 pages.
    const byCount = await paged(db, "run", { maxBytes: 1e9, maxBatches: 2 });
    assert.deepEqual(plain(byCount.rows), plain(reference));
    assert.equal(byCount.queries, 1 + 6);
    // Default paging: everything in one page.
    const whole = await paged(db, "run");
    assert.deepEqual(plain(whole.rows), plain(reference));
    assert.equal(whole.queries, 1 + 1);
  },
);

testEachDatabase(
  "ownerFeatures hands a batch larger than the byte budget alone, between its neighbours",
  async ({ db }) => {
    await setup(db);
    const run = { kind: "run" as const, id: "run" };
    const stored = [filled(run, "k0", 2), filled(run, "k1", 2), filled(run, "k2", 50), filled(run, "k3", 2)];
    for (const b of stored) await appendBatch(db, b);
    // 16-byte batches, a 400-byte one; budget 40: [k0 k1] [k2] [k3].
    const got = await paged(db, "run", { maxBytes: 40, maxBatches: 100 });
    assert.deepEqual(plain(got.rows), plain(await oneByOne(db, "run")));
    assert.deepEqual(plain(got.rows), expected(stored));
    assert.equal(got.queries, 1 + 3);
    // A budget below every batch: one batch per page, still all of them in order.
    const tiny = await paged(db, "run", { maxBytes: 1, maxBatches: 100 });
    assert.deepEqual(plain(tiny.rows), expected(stored));
    assert.equal(tiny.queries, 1 + 4);
  },
);

testEachDatabase(
  "ownerFeatures of an owner without stored features yields nothing after one query",
  async ({ db }) => {
    await setup(db);
    await appendBatch(db, filled({ kind: "reference", id: "ref" }, "k0", 3));
    for (const owner of ["run", "ghost"]) {
      const got = await paged(db, owner, { maxBytes: 16, maxBatches: 1 });
      assert.deepEqual(got, { rows: [], queries: 1 });
      assert.deepEqual(await oneByOne(db, owner), []);
    }
  },
);

testEachDatabase(
  "ownerFeatures asks for the next page before its consumer is done with the current one, never two ahead",
  async ({ db }) => {
    await setup(db);
    const run = { kind: "run" as const, id: "run" };
    for (let i = 0; i < 4; i++) await appendBatch(db, filled(run, `k${i}`, 2));
    const counting = countingSelects(db);
    const seen: number[] = [];
    // One batch per page; the first query plans the pages.
    for await (const _ of ownerFeatures(counting.db, "run", { maxBytes: 1e9, maxBatches: 1 })) {
      seen.push(counting.queries);
    }
    assert.deepEqual(
      seen,
      [3, 4, 5, 5],
      "page k + 1 is asked for while page k is handed over, page k + 2 is not",
    );
  },
);

testEachDatabase(
  "ownerFeatures skips batches whose features were dropped, before or during the read",
  async ({ db }) => {
    await setup(db);
    const run = { kind: "run" as const, id: "run" };
    const stored = Array.from({ length: 5 }, (_, i) => filled(run, `k${i}`, 1 + i));
    const seqs: number[] = [];
    for (const b of stored) seqs.push((await appendBatch(db, b)).batch);
    await db.update(batches).set({ features: null }).where(eq(batches.seq, seqs[1]));
    const got: StoredFeatures[] = [];
    for await (const row of ownerFeatures(db, "run", { maxBytes: 1e9, maxBatches: 1 })) {
      // A fold that drops features after the pages were planned: batch 3 is in the third page, not yet asked for
      // (the reader keeps one page ahead: batch 2's is on its way).
      if (got.length === 0) await db.update(batches).set({ features: null }).where(eq(batches.seq, seqs[3]));
      got.push(row);
    }
    assert.deepEqual(plain(got), expected([stored[0], stored[2], stored[4]]));
    assert.deepEqual(plain(got), plain(await oneByOne(db, "run")));
  },
);
