/**
 * The mean pairwise distance: a simple diversity figure that drops towards 0 as a generator collapses onto few
 * modes. Distances are those of src/stats/feature_rows.ts (rows translated by a rounded centre, float64);
 * src/stats/sample_metrics.ts computes them, sharing products with PRDC and KID.
 */
import type { GramOptions } from "./gram_engine.ts";
import { sampleMetrics } from "./sample_metrics.ts";

/** Options of meanPairwiseDistance. */
export interface MeanPairwiseDistanceOptions {
  /**
   * Rows used at most; a larger input is subsampled without replacement (default 5000: a subsample's mean
   * varies like 1/sqrt(rows), already small at 5000, and 10000 would cost 4x the time).
   */
  maxSamples?: number;
  /** Seed of numpy's RandomState for that subsample: choice(n, maxSamples, replace=False) (default 2020). */
  seed?: number;
}

/** Mean Euclidean distance over all unordered pairs i < j of rows (float64). */
export function meanPairwiseDistance(
  x: Float32Array | Float64Array,
  n: number,
  dim: number,
  opts: MeanPairwiseDistanceOptions = {},
  linalg: GramOptions = {},
): number {
  return sampleMetrics({ x, nx: n, dim, pairwise: opts }, linalg).meanPairwiseDistance!;
}
