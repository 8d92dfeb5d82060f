/**
 * Mergeable float64 first and second moments of N x D feature batches (the running state behind FID).
 *
 * Each batch is centred on its own mean before its co-moment is accumulated, and batches are combined with
 * Chan et al.'s parallel update. Centring keeps the co-moment accurate when features carry a large common
 * offset, which the textbook sum-of-products formula (E[xx^T] - mu mu^T) loses to cancellation.
 */

import { UnprocessableError } from "../errors.ts";
import { type LinalgBackend, withKernels } from "./linalg_wasm.ts";

/**
 * A co-moment kernel passed in by the caller (e.g. OpenBLAS's, src/native/openblas.ts): sum_i c_i c_i^T of n
 * centred float64 rows, as the packed upper triangle, summed in float64.
 */
export type PackedComoment = (centred: Float64Array, n: number, dim: number) => Float64Array;

/** Running moments of `n` D-dimensional samples. */
export interface Moments {
  readonly dim: number;
  /** Number of samples seen. */
  n: number;
  /** Per-dimension sum of the samples (length D). */
  sum: Float64Array;
  /**
   * Sum over samples of (x - mean)(x - mean)^T, packed upper triangle row-major: (0,0), (0,1) .. (0,D-1),
   * (1,1) .. (D-1,D-1); length D(D+1)/2.
   */
  comoment: Float64Array;
}

/** Number of entries in the packed upper triangle of a dim x dim symmetric matrix. */
export function packedLength(dim: number): number {
  return (dim * (dim + 1)) / 2;
}

/** Index of entry (a, b) in the packed upper triangle (symmetric: (a, b) and (b, a) share an index). */
export function packedIndex(a: number, b: number, dim: number): number {
  if (a > b) [a, b] = [b, a];
  // Row a starts after rows 0..a-1, which hold dim, dim-1, .., dim-a+1 entries.
  return a * dim - (a * (a - 1)) / 2 + (b - a);
}

/** Moments of zero samples of dimension `dim`. */
export function emptyMoments(dim: number): Moments {
  checkDim(dim);
  return { dim, n: 0, sum: new Float64Array(dim), comoment: new Float64Array(packedLength(dim)) };
}

/** A deep copy of `m`. */
export function cloneMoments(m: Moments): Moments {
  return { dim: m.dim, n: m.n, sum: m.sum.slice(), comoment: m.comoment.slice() };
}

/**
 * Moments of one row-major N x D batch. Centres on the batch mean in float64, then accumulates the packed
 * co-moment: with a kernel the caller passes in (OpenBLAS's), else with WebAssembly SIMD kernels ("auto",
 * "wasm") in register tiles, else ("ts", or no wasm) in plain TypeScript four samples per pass. All sum in
 * float64 and agree to round-off.
 */
export function batchMoments(
  data: Float32Array | Float64Array,
  n: number,
  dim: number,
  backend: LinalgBackend | PackedComoment = "auto",
): Moments {
  checkDim(dim);
  if (!Number.isInteger(n) || n < 0) {
    throw new UnprocessableError(
      "moments_bad_count",
      `sample count must be a non-negative integer, got ${n}`,
    );
  }
  if (data.length !== n * dim) {
    throw new UnprocessableError(
      "moments_bad_shape",
      `feature batch has ${data.length} values, expected n x dim = ${n} x ${dim} = ${n * dim}`,
    );
  }
  if (n === 0) return emptyMoments(dim);
  const sum = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let j = 0; j < dim; j++) {
      const v = data[row + j];
      if (!Number.isFinite(v)) {
        throw new UnprocessableError(
          "features_not_finite",
          `feature row ${i}, column ${j} is ${v}; features must be finite numbers`,
        );
      }
      sum[j] += v;
    }
  }
  const centred = centre(data, n, dim, sum);
  const comoment = typeof backend === "function"
    ? backend(centred, n, dim)
    : withKernels(backend, (k) => k.packedComoment(centred, n, dim), () => {
      const cm = new Float64Array(packedLength(dim));
      accumulateComoment(centred, n, dim, cm);
      return cm;
    });
  return { dim, n, sum, comoment };
}

/** Subtracts the batch mean (refined once with the residual mean of the centred values) into a new array. */
function centre(data: Float32Array | Float64Array, n: number, dim: number, sum: Float64Array): Float64Array {
  const mean = new Float64Array(dim);
  for (let j = 0; j < dim; j++) mean[j] = sum[j] / n;
  const c = new Float64Array(n * dim);
  const residual = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let j = 0; j < dim; j++) {
      const v = data[row + j] - mean[j];
      c[row + j] = v;
      residual[j] += v;
    }
  }
  // The rounded mean leaves a tiny residual; removing it keeps the co-moment about the exact batch mean.
  for (let j = 0; j < dim; j++) residual[j] /= n;
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let j = 0; j < dim; j++) c[row + j] -= residual[j];
  }
  return c;
}

