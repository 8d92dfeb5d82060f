/** Accepting feature batches exactly once per idempotency key. */
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../../src/errors.ts";
import type { Db } from "../database.ts";
import { batches, references, runs } from "../schema.ts";

/** What a client gets back for a batch; a retry with the same key gets the same answer. */
export interface BatchReceipt {
  batch: number;
  n: number;
  replay: boolean;
}

/** A batch ready to store: features are float32 little-endian N x D. */
export interface NewBatch {
  owner: { kind: "run" | "reference"; id: string };
  idempotencyKey: string;
  bodySha256: string;
  n: number;
  dim: number;
  dtype: "float32" | "float64";
  features: Uint8Array;
}

/**
 * Stores a batch and adds its samples to the owner's count in one transaction.
 * The unique (owner, key) index serializes concurrent retries: the loser inserts nothing and replays the winner.
 */
export async function appendBatch(db: Db, batch: NewBatch): Promise<BatchReceipt> {
  return await db.transaction(async (tx) => {
    const inserted = await tx.insert(batches).values({
      ownerId: batch.owner.id,
      idempotencyKey: batch.idempotencyKey,
      bodySha256: batch.bodySha256,
      n: batch.n,
      dim: batch.dim,
      dtype: batch.dtype,
      nAfter: 0,
      features: batch.features,
    }).onConflictDoNothing().returning({ seq: batches.seq });
    if (inserted.length === 0) return await replay(tx as unknown as Db, batch);
    const nAfter = await addSamples(tx as unknown as Db, batch.owner, batch.n);
    await tx.update(batches).set({ nAfter }).where(eq(batches.seq, inserted[0].seq));
    return { batch: inserted[0].seq, n: nAfter, replay: false };
  });
}

async function replay(db: Db, batch: NewBatch): Promise<BatchReceipt> {
  const [prior] = await db.select({ seq: batches.seq, sha: batches.bodySha256, nAfter: batches.nAfter })
    .from(batches)
    .where(and(eq(batches.ownerId, batch.owner.id), eq(batches.idempotencyKey, batch.idempotencyKey)));
  if (prior.sha !== batch.bodySha256) {
    throw new ConflictError(
      "idempotency_key_reused",
      `Idempotency-Key "${batch.idempotencyKey}" was already used for a different body on this ${batch.owner.kind}; ` +
        "use a new key for new data",
    );
  }
  return { batch: prior.seq, n: prior.nAfter, replay: true };
}

/** Adds n samples to a streaming run (or a feature reference) under its row lock; refuses finalized runs. */
async function addSamples(db: Db, owner: NewBatch["owner"], n: number): Promise<number> {
  if (owner.kind === "run") {
    const [row] = await db.update(runs).set({ n: sql`${runs.n} + ${n}`, updatedAt: new Date() })
      .where(and(eq(runs.id, owner.id), eq(runs.status, "streaming"))).returning({ n: runs.n });
    if (row) return row.n;
    const [run] = await db.select({ status: runs.status }).from(runs).where(eq(runs.id, owner.id));
    if (!run) throw new NotFoundError("run_not_found", `run ${owner.id} does not exist`);
    throw new ConflictError("run_finalized", `run ${owner.id} is ${run.status}: it accepts no more batches`);
  }
  const [row] = await db.update(references).set({ n: sql`${references.n} + ${n}`, updatedAt: new Date() })
    .where(and(eq(references.id, owner.id), eq(references.source, "features"))).returning({
      n: references.n,
    });
  if (row) return row.n;
  const [ref] = await db.select({ source: references.source }).from(references).where(
    eq(references.id, owner.id),
  );
  if (!ref) throw new NotFoundError("reference_not_found", `reference ${owner.id} does not exist`);
  throw new ConflictError(
    "reference_not_extendable",
    `reference ${owner.id} was uploaded as mu/sigma statistics: only a reference built from features takes batches`,
  );
}

/** Feature bytes of one stored batch. */
export interface StoredFeatures {
  n: number;
  dim: number;
  dtype: "float32" | "float64";
  features: Uint8Array;
}

/** How ownerFeatures pages its reads: one query returns consecutive batches up to these bounds. */
export interface FeaturePaging {
  /** Feature bytes per page at most; a batch larger than this still comes, alone in its page. */
  maxBytes: number;
  /** Batches per page at most (each is one bound parameter of the page's query). */
  maxBatches: number;
}

