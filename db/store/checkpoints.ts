/**
 * Folding: an owner's statistics = its checkpoint (encoded moments of folded batches) + its unfolded batches.
 * Readers take a consistent snapshot of both; a fold replaces the checkpoint and marks exactly those batches folded.
 */
import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { batches, checkpoints } from "../schema.ts";

/** A pending (not yet folded) batch. */
export interface PendingBatch {
  seq: number;
  n: number;
  dim: number;
  dtype: "float32" | "float64";
  /** Little-endian features of `dtype`; omitted when the caller said it already holds this batch. */
  features?: Uint8Array;
}

/** A consistent view of an owner's statistics inputs. */
export interface Snapshot {
  /** version 0 and n 0 mean "no checkpoint yet". */
  version: number;
  n: number;
  /** Encoded moments, present unless the caller already holds this version. */
  moments?: Uint8Array;
  /**
   * Encoded moments of the unit rows, read with `moments`: null when this checkpoint predates them (or there is
   * no checkpoint), undefined when `moments` was not read.
   */
  unitMoments?: Uint8Array | null;
  pending: PendingBatch[];
  /** Batches whose features were needed but left for a later read (over the byte budget). */
  deferred: number;
}

const FEATURE_BYTES = { float32: 4, float64: 8 } as const;

/**
 * Reads the checkpoint and the unfolded batches in one repeatable-read transaction, so a concurrent fold can never
 * make a batch appear in both or neither. Skips the blobs the caller already holds, and loads the others' only
 * up to `maxFeatureBytes` (in seq order, at least one batch): the rest are counted in `deferred`, for the
 * caller to read next time, so memory stays bounded however many batches wait.
 */
export async function readSnapshot(
  db: Db,
  ownerId: string,
  known: {
    version?: number;
    seqs?: Iterable<number>;
    haveFeatures?: (seq: number) => boolean;
    maxFeatureBytes?: number;
  } = {},
): Promise<Snapshot> {
  return await db.transaction(async (tx) => {
    const [cp] = await tx.select({ version: checkpoints.version, n: checkpoints.n }).from(checkpoints)
      .where(eq(checkpoints.ownerId, ownerId));
    const version = cp?.version ?? 0;
    let moments: Uint8Array | undefined;
    let unitMoments: Uint8Array | null | undefined;
    if (cp && cp.version !== known.version) {
      const [row] = await tx.select({ moments: checkpoints.moments, unitMoments: checkpoints.unitMoments })
        .from(checkpoints).where(eq(checkpoints.ownerId, ownerId));
      moments = row.moments;
      unitMoments = row.unitMoments;
    }
    const pending: PendingBatch[] = await tx.select({
      seq: batches.seq,
      n: batches.n,
      dim: batches.dim,
      dtype: sql<"float32" | "float64">`${batches.dtype}`,
    }).from(batches).where(and(eq(batches.ownerId, ownerId), eq(batches.folded, false))).orderBy(batches.seq);
    const held = new Set(version === known.version ? known.seqs ?? [] : []);
    const wanted = pending.filter((p) => !held.has(p.seq) && !known.haveFeatures?.(p.seq));
    const budget = known.maxFeatureBytes ?? Infinity;
    const need: number[] = [];
    let bytes = 0;
    for (const p of wanted) {
      bytes += p.n * p.dim * FEATURE_BYTES[p.dtype];
      if (need.length > 0 && bytes > budget) break;
      need.push(p.seq);
    }
    if (need.length > 0) {
      const rows = await tx.select({ seq: batches.seq, features: batches.features }).from(batches)
        .where(inArray(batches.seq, need));
      const bySeq = new Map(rows.map((r) => [r.seq, r.features ?? undefined]));
      for (const p of pending) if (bySeq.has(p.seq)) p.features = bySeq.get(p.seq);
    }
    return { version, n: cp?.n ?? 0, moments, unitMoments, pending, deferred: wanted.length - need.length };
  }, { isolationLevel: "repeatable read", accessMode: "read only" });
}

/** A new checkpoint that covers the previous one plus exactly `seqs`. */
export interface FoldWrite {
  expectedVersion: number;
  seqs: number[];
  n: number;
  moments: Uint8Array;
  /** Encoded moments of the unit rows; null when unknown (an earlier checkpoint lacked them). */
  unitMoments: Uint8Array | null;
  /** Drop the folded batches' feature bytes (statistics-only retention). */
  dropFeatures: boolean;
}

/**
 * Writes the checkpoint if nobody folded since expectedVersion; returns the new version, or null when another
 * process won the race (the caller re-reads and tries again later). One folder per owner at a time (advisory lock).
 */
export async function writeCheckpoint(db: Db, ownerId: string, fold: FoldWrite): Promise<number | null> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${"fold:" + ownerId}))`);
      const [cp] = await tx.select({ version: checkpoints.version }).from(checkpoints)
        .where(eq(checkpoints.ownerId, ownerId));
      if ((cp?.version ?? 0) !== fold.expectedVersion) return null;
      if (fold.seqs.length > 0) {
        const marked = await tx.update(batches).set({
          folded: true,
          ...(fold.dropFeatures ? { features: null } : {}),
        }).where(and(inArray(batches.seq, fold.seqs), eq(batches.folded, false))).returning({
          seq: batches.seq,
        });
        if (marked.length !== fold.seqs.length) throw new LostRace();
      }
      const version = fold.expectedVersion + 1;
      const blobs = { moments: fold.moments, unitMoments: fold.unitMoments };
      await tx.insert(checkpoints).values({ ownerId, version, n: fold.n, ...blobs })
        .onConflictDoUpdate({
          target: checkpoints.ownerId,
          set: { version, n: fold.n, ...blobs, updatedAt: new Date() },
        });
      return version;
    });
  } catch (e) {
    if (e instanceof LostRace) return null;
    throw e;
  }
}

class LostRace extends Error {}

/** Seqs of an owner's batches that are still unfolded, excluding the given ones (cheap: no blobs). */
export async function unfoldedSeqs(db: Db, ownerId: string, exclude: number[] = []): Promise<number[]> {
  const rows = await db.select({ seq: batches.seq }).from(batches).where(and(
    eq(batches.ownerId, ownerId),
    eq(batches.folded, false),
    ...(exclude.length ? [notInArray(batches.seq, exclude)] : []),
  ));
  return rows.map((r) => r.seq);
}
