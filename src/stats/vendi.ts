/**
 * The Vendi score (Friedman & Dieng, "The Vendi Score: A Diversity Evaluation Metric for Machine Learning",
 * TMLR 2023) as dgm-eval computes it with its linear kernel and q = 1: each row scaled to unit length (sklearn's
 * `normalize`: a zero row stays zero), K = X^ X^T / n, and vendi = exp(-sum over eigenvalues w > 0 of K of
 * w log w), the exponential of the spectrum's entropy: 1 for identical rows, n for n orthogonal ones.
 *
 * K is n x n, but its nonzero eigenvalues are those of the D x D matrix (1/n) sum_i x^_i x^_i^T, which streams.
 * It is kept as the mergeable float64 moments of the unit rows (their sum and centred co-moment, exactly as the
 * features' own moments, src/stats/moments.ts), since (1/n) sum x^ x^T = C / n + mu mu^T.
 */
import { UnprocessableError } from "../errors.ts";
import type { FrechetLinalg } from "./frechet_core.ts";
import type { LinalgBackend } from "./linalg_wasm.ts";
import { batchMoments, type Moments, type PackedComoment } from "./moments.ts";
import { psdEigenvalues } from "./symmetric_eigen.ts";

/** The rows of a row-major n x dim matrix scaled to unit Euclidean length (zero rows stay zero), in float64. */
export function unitRows(data: Float32Array | Float64Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = data.subarray(i * dim, (i + 1) * dim);
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += row[j] * row[j];
    let scale = 1 / Math.sqrt(ss);
    if (!(ss > 1e-290 && ss < Infinity)) {
      // Float64 rows past 1e154 overflow the sum of squares, rows below 1e-145 underflow it: scale by the
      // largest entry first (an all-zero row keeps scale 0).
      let big = 0;
      for (let j = 0; j < dim; j++) big = Math.max(big, Math.abs(row[j]));
      let t = 0;
      for (let j = 0; j < dim; j++) t += (row[j] / big) ** 2;
      scale = big === 0 ? 0 : 1 / (big * Math.sqrt(t));
    }
    // NaN and Infinity pass through: batchMoments reports them with their row and column.
    for (let j = 0; j < dim; j++) out[i * dim + j] = Number.isFinite(row[j]) ? row[j] * scale : row[j];
  }
  return out;
}

/** Moments of the unit rows of one batch: the Vendi score's running state, merged like any Moments. */
export function batchUnitMoments(
  data: Float32Array | Float64Array,
  n: number,
  dim: number,
  backend: LinalgBackend | PackedComoment = "auto",
): Moments {
  return batchMoments(unitRows(data, n, dim), n, dim, backend);
}

/** (1/n) sum_i x^_i x^_i^T = C / n + mu mu^T from the unit rows' moments, as a full row-major D x D matrix. */
export function unitSecondMoment(unit: Moments): Float64Array {
  const { dim, n } = unit;
  const mu = new Float64Array(dim);
  for (let j = 0; j < dim; j++) mu[j] = unit.sum[j] / n;
  const k = new Float64Array(dim * dim);
  let p = 0;
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = unit.comoment[p++] / n + mu[a] * mu[b];
      k[a * dim + b] = v;
      k[b * dim + a] = v;
    }
  }
  return k;
}

/** exp(-sum_{w > 0} w log w): the exponential of the entropy of a spectrum that sums to (at most) 1. */
export function vendiFromEigenvalues(w: ArrayLike<number>): number {
  let entropy = 0;
  for (let i = 0; i < w.length; i++) if (w[i] > 0) entropy -= w[i] * Math.log(w[i]);
  return Math.exp(entropy);
}

/** The Vendi score of the rows behind `unit` (the moments of their unit rows); needs at least one row. */
export function vendiScore(unit: Moments, linalg: FrechetLinalg = {}): number {
  if (unit.n < 1) {
    throw new UnprocessableError("vendi_too_few_samples", "the Vendi score needs at least 1 sample, got 0");
  }
  return vendiFromEigenvalues(psdEigenvalues(unitSecondMoment(unit), unit.dim, linalg));
}
