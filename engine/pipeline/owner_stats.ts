/**
 * Current statistics of a run or reference = its checkpoint + its unfolded batches, kept incrementally in memory
 * per process (a cache only: the database stays the truth), and folded into a new checkpoint on a cadence.
 */
import { readSnapshot, writeCheckpoint } from "../../db/store/checkpoints.ts";
import type { Db } from "../../db/database.ts";
import {
  cloneStatistics,
  emptyStatistics,
  type FeatureStatistics,
  mergeStatisticsInto,
} from "../../src/stats/feature_statistics.ts";
import { decodeMoments, encodeMoments } from "../../src/stats/moments_codec.ts";
import type { FeatureDType } from "../../src/tensors/feature_bytes.ts";
import type { Compute } from "./compute.ts";

const RECENT_LIMIT_BYTES = 256 * 1024 * 1024;
/** Feature bytes read from the database per step of a refresh (a fold after a long burst reads thousands). */
export const REFRESH_PAGE_BYTES = 128 * 1024 * 1024;
/** Batch moments computed at once per refresh (memory: this many D x D co-moments, merged in batch order). */
const MOMENTS_IN_FLIGHT = 4;
/**
 * Rows whose moments are computed in one call: consecutive small batches are stacked, since the co-moment of
 * the stack is their merged co-moment and one tall product is several times faster than many short ones
 * plus their merges (bench/moments_bench.ts: 1,000 rows at D=2048 in 63 ms on OpenBLAS vs 12 ms per 100).
 */
export const MOMENTS_GROUP_ROWS = 1024;

/** A batch's stored features, as a refresh reads them. */
interface FeatureBatch {
  n: number;
  dim: number;
  dtype: FeatureDType;
  features?: Uint8Array;
}

/**
 * Consecutive batches (same dtype and dim) stacked into groups of at most `maxRows` rows (a larger batch is a
 * group alone, its bytes not copied); every row lands in exactly one group, in batch order.
 */
export function stackBatches(batches: readonly FeatureBatch[], maxRows: number): Required<FeatureBatch>[] {
  const groups: Required<FeatureBatch>[] = [];
  let run: FeatureBatch[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const [first] = run;
    if (run.length === 1) {
      groups.push({ n: first.n, dim: first.dim, dtype: first.dtype, features: first.features! });
    } else {
      const features = new Uint8Array(run.reduce((sum, b) => sum + b.features!.byteLength, 0));
      let at = 0;
      for (const b of run) {
        features.set(b.features!, at);
        at += b.features!.byteLength;
      }
      groups.push({ n: run.reduce((sum, b) => sum + b.n, 0), dim: first.dim, dtype: first.dtype, features });
    }
    run = [];
  };
  let rows = 0;
  for (const b of batches) {
    const fits = run.length > 0 && run[0].dtype === b.dtype && run[0].dim === b.dim && rows + b.n <= maxRows;
    if (!fits) {
      flush();
      rows = 0;
    }
    run.push(b);
    rows += b.n;
  }
  flush();
  return groups;
}

interface Entry {
  version: number;
  base: FeatureStatistics;
  /** base + every held batch. */
  merged: FeatureStatistics;
  held: Set<number>;
  /** Feature bytes of the held batches: what a reader would re-read and recompute without a fold. */
  heldBytes: number;
  lastFoldAt: number;
}

/**
 * When to write a checkpoint. A 2048-d co-moment is 16 MB (seconds to write on PGlite), so never per batch: fold
 * once re-reading the pending batches would cost more than writing the checkpoint (their bytes reach
 * checkpointWriteCost times its bytes), or after intervalMs, or at maxPending batches.
 */
export interface FoldPolicy {
  /** Fold pending batches at least this often. */
  intervalMs: number;
  /** Fold anyway once this many batches are pending. */
  maxPending: number;
  /** What writing a checkpoint byte costs, in bytes of batches read back (default 1). */
  checkpointWriteCost?: number;
}

/**
 * PGlite writes a 2 x 16 MiB checkpoint in 1.3-9 s but reads 16 MiB of batches back in 0.1-0.15 s (2-core
 * machine), and its one connection holds every upload meanwhile: folding there once pending batches matched the
 * checkpoint's size made ingestion at D=2048 2-3x slower (bench/ingest_bench.ts). PostgreSQL writes in parallel
 * with the uploads, and other processes re-read what is not folded, so it keeps folding early.
 */
export const PGLITE_CHECKPOINT_WRITE_COST = 16;

/** In-process cache of owners' statistics, folding them into checkpoints on the policy's cadence. */
export class OwnerStats {
  #entries = new Map<string, Entry>();
  /** Feature bytes of batches this process just accepted, so a refresh need not read them back. */
  #recent = new Map<number, { features: Uint8Array; dtype: FeatureDType }>();
  #recentBytes = 0;
  #locks = new Map<string, Promise<void>>();
  constructor(
    private db: Db,
    private policy: FoldPolicy,
    private compute: Compute,
    private now: () => number = Date.now,
    private pageBytes: number = REFRESH_PAGE_BYTES,
  ) {}

