/**
 * Kernel Inception Distance as torch-fidelity computes it (metric_kid.py), split into its plan and its two ways
 * of summing (src/stats/sample_metrics.ts runs them): polynomial kernel k(x, y) = (x.y / d + 1)^3, unbiased
 * MMD^2 on `subsets` random subsets of `subsetSize` rows from each side, drawn by ONE numpy
 * RandomState(seed) as choice(nx, m, replace=False) then choice(ny, m, replace=False) per subset; the result
 * is the mean and population std (np.std) of the subsets' MMD^2 values.
 *
 * - "gram": one Gram matrix of every row any subset uses, each subset then a sum of gathered kernel values;
 *   cheaper when the sides are small next to subsets x subsetSize (the default 100 x 1000 against 2,000 rows).
 * - "subsets": three products per subset, for large sides (float32 on the native engine, as torch-fidelity).
 *
 * Differences from torch-fidelity, on purpose: a subset size above min(nx, ny) is lowered to min(nx, ny)
 * instead of being an error; products are float64 except in "subsets" mode on the native engine.
 */
import { InvalidInputError, UnprocessableError } from "../errors.ts";
import { type FeatureRows, gatherRows } from "./feature_rows.ts";
import type { GramEngine } from "./gram_engine.ts";
import { RandomState } from "./numpy_random.ts";

/** Options of KID (torch-fidelity's defaults). */
export interface KidOptions {
  /** Number of random subsets (default 100). */
  subsets?: number;
  /** Rows per subset from each side (default 1000; lowered to min(nx, ny) when larger). */
  subsetSize?: number;
  /** Seed of numpy's RandomState (default 2020, torch-fidelity's rng_seed). */
  seed?: number;
  /**
   * "gram" vs "subsets" above: "auto" (default) takes the one with fewer multiply-adds, "gram" only while its
   * matrix fits the memory budget; "always" / "never" force the Gram mode or the per-subset mode. Results
   * agree to round-off.
   */
  kernelCache?: "auto" | "always" | "never";
}

/** KID estimate: mean and population std of MMD^2 over subsets, with the subset size actually used. */
export interface KidResult {
  mean: number;
  std: number;
  subsetSize: number;
  subsets: number;
}

/** The subsets drawn and how their sums will be formed. */
export interface KidPlan {
  m: number;
  subsets: number;
  /** Each subset's rows, sorted (sums do not depend on order). */
  draws: { ix: Uint32Array; iy: Uint32Array }[];
  mode: "gram" | "subsets";
  /** The rows some subset uses, ascending, on each side (for "gram"). */
  ux: Uint32Array;
  uy: Uint32Array;
}

/** Draws the subsets (validating every input) and picks the mode; the Gram mode needs (|ux| + |uy|)^2 doubles. */
export function planKid(
  x: FeatureRows,
  nx: number,
  y: FeatureRows,
  ny: number,
  dim: number,
  opts: KidOptions,
  gramBudgetBytes: number,
): KidPlan {
  const subsets = opts.subsets ?? 100;
  const requestedSize = opts.subsetSize ?? 1000;
  const seed = opts.seed ?? 2020;
  checkPositiveInt("dim", dim);
  checkPositiveInt("subsets", subsets);
  if (!Number.isInteger(requestedSize) || requestedSize < 2) {
    throw new InvalidInputError(
      "kid_bad_subset_size",
      `subsetSize must be an integer >= 2, got ${requestedSize}`,
    );
  }
  checkFeatures("x", x, nx, dim);
  checkFeatures("y", y, ny, dim);
  const m = Math.min(requestedSize, nx, ny);
  const rng = new RandomState(seed);
  const draws = [];
  for (let s = 0; s < subsets; s++) {
    const ix = rng.choice(nx, m, false).sort();
    const iy = rng.choice(ny, m, false).sort();
    draws.push({ ix, iy });
  }
  const ux = union(draws.map((d) => d.ix), nx), uy = union(draws.map((d) => d.iy), ny);
  const rows = ux.length + uy.length;
  const cache = opts.kernelCache ?? "auto";
  const gram = cache === "always" ||
    (cache === "auto" && rows * rows <= 4 * subsets * m * m && rows * rows * 8 <= gramBudgetBytes);
  return { m, subsets, draws, mode: gram ? "gram" : "subsets", ux, uy };
}

