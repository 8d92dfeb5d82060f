/**
 * FID-infinity (Chong & Forsyth, "Effectively Unbiased FID and Inception Score and where to find them", CVPR
 * 2020): FID at N samples is biased upward by about b / N, so FIDs at 15 sample counts are fitted by the line
 * FID = a + b / N and its intercept a, the FID of infinitely many samples, is reported.
 *
 * The sample plan is numpy's, exactly: p = RandomState(0).permutation(N), N_k = np.linspace(N // 10, N, 15)
 * .astype(np.int32), FID_k over rows p[:N_k]. The prefixes nest, so one pass over the rows (in any order)
 * gives every prefix's moments: each row lands in the first prefix that contains it (its "bucket"), each bucket
 * accumulates mergeable float64 moments, and prefix k is buckets 0..k merged (Chan et al., as every other
 * moment here). Memory: 15 co-moments, whatever N (250 MB at D = 2048); the rows are never held together.
 */
import { InvalidInputError, UnprocessableError } from "../errors.ts";
import type { LinalgBackend } from "./linalg_wasm.ts";
import {
  batchMoments,
  emptyMoments,
  mergeMomentsInto,
  type Moments,
  type PackedComoment,
} from "./moments.ts";
import { RandomState } from "./numpy_random.ts";

/** How many sample counts the line is fitted through (the paper's 15). */
export const FID_INFINITY_POINTS = 15;
/** The fewest samples FID-infinity takes: N // 10 >= 15 keeps the 15 counts distinct and >= 2 apart. */
export const FID_INFINITY_MIN_SAMPLES = 150;
/** The seed of the permutation (RandomState(0)). */
export const FID_INFINITY_SEED = 0;

/** The fitted line FID(N) = value + slope / N. */
export interface FidInfinityFit {
  /** The intercept: FID extrapolated to infinitely many samples. */
  value: number;
  /** The coefficient of 1 / N. */
  slope: number;
}

/**
 * `np.linspace(n // 10, n, 15).astype(np.int32)`, bit for bit: numpy computes step = (stop - start) / 14 and
 * y_i = i * step + start in float64 (two roundings, no fused multiply-add), sets the last value to stop exactly,
 * and truncates toward zero.
 */
export function fidInfinitySampleCounts(n: number): Int32Array {
  if (!Number.isInteger(n) || n < FID_INFINITY_MIN_SAMPLES || n > 0x7fffffff) {
    throw new InvalidInputError(
      "fid_infinity_bad_count",
      `FID-infinity needs an integer sample count in [${FID_INFINITY_MIN_SAMPLES}, 2^31 - 1], got ${n}`,
    );
  }
  const start = Math.floor(n / 10), div = FID_INFINITY_POINTS - 1;
  const step = (n - start) / div;
  const out = new Int32Array(FID_INFINITY_POINTS);
  for (let i = 0; i < div; i++) out[i] = Math.trunc(i * step + start);
  out[div] = n;
  return out;
}

/**
 * The least-squares line through (1 / N_k, FID_k): what sklearn's LinearRegression on 1 / N (the paper's code)
 * fits, in float64 with centred sums.
 */
export function fitFidInfinity(points: readonly (readonly [number, number])[]): FidInfinityFit {
  if (points.length < 2) {
    throw new InvalidInputError("fid_infinity_too_few_points", "a line needs at least two (N, FID) points");
  }
  let mx = 0, my = 0;
  for (const [n, fid] of points) {
    mx += 1 / n;
    my += fid;
  }
  mx /= points.length;
  my /= points.length;
  let sxy = 0, sxx = 0;
  for (const [n, fid] of points) {
    const dx = 1 / n - mx;
    sxy += dx * (fid - my);
    sxx += dx * dx;
  }
  if (!(sxx > 0)) {
    throw new InvalidInputError(
      "fid_infinity_same_counts",
      "the points' sample counts must not all be equal",
    );
  }
  const slope = sxy / sxx;
  return { value: my - slope * mx, slope };
}

/**
 * For each row index r (stream order), the first prefix k whose rows p[:N_k] include r, i.e. the smallest k with
 * position(r) < N_k where position is r's place in the permutation.
 */
export function prefixBuckets(n: number, counts: Int32Array, seed = FID_INFINITY_SEED): Uint8Array {
  const perm = new RandomState(seed).permutation(n);
  const bucket = new Uint8Array(n);
  let k = 0;
  for (let position = 0; position < n; position++) {
    while (position >= counts[k]) k++;
    bucket[perm[position]] = k;
  }
  return bucket;
}

