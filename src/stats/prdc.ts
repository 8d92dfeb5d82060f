/**
 * Precision, recall, density and coverage (PRDC) of generated ("fake") features against real ones, as
 * Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models", define them and as
 * their reference code computes them (clovaai/generative-evaluation-prdc, prdc/prdc.py, compute_prdc):
 *
 *   r_i  = distance from real i to its k-th nearest other real sample (k-NN radius; likewise s_j for fakes)
 *   precision = (1/M) sum_j [ exists i: d(R_i, F_j) < r_i ]
 *   recall    = (1/N) sum_i [ exists j: d(R_i, F_j) < s_j ]
 *   density   = (1/(kM)) sum_j #{ i : d(R_i, F_j) < r_i }
 *   coverage  = (1/N) sum_i [ min_j d(R_i, F_j) < r_i ]
 *
 * Inequalities are strict, as in the reference. Differences from it, on purpose: distances are float64 (the
 * reference gets float32 from sklearn for float32 input) and are compared squared, which orders them exactly
 * as their square roots would, without a rounding step; and inputs above `maxSamples` rows are subsampled.
 * Every comparison is decided on the exact distances of src/stats/feature_rows.ts, however fast the products
 * (src/stats/prdc_counts.ts); src/stats/sample_metrics.ts computes them, sharing products with KID.
 */
import type { GramOptions } from "./gram_engine.ts";
import { sampleMetrics } from "./sample_metrics.ts";

/** Options of prdc. */
export interface PrdcOptions {
  /** Nearest neighbours defining each ball's radius (default 5, the paper's choice). */
  k?: number;
  /**
   * Rows used at most from EACH side (default 10000). A larger side is subsampled without replacement by
   * numpy's RandomState(seed).choice(n, maxSamples, replace=False): one generator, real side drawn first,
   * then fake, each only when that side is over the limit.
   */
  maxSamples?: number;
  /** Seed of that RandomState (default 2020). */
  seed?: number;
}

/** PRDC values, with k and the rows each side actually used (after any subsampling). */
export interface PrdcResult {
  precision: number;
  recall: number;
  density: number;
  coverage: number;
  k: number;
  realSamples: number;
  fakeSamples: number;
}

/** Precision, recall, density and coverage of fake (nFake x dim) against real (nReal x dim) features. */
export function prdc(
  real: Float32Array | Float64Array,
  nReal: number,
  fake: Float32Array | Float64Array,
  nFake: number,
  dim: number,
  opts: PrdcOptions = {},
  linalg: GramOptions = {},
): PrdcResult {
  return sampleMetrics({ x: fake, nx: nFake, y: real, ny: nReal, dim, prdc: opts }, linalg).prdc!;
}