/**
 * KID from kernel values of the used rows: kxx (|ux| x |ux|, upper triangle read), kyy likewise, kxy
 * (|ux| x |uy|), row-major, indexed by position in plan.ux / plan.uy.
 */
export function kidFromKernels(
  plan: KidPlan,
  kxx: Float64Array,
  kyy: Float64Array,
  kxy: Float64Array,
): KidResult {
  const px = positions(plan.ux), py = positions(plan.uy);
  const nx = plan.ux.length, ny = plan.uy.length;
  const values = plan.draws.map(({ ix, iy }) => {
    const ax = Uint32Array.from(ix, (i) => px[i]), ay = Uint32Array.from(iy, (i) => py[i]);
    return mmd2(upperSum(kxx, nx, ax), upperSum(kyy, ny, ay), crossSum(kxy, ny, ax, ay), plan.m);
  });
  return summarize(values, plan);
}

/** KID with three products per subset on the engine, taken around `centre` (GramEngine.kidSubsetSums). */
export function kidFromSubsets(
  plan: KidPlan,
  x: FeatureRows,
  y: FeatureRows,
  dim: number,
  engine: GramEngine,
  centre: Float64Array,
): KidResult {
  const { m } = plan;
  const values = plan.draws.map(({ ix, iy }) => {
    const sums = engine.kidSubsetSums(gatherRows(x, ix, dim), gatherRows(y, iy, dim), m, dim, centre);
    return mmd2(sums.xx, sums.yy, sums.xy, m);
  });
  return summarize(values, plan);
}

/** Unbiased MMD^2 from the off-diagonal within-set kernel sums and the full cross sum. */
function mmd2(sumXX: number, sumYY: number, sumXY: number, m: number): number {
  return (sumXX + sumYY) / (m * (m - 1)) - (2 * sumXY) / (m * m);
}

function summarize(values: number[], plan: KidPlan): KidResult {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  return { mean, std: Math.sqrt(variance / values.length), subsetSize: plan.m, subsets: plan.subsets };
}

/** Twice the sum over a < b of k[idx[a]][idx[b]] (idx ascending, so the upper triangle). */
function upperSum(k: Float64Array, n: number, idx: Uint32Array): number {
  let total = 0;
  for (let a = 0; a < idx.length; a++) {
    const row = idx[a] * n;
    for (let b = a + 1; b < idx.length; b++) total += k[row + idx[b]];
  }
  return 2 * total;
}

function crossSum(k: Float64Array, ny: number, ix: Uint32Array, iy: Uint32Array): number {
  let total = 0;
  for (let a = 0; a < ix.length; a++) {
    const row = ix[a] * ny;
    for (let b = 0; b < iy.length; b++) total += k[row + iy[b]];
  }
  return total;
}

/** The ascending union of index sets below n. */
function union(sets: Uint32Array[], n: number): Uint32Array {
  const used = new Uint8Array(n);
  for (const s of sets) for (const i of s) used[i] = 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (used[i]) out.push(i);
  return Uint32Array.from(out);
}

/** pos[i] = position of i in the ascending `rows`. */
function positions(rows: Uint32Array): Int32Array {
  const pos = new Int32Array(rows.length ? rows[rows.length - 1] + 1 : 0).fill(-1);
  rows.forEach((r, p) => (pos[r] = p));
  return pos;
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new InvalidInputError(`kid_bad_${name}`, `${name} must be a positive integer, got ${v}`);
  }
}

function checkFeatures(name: string, f: FeatureRows, n: number, dim: number): void {
  if (!Number.isInteger(n) || n < 2) {
    throw new UnprocessableError(
      "kid_too_few_samples",
      `KID needs at least 2 feature rows on each side; ${name} has ${n}`,
    );
  }
  if (f.length !== n * dim) {
    throw new UnprocessableError(
      "kid_bad_shape",
      `${name} has ${f.length} values, expected n x dim = ${n} x ${dim} = ${n * dim}`,
    );
  }
  for (let i = 0; i < f.length; i++) {
    if (!Number.isFinite(f[i])) {
      throw new UnprocessableError(
        "features_not_finite",
        `${name} row ${Math.floor(i / dim)}, column ${i % dim} is ${f[i]}; features must be finite`,
      );
    }
  }
}
