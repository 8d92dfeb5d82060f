/**
 * Euclidean distances between the rows of N x D feature matrices, and the mean pairwise distance (a simple
 * diversity figure: it drops towards 0 as a generator collapses onto few modes).
 *
 * Squared distances come from |x|^2 + |y|^2 - 2 x.y in float64, with the dot products in 4x4 blocks
 * over cache-sized tiles (rows packed four at a time, the feature axis walked in chunks), so 10k x 10k
 * comparisons at D = 2048 stay practical in plain TypeScript. Two details keep that formula honest:
 * - Rows are first translated by a common centre (distances do not change). Without it a large common
 *   offset would cancel catastrophically in |x|^2 + |y|^2 - 2 x.y.
 * - Every dot product and every squared norm is summed in the same order (feature 0 upwards), so identical
 *   rows are exactly 0 apart and equal distances stay equal: ties decide PRDC's strict inequalities.
 */

import { InvalidInputError, UnprocessableError } from "../errors.ts";
import { RandomState } from "./numpy_random.ts";

/** A row-major N x D feature matrix as the API accepts it. */
export type FeatureRows = Float32Array | Float64Array;

/** Rows and columns per tile; a multiple of 4 (the register block). */
export const DISTANCE_TILE = 64;
/** Features per pass over a tile: 2 x 64 rows x 256 x 8 bytes = 256 KiB stays in L2. */
const FEATURE_CHUNK = 256;
/** Significant bits kept in each centre coordinate (see distanceCentre). */
const CENTRE_BITS = 8;

/** Receives one tile: sq[r * DISTANCE_TILE + c] = |a[i0 + r] - b[j0 + c]|^2 for r < rows, c < cols. */
export type SquaredDistanceVisitor = (
  i0: number,
  rows: number,
  j0: number,
  cols: number,
  sq: Float64Array,
) => void;

/** Options of forEachSquaredDistanceTile. */
export interface SquaredDistanceOptions {
  /**
   * a and b are the same matrix: only tiles with j0 >= i0 are visited (the diagonal tiles in full, self
   * pairs included), so each unordered pair is seen once off the diagonal.
   */
  symmetric?: boolean;
  /** Vector subtracted from every row of a and b first (default: distanceCentre of a). */
  centre?: Float64Array;
}

/**
 * Visits every tile of the na x nb squared Euclidean distance matrix between the rows of a and b (float64;
 * tiny negatives from round-off clamped to 0). The tile buffer is reused: copy what must outlive the call.
 */
export function forEachSquaredDistanceTile(
  a: FeatureRows,
  na: number,
  b: FeatureRows,
  nb: number,
  dim: number,
  visit: SquaredDistanceVisitor,
  opts: SquaredDistanceOptions = {},
): void {
  const symmetric = opts.symmetric ?? false;
  if (symmetric && (a !== b || na !== nb)) {
    throw new InvalidInputError(
      "distance_not_symmetric",
      "symmetric distance tiles need the same matrix (and row count) on both sides",
    );
  }
  const centre = opts.centre ?? distanceCentre(a, na, dim);
  if (centre.length !== dim) {
    throw new InvalidInputError(
      "distance_bad_centre",
      `the centre has ${centre.length} values, expected one per feature (${dim})`,
    );
  }
  const T = DISTANCE_TILE;
  const normA = centredSquaredNorms(a, na, dim, centre);
  const normB = symmetric ? normA : centredSquaredNorms(b, nb, dim, centre);
  const packA = new Float64Array(T * dim);
  const packB = symmetric ? packA : new Float64Array(T * dim);
  const packJ = symmetric ? new Float64Array(T * dim) : packB;
  const acc = new Float64Array(T * T);
  for (let i0 = 0; i0 < na; i0 += T) {
    const rows = Math.min(T, na - i0);
    packRows(a, i0, rows, dim, centre, packA);
    for (let j0 = symmetric ? i0 : 0; j0 < nb; j0 += T) {
      const cols = Math.min(T, nb - j0);
      let pb = packB;
      if (symmetric && j0 !== i0) {
        packRows(b, j0, cols, dim, centre, packJ);
        pb = packJ;
      } else if (!symmetric) {
        packRows(b, j0, cols, dim, centre, packB);
      }
      acc.fill(0);
      const groupsA = Math.ceil(rows / 4), groupsB = Math.ceil(cols / 4);
      for (let k0 = 0; k0 < dim; k0 += FEATURE_CHUNK) {
        const len = Math.min(FEATURE_CHUNK, dim - k0);
        for (let ga = 0; ga < groupsA; ga++) {
          const aOff = (ga * dim + k0) * 4;
          for (let gb = 0; gb < groupsB; gb++) {
            dotBlock4x4(packA, aOff, pb, (gb * dim + k0) * 4, len, acc, ga * 4 * T + gb * 4);
          }
        }
      }
      for (let r = 0; r < rows; r++) {
        const ni = normA[i0 + r], base = r * T;
        for (let c = 0; c < cols; c++) {
          const v = ni + normB[j0 + c] - 2 * acc[base + c];
          acc[base + c] = v > 0 ? v : 0;
        }
      }
      visit(i0, rows, j0, cols, acc);
    }
  }
}