  /**
   * Keeps the bytes of a batch this process has just stored (bounded: the oldest are dropped past 256 MiB, and
   * are then read back from the database like any other process's batches).
   */
  remember(seq: number, features: Uint8Array, dtype: FeatureDType): void {
    this.#recent.set(seq, { features, dtype });
    this.#recentBytes += features.byteLength;
    for (const [old, v] of this.#recent) {
      if (this.#recentBytes <= RECENT_LIMIT_BYTES) break;
      this.#recent.delete(old);
      this.#recentBytes -= v.features.byteLength;
    }
  }

  /** The owner's statistics over every accepted batch visible now (a consistent snapshot). */
  current(ownerId: string, dim: number): Promise<FeatureStatistics> {
    return this.#locked(ownerId, async () => (await this.#refresh(ownerId, dim)).merged);
  }

  /**
   * Refreshes, then writes a checkpoint when the policy says so (or `force`), dropping feature bytes unless
   * `retainFeatures`. Returns the statistics. Losing a race to another process is fine: its checkpoint is as
   * good.
   */
  fold(
    ownerId: string,
    dim: number,
    opts: { retainFeatures: boolean; force?: boolean },
  ): Promise<FeatureStatistics> {
    return this.#locked(ownerId, () => this.#fold(ownerId, dim, opts));
  }

  async #fold(
    ownerId: string,
    dim: number,
    opts: { retainFeatures: boolean; force?: boolean },
  ): Promise<FeatureStatistics> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await this.#refresh(ownerId, dim);
      // The features' co-moment alone: what re-reading the pending batches is weighed against, as before the
      // unit rows' moments doubled the checkpoint (their cost per batch doubled too).
      const checkpointBytes = entry.merged.moments.comoment.byteLength;
      const writeCost = this.policy.checkpointWriteCost ?? 1;
      const due = entry.held.size > 0 && (opts.force || entry.held.size >= this.policy.maxPending ||
        entry.heldBytes >= writeCost * checkpointBytes ||
        this.now() - entry.lastFoldAt >= this.policy.intervalMs);
      if (!due) return entry.merged;
      const version = await writeCheckpoint(this.db, ownerId, {
        expectedVersion: entry.version,
        seqs: [...entry.held],
        n: entry.merged.moments.n,
        moments: encodeMoments(entry.merged.moments),
        unitMoments: entry.merged.unit && encodeMoments(entry.merged.unit),
        dropFeatures: !opts.retainFeatures,
      });
      if (version !== null) {
        this.#entries.set(ownerId, {
          version,
          base: entry.merged,
          merged: entry.merged,
          held: new Set(),
          heldBytes: 0,
          lastFoldAt: this.now(),
        });
        return entry.merged;
      }
      this.#entries.delete(ownerId); // someone else folded: re-read their checkpoint
    }
    throw new Error(`could not fold ${ownerId}: checkpoint kept changing under five attempts`);
  }

  /** Brings the owner's entry up to every batch visible now, reading their features a page at a time. */
  async #refresh(ownerId: string, dim: number): Promise<Entry> {
    for (;;) {
      const { entry, deferred } = await this.#refreshPage(ownerId, dim);
      if (deferred === 0) return entry;
    }
  }

  async #refreshPage(ownerId: string, dim: number): Promise<{ entry: Entry; deferred: number }> {
    let entry = this.#entries.get(ownerId);
    const snap = await readSnapshot(this.db, ownerId, {
      version: entry?.version,
      seqs: entry?.held ?? [],
      haveFeatures: (seq) => this.#recent.has(seq),
      maxFeatureBytes: this.pageBytes,
    });
    for (const b of snap.pending) {
      const mine = this.#recent.get(b.seq);
      if (!mine) continue;
      b.features ??= mine.features;
      this.#recent.delete(b.seq);
      this.#recentBytes -= mine.features.byteLength;
    }
    if (!entry || snap.version !== entry.version) {
      const base: FeatureStatistics = snap.moments
        ? {
          moments: decodeMoments(snap.moments),
          unit: snap.unitMoments ? decodeMoments(snap.unitMoments) : null,
        }
        : emptyStatistics(dim);
      entry = {
        version: snap.version,
        base,
        merged: base,
        held: new Set(),
        heldBytes: 0,
        lastFoldAt: entry?.lastFoldAt ?? this.now(),
      };
    }
    const held = entry.held;
    const fresh = snap.pending.filter((b) => !held.has(b.seq) && b.features);
    if (fresh.length > 0) {
      // Merged into a copy: statistics handed out earlier stay valid.
      const merged = cloneStatistics(entry.merged);
      // Statistics of the new batches come from the compute worker, off this thread, a few stacks at a time: each
      // is two D x D co-moments (16 MB each at D = 2048), and a refresh after a burst may see hundreds of batches.
      const groups = stackBatches(fresh, MOMENTS_GROUP_ROWS);
      for (let i = 0; i < groups.length; i += MOMENTS_IN_FLIGHT) {
        const parts = await Promise.all(
          groups.slice(i, i + MOMENTS_IN_FLIGHT).map((g) =>
            this.compute.batchStatistics(g.features, g.dtype, g.n, g.dim)
          ),
        );
        for (const part of parts) mergeStatisticsInto(merged, part);
      }
      entry.merged = merged;
      for (const b of fresh) {
        held.add(b.seq);
        entry.heldBytes += b.features!.byteLength;
        b.features = undefined; // this page's bytes can go before the next page is read
      }
    }
    this.#entries.set(ownerId, entry);
    return { entry, deferred: snap.deferred };
  }

  /** Runs fn with the owner's lock: refreshes await the worker, so two at once could add a batch twice. */
  async #locked<T>(ownerId: string, fn: () => Promise<T>): Promise<T> {
    const prior = this.#locks.get(ownerId) ?? Promise.resolve();
    const run = prior.then(fn, fn);
    const tail = run.then(() => {}, () => {});
    this.#locks.set(ownerId, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(ownerId) === tail) this.#locks.delete(ownerId);
    }
  }
}
