/**
 * Kernel Inception Distance as torch-fidelity computes it (metric_kid.py): polynomial kernel
 * k(x, y) = (x.y / d + 1)^3, unbiased MMD^2 on `subsets` random subsets of `subsetSize` rows from each side,
 * drawn by ONE numpy RandomState(seed) as choice(nx, m, replace=False) then choice(ny, m, replace=False) per
 * subset; the result is the mean and population std (np.std) of the subsets' MMD^2 values.
 *
 * Differences from torch-fidelity, on purpose: dot products are float64 (torch-fidelity multiplies float32
 * numpy arrays), and a subset size above min(nx, ny) is lowered to min(nx, ny) instead of being an error.
 */

import { InvalidInputError, UnprocessableError } from "../errors.ts";
import { RandomState } from "./numpy_random.ts";

/** Options of kernelInceptionDistance (torch-fidelity's defaults). */
export interface KidOptions {
  /** Number of random subsets (default 100). */
  subsets?: number;
  /** Rows per subset from each side (default 1000; lowered to min(nx, ny) when larger). */
  subsetSize?: number;
  /** Seed of numpy's RandomState (default 2020, torch-fidelity's rng_seed). */
  seed?: number;
  /**
   * Whether to precompute the kernel between ALL rows once and have each subset sum cached values:
   * "auto" (default) does so when it needs fewer dot products than per-subset Gram matrices and at most
   * 2^23 cached values (64 MiB); "always" / "never" force the choice. Results agree to round-off.
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

/** Memory cap of the all-rows kernel cache in "auto" mode: 2^23 float64 values = 64 MiB. */
const MAX_CACHED_KERNEL_ENTRIES = 2 ** 23;

/** Row-major float64 matrix storage. */
type Rows = Float64Array;

/** KID between row-major feature matrices x (nx x dim) and y (ny x dim), torch-fidelity's estimator. */
export function kernelInceptionDistance(
  x: Float32Array | Float64Array,
  nx: number,
  y: Float32Array | Float64Array,
  ny: number,
  dim: number,
  opts: KidOptions = {},
): KidResult {
  const subsets = opts.subsets ?? 100;
  const requestedSize = opts.subsetSize ?? 1000;
  const seed = opts.seed ?? 2020;
  const kernelCache = opts.kernelCache ?? "auto";
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

  const distinctDots = (nx * (nx + 1)) / 2 + (ny * (ny + 1)) / 2 + nx * ny;
  const cacheEntries = nx * nx + ny * ny + nx * ny;
  const useCache = kernelCache === "always" ||
    (kernelCache === "auto" && cacheEntries <= MAX_CACHED_KERNEL_ENTRIES &&
      distinctDots < subsets * 2 * m * m);
  const values = new Float64Array(subsets);
  if (useCache) {
    const xs = toFloat64(x), ys = toFloat64(y);
    const kxx = kernelMatrix(xs, nx, xs, nx, dim, true);
    const kyy = kernelMatrix(ys, ny, ys, ny, dim, true);
    const kxy = kernelMatrix(xs, nx, ys, ny, dim, false);
    for (let s = 0; s < subsets; s++) {
      const ix = rng.choice(nx, m, false);
      const iy = rng.choice(ny, m, false);
      values[s] = mmd2(
        offDiagonalSum(kxx, nx, ix),
        offDiagonalSum(kyy, ny, iy),
        crossSum(kxy, ny, ix, iy),
        m,
      );
    }
  } else {
    const gx = new Float64Array(padded(m) * dim);
    const gy = new Float64Array(padded(m) * dim);
    for (let s = 0; s < subsets; s++) {
      gather(x, rng.choice(nx, m, false), dim, gx);
      gather(y, rng.choice(ny, m, false), dim, gy);
      values[s] = mmd2(
        kernelSum(gx, m, gx, m, dim, true),
        kernelSum(gy, m, gy, m, dim, true),
        kernelSum(gx, m, gy, m, dim, false),
        m,
      );
    }
  }
  let mean = 0;
  for (let s = 0; s < subsets; s++) mean += values[s];
  mean /= subsets;
  let variance = 0;
  for (let s = 0; s < subsets; s++) variance += (values[s] - mean) ** 2;
  return { mean, std: Math.sqrt(variance / subsets), subsetSize: m, subsets };
}

/** Unbiased MMD^2 from the off-diagonal within-set kernel sums and the full cross sum. */
function mmd2(sumXX: number, sumYY: number, sumXY: number, m: number): number {
  return (sumXX + sumYY) / (m * (m - 1)) - (2 * sumXY) / (m * m);
}

function polynomialKernel(dot: number, dim: number): number {
  const t = dot / dim + 1;
  return t * t * t;
}

/** Rows rounded up to a multiple of 4, so the 4x4 blocks never need an edge case (padding rows are 0). */
function padded(rows: number): number {
  return Math.ceil(rows / 4) * 4;
}

function gather(src: Float32Array | Float64Array, idx: Uint32Array, dim: number, dst: Float64Array): void {
  for (let r = 0; r < idx.length; r++) {
    const from = idx[r] * dim, to = r * dim;
    for (let j = 0; j < dim; j++) dst[to + j] = src[from + j];
  }
}

function toFloat64(a: Float32Array | Float64Array): Float64Array {
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

/**
 * Calls `visit(i, j, dot)` for each row pair of A (na rows) and B (nb rows): all pairs, or only i < j when
 * `upper` (A and B the same matrix). Dot products run in 4x4 blocks: 8 row loads feed 16 accumulators.
 * Rows past na / nb are read as zeros (callers pad) or skipped.
 */
function forEachDot(
  a: Rows,
  na: number,
  b: Rows,
  nb: number,
  dim: number,
  upper: boolean,
  visit: (i: number, j: number, dot: number) => void,
): void {
  const pa = a.length >= padded(na) * dim ? a : padRows(a, na, dim);
  const pb = b === a ? pa : b.length >= padded(nb) * dim ? b : padRows(b, nb, dim);
  const acc = new Float64Array(16);
  for (let ib = 0; ib < na; ib += 4) {
    const a0 = pa.subarray(ib * dim, (ib + 1) * dim);
    const a1 = pa.subarray((ib + 1) * dim, (ib + 2) * dim);
    const a2 = pa.subarray((ib + 2) * dim, (ib + 3) * dim);
    const a3 = pa.subarray((ib + 3) * dim, (ib + 4) * dim);
    for (let jb = upper ? ib : 0; jb < nb; jb += 4) {
      const b0 = pb.subarray(jb * dim, (jb + 1) * dim);
      const b1 = pb.subarray((jb + 1) * dim, (jb + 2) * dim);
      const b2 = pb.subarray((jb + 2) * dim, (jb + 3) * dim);
      const b3 = pb.subarray((jb + 3) * dim, (jb + 4) * dim);
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < dim; k++) {
        const p0 = a0[k], p1 = a1[k], p2 = a2[k], p3 = a3[k];
        const q0 = b0[k], q1 = b1[k], q2 = b2[k], q3 = b3[k];
        s00 += p0 * q0, s01 += p0 * q1, s02 += p0 * q2, s03 += p0 * q3;
        s10 += p1 * q0, s11 += p1 * q1, s12 += p1 * q2, s13 += p1 * q3;
        s20 += p2 * q0, s21 += p2 * q1, s22 += p2 * q2, s23 += p2 * q3;
        s30 += p3 * q0, s31 += p3 * q1, s32 += p3 * q2, s33 += p3 * q3;
      }
      acc[0] = s00, acc[1] = s01, acc[2] = s02, acc[3] = s03;
      acc[4] = s10, acc[5] = s11, acc[6] = s12, acc[7] = s13;
      acc[8] = s20, acc[9] = s21, acc[10] = s22, acc[11] = s23;
      acc[12] = s30, acc[13] = s31, acc[14] = s32, acc[15] = s33;
      const iEnd = Math.min(4, na - ib), jEnd = Math.min(4, nb - jb);
      for (let di = 0; di < iEnd; di++) {
        const i = ib + di;
        for (let dj = 0; dj < jEnd; dj++) {
          const j = jb + dj;
          if (upper && j <= i) continue;
          visit(i, j, acc[di * 4 + dj]);
        }
      }
    }
  }
}

function padRows(a: Rows, rows: number, dim: number): Float64Array {
  const out = new Float64Array(padded(rows) * dim);
  out.set(a.subarray(0, rows * dim));
  return out;
}

/** Sum of k over all row pairs (or over i != j, counted twice, when `symmetric`). */
function kernelSum(a: Rows, na: number, b: Rows, nb: number, dim: number, symmetric: boolean): number {
  let total = 0;
  forEachDot(a, na, b, nb, dim, symmetric, (_i, _j, dot) => {
    total += polynomialKernel(dot, dim);
  });
  return symmetric ? 2 * total : total;
}

/** Full kernel matrix (na x nb, row-major) of all rows; the symmetric case fills both triangles. */
function kernelMatrix(
  a: Float64Array,
  na: number,
  b: Float64Array,
  nb: number,
  dim: number,
  symmetric: boolean,
) {
  const k = new Float64Array(na * nb);
  forEachDot(a, na, b, nb, dim, symmetric, (i, j, dot) => {
    const v = polynomialKernel(dot, dim);
    k[i * nb + j] = v;
    if (symmetric) k[j * nb + i] = v;
  });
  return k;
}

/** Sum of k over ordered pairs of distinct subset rows, from a cached n x n kernel matrix. */
function offDiagonalSum(k: Float64Array, n: number, idx: Uint32Array): number {
  let total = 0;
  for (let a = 0; a < idx.length; a++) {
    const row = idx[a] * n;
    for (let b = a + 1; b < idx.length; b++) total += k[row + idx[b]];
  }
  return 2 * total;
}

/** Sum of k over all (x-subset, y-subset) pairs, from a cached nx x ny kernel matrix. */
function crossSum(k: Float64Array, ny: number, ix: Uint32Array, iy: Uint32Array): number {
  let total = 0;
  for (let a = 0; a < ix.length; a++) {
    const row = ix[a] * ny;
    for (let b = 0; b < iy.length; b++) total += k[row + iy[b]];
  }
  return total;
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new InvalidInputError(`kid_bad_${name}`, `${name} must be a positive integer, got ${v}`);
  }
}

function checkFeatures(name: string, f: Float32Array | Float64Array, n: number, dim: number): void {
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