/**
 * The translation forEachSquaredDistanceTile applies by default: the per-feature mean of the rows, each
 * rounded to 8 significant bits. Rounding makes x - centre exact for float32 and integer-valued features, so
 * centring never breaks a tie; 8 bits are plenty to remove a common offset.
 */
export function distanceCentre(x: FeatureRows, n: number, dim: number): Float64Array {
  const centre = new Float64Array(dim);
  if (n === 0) return centre;
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let j = 0; j < dim; j++) centre[j] += x[row + j];
  }
  for (let j = 0; j < dim; j++) centre[j] = roundToBits(centre[j] / n, CENTRE_BITS);
  return centre;
}

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
  x: FeatureRows,
  n: number,
  dim: number,
  opts: MeanPairwiseDistanceOptions = {},
): number {
  const maxSamples = opts.maxSamples ?? 5000;
  const seed = opts.seed ?? 2020;
  checkMaxSamples("pairwise", maxSamples);
  checkFeatureRows("pairwise", "features", x, n, dim);
  if (n < 2) {
    throw new UnprocessableError(
      "pairwise_too_few_samples",
      `the mean pairwise distance needs at least 2 feature rows, got ${n}`,
    );
  }
  let rows = x, m = n;
  if (n > maxSamples) {
    rows = gatherRows(x, new RandomState(seed).choice(n, maxSamples, false), dim);
    m = maxSamples;
  }
  let total = 0;
  forEachSquaredDistanceTile(rows, m, rows, m, dim, (i0, r, j0, c, sq) => {
    // A per-tile partial sum keeps the float64 total accurate over ~10^8 pairs.
    let part = 0;
    for (let di = 0; di < r; di++) {
      const base = di * DISTANCE_TILE;
      for (let dj = i0 === j0 ? di + 1 : 0; dj < c; dj++) part += Math.sqrt(sq[base + dj]);
    }
    total += part;
  }, { symmetric: true });
  return total / ((m * (m - 1)) / 2);
}

/** Copies the rows `idx` of x (row-major, `dim` wide) into a new matrix of the same element type. */
export function gatherRows(x: FeatureRows, idx: Uint32Array, dim: number): FeatureRows {
  const out = x instanceof Float32Array
    ? new Float32Array(idx.length * dim)
    : new Float64Array(idx.length * dim);
  for (let r = 0; r < idx.length; r++) out.set(x.subarray(idx[r] * dim, (idx[r] + 1) * dim), r * dim);
  return out;
}

/** Rejects a feature matrix whose length is not n x dim, or that holds NaN or Infinity. */
export function checkFeatureRows(
  metric: string,
  name: string,
  x: FeatureRows,
  n: number,
  dim: number,
): void {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new UnprocessableError(
      `${metric}_bad_dim`,
      `feature dimension must be a positive integer, got ${dim}`,
    );
  }
  if (!Number.isInteger(n) || n < 0) {
    throw new UnprocessableError(
      `${metric}_bad_count`,
      `${name}: row count must be a non-negative integer, got ${n}`,
    );
  }
  if (x.length !== n * dim) {
    throw new UnprocessableError(
      `${metric}_bad_shape`,
      `${name} have ${x.length} values, expected n x dim = ${n} x ${dim} = ${n * dim}`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new UnprocessableError(
        "features_not_finite",
        `${name} row ${Math.floor(i / dim)}, column ${i % dim} is ${x[i]}; features must be finite`,
      );
    }
  }
}