/**
 * The moments of FID-infinity's 15 nested prefixes, accumulated from the rows in stream order (add), then
 * handed out prefix by prefix (prefixes). Rows may come in chunks of any size; the bigger the chunk, the
 * longer each bucket's share and the faster its co-moment product.
 */
export class PrefixMoments {
  readonly counts: Int32Array;
  #bucketOfRow: Uint8Array;
  #buckets: (Moments | null)[];
  #seen = 0;

  constructor(
    readonly n: number,
    readonly dim: number,
    private comoment: LinalgBackend | PackedComoment = "auto",
  ) {
    this.counts = fidInfinitySampleCounts(n);
    this.#bucketOfRow = prefixBuckets(n, this.counts);
    this.#buckets = Array.from({ length: FID_INFINITY_POINTS }, () => emptyMoments(dim));
  }

  /** Rows added so far. */
  get rowsSeen(): number {
    return this.#seen;
  }

  /** Adds the next `rows` rows of the stream (row-major, `dim` wide): each to its bucket's moments. */
  add(data: Float32Array | Float64Array, rows: number): void {
    const dim = this.dim;
    if (data.length !== rows * dim) {
      throw new InvalidInputError(
        "fid_infinity_bad_chunk",
        `a chunk of ${rows} rows of dimension ${dim} needs ${rows * dim} values, got ${data.length}`,
      );
    }
    if (this.#seen + rows > this.n) {
      throw new InvalidInputError(
        "fid_infinity_too_many_rows",
        `expected ${this.n} rows, got at least ${this.#seen + rows}`,
      );
    }
    // Counting sort of the chunk's rows by bucket, then one co-moment product per bucket.
    const start = new Int32Array(FID_INFINITY_POINTS + 1);
    for (let r = 0; r < rows; r++) start[this.#bucketOfRow[this.#seen + r] + 1]++;
    for (let k = 0; k < FID_INFINITY_POINTS; k++) start[k + 1] += start[k];
    const sorted = data instanceof Float32Array
      ? new Float32Array(data.length)
      : new Float64Array(data.length);
    const at = start.slice(0, FID_INFINITY_POINTS);
    for (let r = 0; r < rows; r++) {
      const k = this.#bucketOfRow[this.#seen + r];
      sorted.set(data.subarray(r * dim, (r + 1) * dim), at[k]++ * dim);
    }
    for (let k = 0; k < FID_INFINITY_POINTS; k++) {
      const count = start[k + 1] - start[k];
      if (count === 0) continue;
      const part = batchMoments(
        sorted.subarray(start[k] * dim, start[k + 1] * dim),
        count,
        dim,
        this.comoment,
      );
      mergeMomentsInto(this.#bucketMoments(k), part);
    }
    this.#seen += rows;
  }

  /**
   * The moments of prefixes 0..14 in order, each of N_k rows. One object is merged into and yielded again:
   * use each before asking for the next. Each bucket is freed as it is merged. Needs every row added.
   */
  *prefixes(): Generator<Moments> {
    if (this.#seen !== this.n) {
      throw new UnprocessableError(
        "fid_infinity_incomplete",
        `FID-infinity was given ${this.#seen} of the run's ${this.n} rows`,
      );
    }
    let running: Moments | null = null;
    for (let k = 0; k < FID_INFINITY_POINTS; k++) {
      const b = this.#bucketMoments(k);
      this.#buckets[k] = null;
      if (running) mergeMomentsInto(running, b);
      else running = b;
      if (running.n !== this.counts[k]) {
        throw new Error(`prefix ${k} holds ${running.n} rows, expected ${this.counts[k]}`);
      }
      yield running;
    }
  }

  #bucketMoments(k: number): Moments {
    const b = this.#buckets[k];
    if (!b) throw new Error(`FID-infinity prefix ${k} was already handed out`);
    return b;
  }
}

/** FID-infinity as reported: the fitted line and the points it went through, [N_k, FID_k]. */
export interface FidInfinityResult extends FidInfinityFit {
  points: [number, number][];
}

/** Fits the line through the FIDs `fidOf` gives each prefix of `prefixes` (all rows added). */
export function fidInfinity(prefixes: PrefixMoments, fidOf: (m: Moments) => number): FidInfinityResult {
  const points: [number, number][] = [];
  for (const m of prefixes.prefixes()) points.push([m.n, fidOf(m)]);
  return { ...fitFidInfinity(points), points };
}
