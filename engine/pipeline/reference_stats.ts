/** Mean, covariance and the cached Frechet factor of a reference. */
import type { Db } from "../../db/database.ts";
import type { ReferenceRow } from "../../db/store/references.ts";
import { loadReferenceFactor, saveReferenceFactor } from "../../db/store/reference_factors.ts";
import { UnprocessableError } from "../../src/errors.ts";
import { type Moments, momentsCovariance, momentsMean } from "../../src/stats/moments.ts";
import { unpackSymmetric } from "../../src/stats/packed_symmetric.ts";
import type { Compute } from "./compute.ts";
import type { OwnerStats } from "./owner_stats.ts";

/** Gaussian statistics of a reference at its current sample count (n = 0 for uploaded mu/sigma). */
export interface ReferenceGaussian {
  n: number;
  mu: Float64Array;
  sigma: Float64Array;
}

/** A reference's encoded Frechet factor; `key` names it in the compute worker's cache. */
export interface FactorHandle {
  key: string;
  n: number;
  bytes: Uint8Array;
}

/** How ReferenceStats keeps factors. */
export interface ReferenceStatsOptions {
  /**
   * Also store each factor in the database, for other processes and restarts (default true). PGlite is one
   * process, and writing a 2048-d factor (16 MiB) takes it 0.9-3.4 s on its one connection, which every upload
   * waits for, while computing the factor again takes 0.26 s: there it stays in memory.
   */
  persistFactors?: boolean;
}

/** Reads reference statistics and keeps their expensive factor cached in memory (and in the database). */
export class ReferenceStats {
  #factors = new Map<string, FactorHandle>();
  #vendis = new Map<string, { n: number; value: number | null }>();
  #building = new Map<string, Promise<FactorHandle>>();
  #persist: boolean;
  constructor(
    private db: Db,
    private owners: OwnerStats,
    private compute: Compute,
    opts: ReferenceStatsOptions = {},
  ) {
    this.#persist = opts.persistFactors ?? true;
  }

  /** mu and sigma (full) of the reference now. */
  async gaussian(ref: ReferenceRow): Promise<ReferenceGaussian> {
    if (ref.source === "stats") {
      const mu = new Float64Array(ref.mu!.slice().buffer);
      const sigma = unpackSymmetric(new Float64Array(ref.sigma!.slice().buffer), ref.dim);
      return { n: 0, mu, sigma };
    }
    return gaussianOf(ref, await this.#moments(ref));
  }

  /** The Frechet factor for the reference's current statistics, computed once per sample count. */
  async factor(ref: ReferenceRow): Promise<FactorHandle> {
    const moments = ref.source === "stats" ? undefined : await this.#moments(ref);
    const n = moments?.n ?? 0;
    const cached = this.#factors.get(ref.id);
    if (cached && cached.n === n) return cached;
    const key = `${ref.id}:${n}`;
    // Runs evaluated together share one computation of a new factor.
    let building = this.#building.get(key);
    if (!building) {
      const g = moments ? gaussianOf(ref, moments) : await this.gaussian(ref);
      building = this.#build(ref.id, key, g).finally(() => this.#building.delete(key));
      this.#building.set(key, building);
    }
    const handle = await building;
    this.#factors.set(ref.id, handle);
    return handle;
  }

  /**
   * The Vendi score of a features reference now (null for uploaded statistics, and where its unit rows are
   * unknown), computed once per sample count.
   */
  async vendi(ref: ReferenceRow): Promise<number | null> {
    if (ref.source === "stats") return null;
    const { moments, unit } = await this.owners.fold(ref.id, ref.dim, { retainFeatures: true });
    const cached = this.#vendis.get(ref.id);
    if (cached && cached.n === moments.n) return cached.value;
    const value = unit && unit.n > 0 ? await this.compute.vendi(unit) : null;
    this.#vendis.set(ref.id, { n: moments.n, value });
    return value;
  }

  async #moments(ref: ReferenceRow): Promise<Moments> {
    return (await this.owners.fold(ref.id, ref.dim, { retainFeatures: true })).moments;
  }

  async #build(id: string, key: string, g: ReferenceGaussian): Promise<FactorHandle> {
    let bytes = this.#persist ? await loadReferenceFactor(this.db, id, g.n) : undefined;
    if (!bytes) {
      bytes = await this.compute.prepareReference(g.mu, g.sigma);
      if (this.#persist) await saveReferenceFactor(this.db, id, g.n, bytes);
    }
    return { key, n: g.n, bytes };
  }
}

function gaussianOf(ref: ReferenceRow, m: Moments): ReferenceGaussian {
  if (m.n < 2) {
    throw new UnprocessableError(
      "reference_too_small",
      `reference ${ref.id} has ${m.n} samples; upload at least 2 feature rows (ideally far more than ${ref.dim})`,
    );
  }
  return { n: m.n, mu: momentsMean(m), sigma: momentsCovariance(m) };
}

/**
 * Samples behind a reference: a stats .npz holds mu and sigma but not n, so one uploaded without `?n=` is null
 * (unknown), never 0.
 */
export function referenceSampleCount(ref: { source: string; n: number }): number | null {
  return ref.source === "stats" && ref.n === 0 ? null : ref.n;
}