/** Rejects a maxSamples option that is not an integer >= 2. */
export function checkMaxSamples(metric: string, maxSamples: number): void {
  if (!Number.isInteger(maxSamples) || maxSamples < 2) {
    throw new InvalidInputError(
      `${metric}_bad_max_samples`,
      `maxSamples must be an integer >= 2, got ${maxSamples}`,
    );
  }
}

/**
 * acc[4x4 block at accOff, row stride DISTANCE_TILE] += A-group . B-group over `len` packed features, as
 * two 2x4 halves: 8 accumulators + 6 operands fit x86-64's 16 float registers, where one 4x4 pass spills
 * (measured ~30% slower in V8). The accumulators start from acc's running values, so each dot product is a
 * single sum in feature order.
 */
function dotBlock4x4(
  pa: Float64Array,
  aOff: number,
  pb: Float64Array,
  bOff: number,
  len: number,
  acc: Float64Array,
  accOff: number,
): void {
  dotBlock2x4(pa, aOff, pb, bOff, len, acc, accOff);
  dotBlock2x4(pa, aOff + 2, pb, bOff, len, acc, accOff + 2 * DISTANCE_TILE);
}

/** Rows aOff, aOff + 1 of an interleaved A-group against the four rows of a B-group. */
function dotBlock2x4(
  pa: Float64Array,
  aOff: number,
  pb: Float64Array,
  bOff: number,
  len: number,
  acc: Float64Array,
  accOff: number,
): void {
  const o0 = accOff, o1 = accOff + DISTANCE_TILE;
  let s00 = acc[o0], s01 = acc[o0 + 1], s02 = acc[o0 + 2], s03 = acc[o0 + 3];
  let s10 = acc[o1], s11 = acc[o1 + 1], s12 = acc[o1 + 2], s13 = acc[o1 + 3];
  const end = aOff + 4 * len;
  for (let ia = aOff, ib = bOff; ia < end; ia += 4, ib += 4) {
    const p0 = pa[ia], p1 = pa[ia + 1];
    const q0 = pb[ib], q1 = pb[ib + 1], q2 = pb[ib + 2], q3 = pb[ib + 3];
    s00 += p0 * q0, s01 += p0 * q1, s02 += p0 * q2, s03 += p0 * q3;
    s10 += p1 * q0, s11 += p1 * q1, s12 += p1 * q2, s13 += p1 * q3;
  }
  acc[o0] = s00, acc[o0 + 1] = s01, acc[o0 + 2] = s02, acc[o0 + 3] = s03;
  acc[o1] = s10, acc[o1 + 1] = s11, acc[o1 + 2] = s12, acc[o1 + 3] = s13;
}

/**
 * Packs rows [start, start + rows) minus the centre in groups of four, feature-interleaved:
 * dst[(g * dim + k) * 4 + r] = x[start + 4g + r][k] - centre[k]; rows past the end are zero.
 */
function packRows(
  x: FeatureRows,
  start: number,
  rows: number,
  dim: number,
  centre: Float64Array,
  dst: Float64Array,
): void {
  const groups = Math.ceil(rows / 4);
  for (let g = 0; g < groups; g++) {
    for (let r = 0; r < 4; r++) {
      const row = 4 * g + r;
      let o = g * dim * 4 + r;
      if (row >= rows) {
        for (let k = 0; k < dim; k++, o += 4) dst[o] = 0;
        continue;
      }
      const src = (start + row) * dim;
      for (let k = 0; k < dim; k++, o += 4) dst[o] = x[src + k] - centre[k];
    }
  }
}

/** |x_i - centre|^2 for each row, summed in feature order exactly as dotBlock4x4 sums a dot product. */
function centredSquaredNorms(x: FeatureRows, n: number, dim: number, centre: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) {
      const v = x[row + k] - centre[k];
      s += v * v;
    }
    out[i] = s;
  }
  return out;
}

/** v rounded to `bits` significant bits (0 stays 0). */
function roundToBits(v: number, bits: number): number {
  if (v === 0) return 0;
  const scale = 2 ** (bits - 1 - Math.floor(Math.log2(Math.abs(v))));
  // A subnormal mean overflows the scale; any centre is correct, 0 included.
  return Number.isFinite(scale) ? Math.round(v * scale) / scale : 0;
}