/**
 * Default paging: 16 MiB keeps finalize's extra memory small next to the rows it gathers (up to 50,000 x D
 * float32), while small batches (D=64, 100 rows: 25 KiB) come about 650 per round trip instead of one.
 */
export const FEATURE_PAGING: FeaturePaging = { maxBytes: 16 * 2 ** 20, maxBatches: 1000 };

/**
 * Streams every stored feature batch of an owner (for KID), in acceptance order, reading pages of batches
 * (bounded by `paging`) so memory stays bounded whatever the owner's size and a large run is not one query
 * per batch. The next page is read while the consumer works through this one (two pages in memory at most).
 */
export async function* ownerFeatures(
  db: Db,
  ownerId: string,
  paging: FeaturePaging = FEATURE_PAGING,
): AsyncGenerator<StoredFeatures> {
  // Sizes come from the varlena header (octet_length does not detoast), so planning the pages reads no features.
  const sizes = await db.select({ seq: batches.seq, bytes: sql<number>`octet_length(${batches.features})` })
    .from(batches)
    .where(and(eq(batches.ownerId, ownerId), isNotNull(batches.features))).orderBy(batches.seq);
  const pages = featurePages(sizes, paging);
  let next = pages.length > 0 ? readPage(db, pages[0]) : null;
  for (let p = 0; p < pages.length; p++) {
    const rows: (StoredRow | undefined)[] = await next!;
    // One page ahead: the database encodes and sends it while this one is decoded and used (391 MiB from PGlite
    // 1.9 -> 1.4 s; PostgreSQL about the same). A consumer that stops early leaves it unawaited, hence the catch.
    next = p + 1 < pages.length ? readPage(db, pages[p + 1]) : null;
    next?.catch(() => {});
    // Drop each row once handed over, so the consumer can free what it has used before the page ends.
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      rows[i] = undefined;
      // Features are never set back once dropped, but a fold may drop them between the two queries: skip those.
      if (row.features) {
        yield { n: row.n, dim: row.dim, dtype: row.dtype as StoredFeatures["dtype"], features: row.features };
      }
    }
  }
}

type StoredRow = { n: number; dim: number; dtype: string; features: Uint8Array | null };

/** The batches with exactly these seqs (not a seq range, so a page never holds more bytes than planned). */
async function readPage(db: Db, seqs: number[]): Promise<StoredRow[]> {
  return await db.select({ n: batches.n, dim: batches.dim, dtype: batches.dtype, features: batches.features })
    .from(batches).where(inArray(batches.seq, seqs)).orderBy(batches.seq);
}

/** Consecutive seqs grouped into pages of at most maxBatches and maxBytes (a larger batch is a page alone). */
function featurePages(sizes: { seq: number; bytes: number }[], paging: FeaturePaging): number[][] {
  const pages: number[][] = [];
  let page: number[] = [], bytes = 0;
  for (const s of sizes) {
    const size = Number(s.bytes);
    if (page.length > 0 && (page.length >= paging.maxBatches || bytes + size > paging.maxBytes)) {
      pages.push(page);
      page = [];
      bytes = 0;
    }
    page.push(s.seq);
    bytes += size;
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

/** How many of the owner's batches still hold their features. */
export async function countBatches(
  db: Db,
  ownerId: string,
): Promise<{ batches: number; withFeatures: number }> {
  const [row] = await db.select({
    batches: sql<number>`count(*)::int`,
    withFeatures: sql<number>`count(${batches.features})::int`,
  }).from(batches).where(eq(batches.ownerId, ownerId));
  return row;
}

/** The receipt of an earlier batch with this key (a retry), or undefined; 409 when its body differs. */
export async function priorReceipt(
  db: Db,
  owner: NewBatch["owner"],
  idempotencyKey: string,
  bodySha256: string,
): Promise<BatchReceipt | undefined> {
  const [prior] = await db.select({ seq: batches.seq }).from(batches)
    .where(and(eq(batches.ownerId, owner.id), eq(batches.idempotencyKey, idempotencyKey)));
  if (!prior) return undefined;
  return await replay(db, { owner, idempotencyKey, bodySha256 } as NewBatch);
}
