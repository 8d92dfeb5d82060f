/**
 * Mergeable running sums of a VAE's KL divergence to the N(0, I) prior, per latent dimension:
 * KL(N(m, e^lv) || N(0, 1)) = -0.5 (1 + lv - m^2 - e^lv).
 */

import { UnprocessableError } from "../errors.ts";

/** Per-dimension float64 KL sums over `n` samples of a `dim`-dimensional latent. */
export interface KlSums {
  n: number;
  dim: number;
  perDimSum: Float64Array;
}

/** KL metrics: mean total KL per sample, mean KL per dimension, and how many dimensions are in use. */
export interface KlMetrics {
  kl: number;
  kl_per_dim: number[];
  /** Dimensions whose mean KL exceeds ACTIVE_DIM_THRESHOLD (the rest have collapsed to the prior). */
  active_dims: number;
}

/** Mean KL (nats) above which a latent dimension counts as active. */
export const ACTIVE_DIM_THRESHOLD = 0.01;

/** Sums of zero samples of dimension `dim`. */
export function emptyKl(dim: number): KlSums {
  checkDim(dim);
  return { n: 0, dim, perDimSum: new Float64Array(dim) };
}

/** Per-dimension KL sums of one batch of encoder outputs (z_mean, z_log_var), each row-major n x dim. */
export function klBatch(
  zMean: ArrayLike<number>,
  zLogVar: ArrayLike<number>,
  n: number,
  dim: number,
): KlSums {
  checkDim(dim);
  if (!Number.isInteger(n) || n < 0) {
    throw new UnprocessableError("kl_bad_count", `sample count must be a non-negative integer, got ${n}`);
  }
  if (zMean.length !== n * dim || zLogVar.length !== n * dim) {
    throw new UnprocessableError(
      "kl_bad_shape",
      `z_mean has ${zMean.length} values and z_log_var ${zLogVar.length}; both must be ` +
        `n x dim = ${n} x ${dim} = ${n * dim}`,
    );
  }
  const out = emptyKl(dim);
  out.n = n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const m = zMean[i * dim + j], lv = zLogVar[i * dim + j];
      const kl = -0.5 * (1 + lv - m * m - Math.exp(lv));
      if (!Number.isFinite(kl)) {
        throw new UnprocessableError(
          "kl_not_finite",
          `sample ${i}, dimension ${j}: z_mean ${m}, z_log_var ${lv} give a non-finite KL; ` +
            "both must be finite and z_log_var below ~709",
        );
      }
      out.perDimSum[j] += kl;
    }
  }
  return out;
}

/** Sums over the union of two sample sets; an empty side yields a copy of the other. */
export function mergeKl(a: KlSums, b: KlSums): KlSums {
  if (a.dim !== b.dim) {
    throw new UnprocessableError(
      "kl_dim_mismatch",
      `cannot merge KL sums of dimension ${a.dim} with ${b.dim}`,
    );
  }
  const perDimSum = a.perDimSum.slice();
  if (a.n === 0) perDimSum.set(b.perDimSum);
  else if (b.n > 0) { for (let j = 0; j < a.dim; j++) perDimSum[j] += b.perDimSum[j]; }
  return { n: a.n + b.n, dim: a.dim, perDimSum };
}

/** Mean over samples of the KL summed over dimensions, per-dimension means, and the active-dimension count. */
export function klMetrics(s: KlSums): KlMetrics {
  if (s.n < 1) throw new UnprocessableError("kl_no_samples", "KL metrics need at least 1 sample, got 0");
  const perDim = Array.from(s.perDimSum, (v) => v / s.n);
  let total = 0;
  for (const v of s.perDimSum) total += v;
  return {
    kl: total / s.n,
    kl_per_dim: perDim,
    active_dims: perDim.filter((v) => v > ACTIVE_DIM_THRESHOLD).length,
  };
}

function checkDim(dim: number): void {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new UnprocessableError("kl_bad_dim", `latent dimension must be a positive integer, got ${dim}`);
  }
}

/** Stored JSON form of KL sums (Float64Array as a plain array: JSON round-trips doubles exactly). */
export function klSumsToJson(s: KlSums): Record<string, unknown> {
  return { n: s.n, dim: s.dim, perDimSum: Array.from(s.perDimSum) };
}

/** KL sums from their stored JSON form. */
export function klSumsFromJson(j: Record<string, unknown>): KlSums {
  return { n: j.n as number, dim: j.dim as number, perDimSum: Float64Array.from(j.perDimSum as number[]) };
}
