/**
 * Current statistics of a run or reference = its checkpoint + its unfolded batches, kept incrementally in memory
 * per process (a cache only: the database stays the truth), and folded into a new checkpoint on a cadence.
 */
import { readSnapshot, writeCheckpoint } from "../../db/store/checkpoints.ts";
import type { Db } from "../../db/database.ts";
import { batchMoments, emptyMoments, mergeMoments, type Moments } from "../../src/stats/moments.ts";
import { decodeMoments, encodeMoments } from "../../src/stats/moments_codec.ts";
import { bytesToFeatures } from "../../src/tensors/feature_bytes.ts";

interface Entry {
  version: number;
  base: Moments;
  /** base + every held batch. */
  merged: Moments;
  held: Set<number>;
  lastFoldAt: number;
}

/** When to write a checkpoint: PGlite writes a 16 MB co-moment in seconds, so never on every batch. */
export interface FoldPolicy {
  /** Minimum time between checkpoint writes of one owner. */
  intervalMs: number;
  /** Fold anyway once this many batches are pending. */
  maxPending: number;
}

/** In-process cache of owners' statistics, folding them into checkpoints on the policy's cadence. */
export class OwnerStats {
  #entries = new Map<string, Entry>();
  constructor(private db: Db, private policy: FoldPolicy, private now: () => number = Date.now) {}

  /** The owner's moments over every accepted batch visible now (a consistent snapshot). */
  async current(ownerId: string, dim: number): Promise<Moments> {
    const entry = await this.#refresh(ownerId, dim);
    return entry.merged;
  }

  /**
   * Refreshes, then writes a checkpoint when the policy says so (or `force`), dropping feature bytes unless
   * `retainFeatures`. Returns the moments. Losing a race to another process is fine: its checkpoint is as good.
   */
  async fold(
    ownerId: string,
    dim: number,
    opts: { retainFeatures: boolean; force?: boolean },
  ): Promise<Moments> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await this.#refresh(ownerId, dim);
      const due = entry.held.size > 0 && (opts.force || entry.held.size >= this.policy.maxPending ||
        this.now() - entry.lastFoldAt >= this.policy.intervalMs);
      if (!due) return entry.merged;
      const version = await writeCheckpoint(this.db, ownerId, {
        expectedVersion: entry.version,
        seqs: [...entry.held],
        n: entry.merged.n,
        moments: encodeMoments(entry.merged),
        dropFeatures: !opts.retainFeatures,
      });
      if (version !== null) {
        this.#entries.set(ownerId, {
          version,
          base: entry.merged,
          merged: entry.merged,
          held: new Set(),
          lastFoldAt: this.now(),
        });
        return entry.merged;
      }
      this.#entries.delete(ownerId); // someone else folded: re-read their checkpoint
    }
    throw new Error(`could not fold ${ownerId}: checkpoint kept changing under five attempts`);
  }

  async #refresh(ownerId: string, dim: number): Promise<Entry> {
    let entry = this.#entries.get(ownerId);
    const snap = await readSnapshot(this.db, ownerId, { version: entry?.version, seqs: entry?.held ?? [] });
    if (!entry || snap.version !== entry.version) {
      const base = snap.moments ? decodeMoments(snap.moments) : emptyMoments(dim);
      entry = {
        version: snap.version,
        base,
        merged: base,
        held: new Set(),
        lastFoldAt: entry?.lastFoldAt ?? this.now(),
      };
    }
    // mergeMoments never mutates its inputs, so moments handed out earlier stay valid.
    let merged = entry.merged;
    let changed = false;
    for (const batch of snap.pending) {
      if (entry.held.has(batch.seq) || !batch.features) continue;
      merged = mergeMoments(
        merged,
        batchMoments(bytesToFeatures(batch.features, batch.dtype), batch.n, batch.dim),
      );
      entry.held.add(batch.seq);
      changed = true;
    }
    if (changed) entry.merged = merged;
    this.#entries.set(ownerId, entry);
    return entry;
  }
}
