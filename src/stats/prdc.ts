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
 */

import { InvalidInputError, UnprocessableError } from "../errors.ts";
import { RandomState } from "./numpy_random.ts";
import { kthNearestSquaredDistances } from "./nearest_neighbours.ts";
import {
  checkFeatureRows,
  checkMaxSamples,
  DISTANCE_TILE,
  distanceCentre,
  type FeatureRows,
  forEachSquaredDistanceTile,
  gatherRows,
} from "./pairwise_distance.ts";

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
  real: FeatureRows,
  nReal: number,
  fake: FeatureRows,
  nFake: number,
  dim: number,
  opts: PrdcOptions = {},
): PrdcResult {
  const k = opts.k ?? 5;
  const maxSamples = opts.maxSamples ?? 10000;
  const seed = opts.seed ?? 2020;
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidInputError("prdc_bad_k", `k (nearest neighbours) must be a positive integer, got ${k}`);
  }
  checkMaxSamples("prdc", maxSamples);
  checkFeatureRows("prdc", "real features", real, nReal, dim);
  checkFeatureRows("prdc", "fake features", fake, nFake, dim);
  const rng = new RandomState(seed);
  if (nReal > maxSamples) {
    real = gatherRows(real, rng.choice(nReal, maxSamples, false), dim);
    nReal = maxSamples;
  }
  if (nFake > maxSamples) {
    fake = gatherRows(fake, rng.choice(nFake, maxSamples, false), dim);
    nFake = maxSamples;
  }
  for (const [side, n] of [["real", nReal], ["fake", nFake]] as const) {
    if (n < k + 1) {
      throw new UnprocessableError(
        "prdc_too_few_samples",
        `PRDC with k = ${k} needs at least k + 1 = ${k + 1} ${side} feature rows (each sample's k-th ` +
          `nearest neighbour), got ${n}; lower k or add samples`,
      );
    }
  }

  // One translation for all three distance passes, so equal distances in different passes stay equal.
  const centre = distanceCentre(real, nReal, dim);
  const realRadius = kthNearestSquaredDistances(real, nReal, dim, k, { centre });
  const fakeRadius = kthNearestSquaredDistances(fake, nFake, dim, k, { centre });

  const ballsHoldingFake = new Uint32Array(nFake); // #{i : d(R_i, F_j) < r_i}
  const realCovered = new Uint8Array(nReal); // some fake inside real i's ball (coverage)
  const realRecalled = new Uint8Array(nReal); // real i inside some fake's ball (recall)
  const T = DISTANCE_TILE;
  forEachSquaredDistanceTile(real, nReal, fake, nFake, dim, (i0, rows, j0, cols, sq) => {
    for (let r = 0; r < rows; r++) {
      const i = i0 + r, radius = realRadius[i], base = r * T;
      let covered = 0, recalled = 0;
      for (let c = 0; c < cols; c++) {
        const d = sq[base + c];
        if (d < radius) {
          ballsHoldingFake[j0 + c]++;
          covered = 1;
        }
        if (d < fakeRadius[j0 + c]) recalled = 1;
      }
      realCovered[i] |= covered;
      realRecalled[i] |= recalled;
    }
  }, { centre });

  let precise = 0, inBalls = 0, covered = 0, recalled = 0;
  for (let j = 0; j < nFake; j++) {
    if (ballsHoldingFake[j] > 0) precise++;
    inBalls += ballsHoldingFake[j];
  }
  for (let i = 0; i < nReal; i++) {
    covered += realCovered[i];
    recalled += realRecalled[i];
  }
  return {
    precision: precise / nFake,
    recall: recalled / nReal,
    density: inBalls / (k * nFake),
    coverage: covered / nReal,
    k,
    realSamples: nReal,
    fakeSamples: nFake,
  };
}
