/**
 * k-th nearest neighbour distances within one feature matrix: for each row, the Euclidean distance to its
 * k-th nearest OTHER row (the row itself excluded, duplicates of it included). These are the radii of the
 * k-NN balls of Naeem et al. 2020 (PRDC), equal to the (k+1)-th smallest entry of the row's distance list
 * with the zero self-distance kept, which is how their reference code (np.argpartition) reads it. Distances are
 * the exact ones of src/stats/feature_rows.ts, found from Gram products (src/stats/prdc_counts.ts).
 */
import { InvalidInputError, UnprocessableError } from "../errors.ts";
import {
  centredRows,
  checkFeatureRows,
  distanceCentre,
  type FeatureRows,
  squaredNorms,
} from "./feature_rows.ts";
import { gramEngine, type GramOptions, panelRowsFor } from "./gram_engine.ts";
import { kthNearestCollector } from "./prdc_counts.ts";

/** Options of the k-th nearest neighbour functions. */
export interface KthNearestOptions extends GramOptions {
  /** Translation applied before measuring distances (default: distanceCentre of x). */
  centre?: Float64Array;
}

/** Euclidean distance from each row of x (n x dim) to its k-th nearest other row. */
export function kthNearestDistances(
  x: FeatureRows,
  n: number,
  dim: number,
  k: number,
  opts: KthNearestOptions = {},
): Float64Array {
  const out = kthNearestSquaredDistances(x, n, dim, k, opts);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(out[i]);
  return out;
}

/** Squared Euclidean distance from each row to its k-th nearest other row. */
export function kthNearestSquaredDistances(
  x: FeatureRows,
  n: number,
  dim: number,
  k: number,
  opts: KthNearestOptions = {},
): Float64Array {
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidInputError("knn_bad_k", `k (nearest neighbours) must be a positive integer, got ${k}`);
  }
  checkFeatureRows("knn", "features", x, n, dim);
  if (n < k + 1) {
    throw new UnprocessableError(
      "knn_too_few_samples",
      `the ${k}-th nearest neighbour needs at least ${k + 1} feature rows, got ${n}`,
    );
  }
  const rows = centredRows(x, null, n, dim, opts.centre ?? distanceCentre(x, n, dim));
  const collector = kthNearestCollector({ rows, n, norms: squaredNorms(rows, n, dim) }, dim, k);
  gramEngine(opts).forEachPanel(rows, n, rows, n, dim, panelRowsFor(n, true), true, collector.visit);
  return collector.radii();
}