/** comoment += sum_i c_i c_i^T over packed rows; inner loop runs contiguously along one packed row. */
function accumulateComoment(c: Float64Array, n: number, dim: number, cm: Float64Array): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r0 = c.subarray(i * dim, (i + 1) * dim);
    const r1 = c.subarray((i + 1) * dim, (i + 2) * dim);
    const r2 = c.subarray((i + 2) * dim, (i + 3) * dim);
    const r3 = c.subarray((i + 3) * dim, (i + 4) * dim);
    let rowStart = 0;
    for (let a = 0; a < dim; a++) {
      const x0 = r0[a], x1 = r1[a], x2 = r2[a], x3 = r3[a];
      const off = rowStart - a; // packed index of (a, b) is off + b
      for (let b = a; b < dim; b++) {
        cm[off + b] += x0 * r0[b] + x1 * r1[b] + x2 * r2[b] + x3 * r3[b];
      }
      rowStart += dim - a;
    }
  }
  for (; i < n; i++) {
    const r0 = c.subarray(i * dim, (i + 1) * dim);
    let rowStart = 0;
    for (let a = 0; a < dim; a++) {
      const x0 = r0[a];
      const off = rowStart - a;
      for (let b = a; b < dim; b++) cm[off + b] += x0 * r0[b];
      rowStart += dim - a;
    }
  }
}

/**
 * Moments of the union of two sample sets (Chan et al.): C = Ca + Cb + delta delta^T * na nb / n with
 * delta = meanB - meanA. An empty side yields a copy of the other, bit for bit.
 */
export function mergeMoments(a: Moments, b: Moments): Moments {
  checkSameDim(a, b);
  if (b.n === 0) return cloneMoments(a);
  if (a.n === 0) return cloneMoments(b);
  const out = cloneMoments(a);
  mergeMomentsInto(out, b);
  return out;
}

/** In-place form of mergeMoments: folds `b` into `target` without allocating a new co-moment. */
export function mergeMomentsInto(target: Moments, b: Moments): void {
  checkSameDim(target, b);
  if (b.n === 0) return;
  const dim = target.dim;
  if (target.n === 0) {
    target.n = b.n;
    target.sum.set(b.sum);
    target.comoment.set(b.comoment);
    return;
  }
  const na = target.n, nb = b.n, n = na + nb;
  const factor = (na * nb) / n;
  const delta = new Float64Array(dim);
  for (let j = 0; j < dim; j++) delta[j] = b.sum[j] / nb - target.sum[j] / na;
  const ca = target.comoment, cb = b.comoment;
  let rowStart = 0;
  for (let i = 0; i < dim; i++) {
    const di = delta[i] * factor;
    const off = rowStart - i;
    for (let j = i; j < dim; j++) ca[off + j] += cb[off + j] + di * delta[j];
    rowStart += dim - i;
  }
  for (let j = 0; j < dim; j++) target.sum[j] += b.sum[j];
  target.n = n;
}

/** Per-dimension mean of the samples; needs at least one sample. */
export function momentsMean(m: Moments): Float64Array {
  if (m.n < 1) {
    throw new UnprocessableError("moments_too_few_samples", "the mean needs at least 1 sample, got 0");
  }
  const mean = new Float64Array(m.dim);
  for (let j = 0; j < m.dim; j++) mean[j] = m.sum[j] / m.n;
  return mean;
}

/** Full D x D row-major sample covariance with the N-1 denominator (as np.cov); needs at least 2 samples. */
export function momentsCovariance(m: Moments): Float64Array {
  if (m.n < 2) {
    throw new UnprocessableError(
      "moments_too_few_samples",
      `the covariance needs at least 2 samples, got ${m.n}; add more feature rows`,
    );
  }
  const dim = m.dim;
  const cov = new Float64Array(dim * dim);
  const scale = 1 / (m.n - 1);
  let p = 0;
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = m.comoment[p++] * scale;
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return cov;
}

function checkDim(dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new UnprocessableError(
      "moments_bad_dim",
      `feature dimension must be a positive integer, got ${dim}`,
    );
  }
}

function checkSameDim(a: Moments, b: Moments): void {
  if (a.dim !== b.dim) {
    throw new UnprocessableError(
      "moments_dim_mismatch",
      `cannot merge moments of dimension ${a.dim} with moments of dimension ${b.dim}`,
    );
  }
}
