/**
 * The distance comparisons of PRDC (Naeem et al. 2020) and its k-NN radii, fed by Gram panels from any engine
 * yet giving exactly the counts of the exact distances of src/stats/feature_rows.ts.
 *
 * A Gram product summed in another order than the exact definition can differ from it by a few ulps, which is
 * enough to flip a strict inequality on a tie (duplicate rows, integer-valued features). So every comparison
 * first uses the Gram distance with its error bound (squaredDistanceSlack): outside the bound it is decided;
 * inside it, the exact distance of that pair is computed (one dot product in feature order). Radii likewise:
 * each row keeps every candidate whose Gram distance could still be among its k nearest, and the k-th
 * smallest EXACT distance among them is the radius. Ambiguous pairs are rare (ties, near-ties), so the exact
 * work is a sliver of the products.
 */
import { exactSquaredDistance, gramSquaredDistance, squaredDistanceSlack } from "./feature_rows.ts";
import type { GramPanelVisitor } from "./gram_engine.ts";

/** A centred feature matrix with its row norms (summed in feature order). */
export interface CentredRows {
  rows: Float64Array;
  n: number;
  norms: Float64Array;
}

/**
 * Squared distance from each row to its k-th nearest OTHER row (duplicates included), exactly. `offer` is the
 * visitor for the symmetric Gram panels of the rows against themselves; `radii` gives the result after them.
 */
export function kthNearestCollector(x: CentredRows, dim: number, k: number) {
  const n = x.n;
  const best = new Float64Array(n * k).fill(Infinity); // row i's k smallest Gram distances, ascending
  const worst = new Float64Array(n).fill(Infinity); // = best[i*k + k-1]
  let maxNorm = 0;
  for (let i = 0; i < n; i++) maxNorm = Math.max(maxNorm, x.norms[i]);
  // The widest gap between a row's Gram and exact distances, against any other row.
  const slack = Float64Array.from(x.norms, (ni) => squaredDistanceSlack(dim, ni, maxNorm));
  // Candidates of row i: columns whose Gram distance was within the threshold when offered.
  const candidates: number[][] = Array.from({ length: n }, () => []);
  const candidateValues: number[][] = Array.from({ length: n }, () => []);
  const offer = (i: number, j: number, d: number) => {
    if (d > worst[i] + 2 * slack[i]) return;
    if (d < worst[i]) {
      const base = i * k;
      let p = base + k - 1;
      while (p > base && best[p - 1] > d) {
        best[p] = best[p - 1];
        p--;
      }
      best[p] = d;
      worst[i] = best[base + k - 1];
    }
    const cj = candidates[i], cv = candidateValues[i];
    cj.push(j);
    cv.push(d);
    if (cj.length > 4 * k + 16) prune(i);
  };
  const prune = (i: number) => {
    const limit = worst[i] + 2 * slack[i];
    const cj = candidates[i], cv = candidateValues[i];
    let w = 0;
    for (let r = 0; r < cj.length; r++) {
      if (cv[r] <= limit) {
        cj[w] = cj[r];
        cv[w++] = cv[r];
      }
    }
    cj.length = w;
    cv.length = w;
  };
  const visit: GramPanelVisitor = (i0, rows, j0, cols, panel, ld) => {
    for (let r = 0; r < rows; r++) {
      const i = i0 + r, ni = x.norms[i], base = r * ld;
      // A symmetric panel starts at column i0: skip the self pair and the pairs below the diagonal.
      for (let c = i - j0 + 1; c < cols; c++) {
        const j = j0 + c;
        const d = gramSquaredDistance(ni, x.norms[j], panel[base + c]);
        offer(i, j, d);
        offer(j, i, d);
      }
    }
  };
  const radii = (): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      prune(i);
      const exact = candidates[i].map((j) =>
        exactSquaredDistance(x.rows, i, x.rows, j, dim, x.norms[i], x.norms[j])
      );
      exact.sort((p, q) => p - q);
      out[i] = exact[k - 1];
    }
    return out;
  };
  return { visit, radii };
}

/** The four PRDC tallies over real (i) and fake (j) rows. */
export interface PrdcTally {
  /** #{i : d(R_i, F_j) < r_i} per fake j (density; precision when > 0). */
  ballsHoldingFake: Uint32Array;
  /** Some fake inside real i's ball (coverage). */
  realCovered: Uint8Array;
  /** Real i inside some fake's ball (recall). */
  realRecalled: Uint8Array;
}

/**
 * Tallies the strict comparisons d(R_i, F_j) < r_i and < s_j from Gram panels of fakes (panel rows) against
 * reals (panel columns), given both sides' exact squared radii.
 */
export function crossCollector(
  real: CentredRows,
  fake: CentredRows,
  dim: number,
  realRadius: Float64Array,
  fakeRadius: Float64Array,
) {
  const tally: PrdcTally = {
    ballsHoldingFake: new Uint32Array(fake.n),
    realCovered: new Uint8Array(real.n),
    realRecalled: new Uint8Array(real.n),
  };
  const visit: GramPanelVisitor = (j0, rows, i0, cols, panel, ld) => {
    for (let r = 0; r < rows; r++) {
      const j = j0 + r, nj = fake.norms[j], sj = fakeRadius[j], base = r * ld;
      let inBalls = 0;
      for (let c = 0; c < cols; c++) {
        const i = i0 + c, ni = real.norms[i];
        const d = gramSquaredDistance(nj, ni, panel[base + c]);
        const slack = squaredDistanceSlack(dim, ni, nj);
        let inReal = compare(d, slack, realRadius[i]);
        let inFake = tally.realRecalled[i] ? 0 : compare(d, slack, sj);
        if (inReal < 0 || inFake < 0) {
          // Too close to call on the Gram distance: the exact one, once for both comparisons.
          const exact = exactSquaredDistance(real.rows, i, fake.rows, j, dim, ni, nj);
          if (inReal < 0) inReal = exact < realRadius[i] ? 1 : 0;
          if (inFake < 0) inFake = exact < sj ? 1 : 0;
        }
        if (inReal) {
          inBalls++;
          tally.realCovered[i] = 1;
        }
        if (inFake) tally.realRecalled[i] = 1;
      }
      tally.ballsHoldingFake[j] += inBalls;
    }
  };
  return { visit, tally };
}

/** d < radius for a distance known to within +-slack: 1 (surely), 0 (surely not) or -1 (too close to call). */
function compare(d: number, slack: number, radius: number): number {
  if (d + slack < radius) return 1;
  if (d - slack >= radius) return 0;
  return -1;
}
