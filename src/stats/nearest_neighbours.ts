/**
 * k-th nearest neighbour distances within one feature matrix: for each row, the Euclidean distance to its
 * k-th nearest OTHER row (the row itself excluded, duplicates of it included). These are the radii of the
 * k-NN balls of Naeem et al. 2020 (PRDC), equal to the (k+1)-th smallest entry of the row's distance list
 * with the zero self-distance kept, which is how their reference code (np.argpartition) reads it.
 */

import { InvalidInputError, UnprocessableError } from "../errors.ts";
import {
  checkFeatureRows,
  DISTANCE_TILE,
  distanceCentre,
  type FeatureRows,
  forEachSquaredDistanceTile,
} from "./pairwise_distance.ts";

/** Options of the k-th nearest neighbour functions. */
export interface KthNearestOptions {
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

/**
 * Squared Euclidean distance from each row to its k-th nearest other row. Each unordered pair is measured
 * once and offered to both rows' running k smallest (a sorted list of k, updated by insertion): a selection,
 * never a sort of the n - 1 distances.
 */
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
  const best = new Float64Array(n * k).fill(Infinity); // row i's k smallest, ascending, at [i*k, i*k + k)
  const worst = new Float64Array(n).fill(Infinity); // = best[i*k + k - 1], kept apart for a cheap reject
  const offer = (i: number, d: number) => {
    const base = i * k;
    let p = base + k - 1;
    while (p > base && best[p - 1] > d) {
      best[p] = best[p - 1];
      p--;
    }
    best[p] = d;
    worst[i] = best[base + k - 1];
  };
  const T = DISTANCE_TILE;
  forEachSquaredDistanceTile(x, n, x, n, dim, (i0, rows, j0, cols, sq) => {
    for (let r = 0; r < rows; r++) {
      const i = i0 + r, base = r * T;
      // On a diagonal tile only c > r: the self pair is skipped and the pair (c, r) is the same pair.
      for (let c = i0 === j0 ? r + 1 : 0; c < cols; c++) {
        const d = sq[base + c], j = j0 + c;
        if (d < worst[i]) offer(i, d);
        if (d < worst[j]) offer(j, d);
      }
    }
  }, { symmetric: true, centre: opts.centre ?? distanceCentre(x, n, dim) });
  return worst;
}
