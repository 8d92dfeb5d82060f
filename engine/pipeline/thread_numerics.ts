/**
 * The numerics of one thread behind Compute (engine/pipeline/compute.ts): the compute worker's, or the
 * caller's own for inlineCompute. It keeps what outlives one call there: decoded reference factors, the last
 * FID and Vendi score (a finalize right after the partial metrics asks for the same again), and FID-infinity's
 * sessions.
 */
import { batchStatistics, type FeatureStatistics } from "../../src/stats/feature_statistics.ts";
import { PrefixMoments } from "../../src/stats/fid_infinity.ts";
import {
  frechetDistanceFromMoments,
  prepareReference,
  type ReferenceFactor,
} from "../../src/stats/frechet.ts";
import { decodeReferenceFactor, encodeReferenceFactor } from "../../src/stats/reference_factor_codec.ts";
import type { NativeLinalg } from "../../src/native/native_linalg.ts";
import type { LinalgBackend } from "../../src/stats/linalg_wasm.ts";
import type { Moments, PackedComoment } from "../../src/stats/moments.ts";
import {
  sampleMetrics,
  type SampleMetricsRequest,
  type SampleMetricsResult,
  type SamplePhase,
} from "../../src/stats/sample_metrics.ts";
import { vendiScore } from "../../src/stats/vendi.ts";
import { bytesToFeatures, type FeatureDType } from "../../src/tensors/feature_bytes.ts";

/** Decoded factors by key, bounded so many references do not pin memory (a 2048-d factor is 32 MB). */
export class FactorCache {
  #entries = new Map<string, ReferenceFactor>();
  constructor(private capacity = 4) {}
  /** The decoded factor for key, decoding `bytes` on a miss (undefined on a miss without bytes). */
  get(key: string, bytes?: Uint8Array): ReferenceFactor | undefined {
    let f = this.#entries.get(key);
    if (f) {
      this.#entries.delete(key);
    } else {
      if (!bytes) return undefined;
      f = decodeReferenceFactor(bytes);
      if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, f);
    return f;
  }
}

/**
 * The last result computed, with its inputs: a finalize right after the partial metrics caught up asks for the
 * FID (and the Vendi score) of exactly the same statistics (seconds at D = 2048), so an identical request (same
 * key, inputs equal element for element) gets the same value without computing it again.
 */
export class LastResultMemo {
  #last: { key: string; inputs: Float64Array[]; value: number } | null = null;

  /** The remembered value when key and inputs are those of the last call, else compute() (remembered). */
  get(key: string, inputs: Float64Array[], compute: () => number): number {
    const last = this.#last;
    if (
      last && last.key === key && last.inputs.length === inputs.length &&
      last.inputs.every((a, i) => sameValues(a, inputs[i]))
    ) {
      return last.value;
    }
    const value = compute();
    // Copies: a caller may reuse its arrays (a few ms next to the seconds an FID takes).
    this.#last = { key, inputs: inputs.map((a) => a.slice()), value };
    return value;
  }
}

/**
 * FID-infinity's sessions on one thread: each holds the prefixes' moments of one run while its rows arrive, then
 * hands out one prefix's FID per `next`. `fidOf` computes an FID against a cached factor (null: not cached).
 */
export class FidInfinitySessions {
  #sessions = new Map<string, { acc: PrefixMoments; prefixes?: Generator<Moments>; current?: Moments }>();
  constructor(
    private comoment: LinalgBackend | PackedComoment,
    private fidOf: (key: string, factor: Uint8Array | undefined, m: Moments) => number | null,
  ) {}

  /** Opens a session for a run of n rows. */
  start(session: string, n: number, dim: number): void {
    this.#sessions.set(session, { acc: new PrefixMoments(n, dim, this.comoment) });
  }

  /** Adds the next rows. */
  add(session: string, features: Uint8Array, dtype: FeatureDType, rows: number): void {
    const s = this.#get(session);
    s.acc.add(bytesToFeatures(features, dtype), rows);
  }

  /** [N_k, FID_k] of the next prefix, or null when the factor must be sent (the prefix is kept for then). */
  next(session: string, key: string, factor?: Uint8Array): [number, number] | null {
    const s = this.#get(session);
    s.prefixes ??= s.acc.prefixes();
    const m = s.current ?? s.prefixes.next().value;
    if (!m) throw new Error(`FID-infinity session ${session} has no prefix left`);
    const fid = this.fidOf(key, factor, m);
    s.current = fid === null ? m : undefined;
    return fid === null ? null : [m.n, fid];
  }

  /** Closes a session. */
  end(session: string): void {
    this.#sessions.delete(session);
  }

  #get(session: string) {
    const s = this.#sessions.get(session);
    if (!s) throw new Error(`no FID-infinity session ${session} on this thread`);
    return s;
  }
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A thread's numerics: `comoment` is the batch co-moment kernel (OpenBLAS's where it loads), `native` the
 * BLAS/LAPACK for the rest, and `wide` runs a long evaluation on every core the thread may use.
 */
export class ThreadNumerics {
  readonly factors = new FactorCache();
  readonly fidInfinity: FidInfinitySessions;
  #fids = new LastResultMemo();
  #vendis = new LastResultMemo();
  #linalg: { native: NativeLinalg | null };

  constructor(
    private comoment: LinalgBackend | PackedComoment,
    native: NativeLinalg | null,
    private wide: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    this.#linalg = { native };
    // FID-infinity's 15 FIDs bypass the memo: they would only push the partial FID out of it.
    this.fidInfinity = new FidInfinitySessions(
      comoment,
      (key, factor, m) => this.#fid(key, factor, m),
    );
  }

  /** Statistics of one stored batch. */
  batchStatistics(features: Uint8Array, dtype: FeatureDType, n: number, dim: number): FeatureStatistics {
    return batchStatistics(bytesToFeatures(features, dtype), n, dim, this.comoment);
  }

  /** The encoded Frechet factor of N(mu, sigma). */
  prepareReference(mu: Float64Array, sigma: Float64Array): Uint8Array {
    return this.wide(() => encodeReferenceFactor(prepareReference(mu, sigma, this.#linalg)));
  }

  /**
   * FID of the rows behind `moments` against the factor cached as `key` (decoded from `factor` when given); null
   * when neither is there.
   */
  fid(key: string, factor: Uint8Array | undefined, moments: Moments): number | null {
    if (!this.factors.get(key, factor)) return null;
    return this.#fids.get(
      `${key}:${moments.n}`,
      [moments.sum, moments.comoment],
      () => this.#fid(key, undefined, moments)!,
    );
  }

  /** The Vendi score of the rows behind the unit rows' moments. */
  vendi(unit: Moments): number {
    return this.#vendis.get(
      `vendi:${unit.n}`,
      [unit.sum, unit.comoment],
      () => this.wide(() => vendiScore(unit, this.#linalg)),
    );
  }

  /** KID, PRDC, CMMD and the mean pairwise distance, sharing their products. */
  sampleMetrics(req: SampleMetricsRequest, onPhase?: (phase: SamplePhase) => void): SampleMetricsResult {
    return this.wide(() => sampleMetrics(req, { ...this.#linalg, onPhase }));
  }

  #fid(key: string, factor: Uint8Array | undefined, moments: Moments): number | null {
    const f = this.factors.get(key, factor);
    if (!f) return null;
    return this.wide(() => frechetDistanceFromMoments(f, moments, this.#linalg));
  }
}
