/**
 * Feature matrices as the distance-based metrics see them (PRDC, k-NN radii, mean pairwise distance): input
 * checks, row sampling, and the one definition of a squared Euclidean distance that every path agrees on.
 *
 * Distances are |a|^2 + |b|^2 - 2 a.b in float64 after translating every row by a common centre (distances do
 * not change; a large common offset would otherwise cancel catastrophically). The EXACT value of a pair is
 * defined as that formula with the norms and the dot product each summed in feature order, feature 0 upwards:
 * identical rows are then exactly 0 apart and equal distances stay equal, and ties decide PRDC's strict
 * inequalities. Fast Gram products (BLAS, SIMD) sum in other orders; src/stats/prdc_counts.ts uses them only
 * where a bound on that difference (squaredDistanceSlack) shows they cannot change a comparison, and
 * recomputes the exact value where they could.
 */
import { InvalidInputError, UnprocessableError } from "../errors.ts";

/** A row-major N x D feature matrix as the API accepts it. */
export type FeatureRows = Float32Array | Float64Array;

/** Significant bits kept in each centre coordinate (see distanceCentre). */
const CENTRE_BITS = 8;

/**
 * The translation applied before measuring distances: the per-feature mean of the rows, each rounded to 8
 * significant bits. Rounding makes x - centre exact for float32 and integer-valued features, so centring never
 * breaks a tie; 8 bits are plenty to remove a common offset.
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

/** Rows `idx` of x (all rows when idx is null) minus the centre, as a new float64 matrix. */
export function centredRows(
  x: FeatureRows,
  idx: Uint32Array | null,
  n: number,
  dim: number,
  centre: Float64Array,
): Float64Array {
  const out = new Float64Array(n * dim);
  for (let r = 0; r < n; r++) {
    const src = (idx ? idx[r] : r) * dim, dst = r * dim;
    for (let k = 0; k < dim; k++) out[dst + k] = x[src + k] - centre[k];
  }
  return out;
}

/** |a_i|^2 of each row of a centred matrix, summed in feature order. */
export function squaredNorms(a: Float64Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    let s = 0;
    for (let k = 0; k < dim; k++) s += a[row + k] * a[row + k];
    out[i] = s;
  }
  return out;
}

/** The exact squared distance (see above) between centred rows a[i] and b[j] with norms ni and nj. */
export function exactSquaredDistance(
  a: Float64Array,
  i: number,
  b: Float64Array,
  j: number,
  dim: number,
  ni: number,
  nj: number,
): number {
  let dot = 0;
  const ai = i * dim, bj = j * dim;
  for (let k = 0; k < dim; k++) dot += a[ai + k] * b[bj + k];
  const v = ni + nj - 2 * dot;
  return v > 0 ? v : 0;
}

/** The squared distance from a Gram product g of centred rows with norms ni and nj (clamped at 0). */
export function gramSquaredDistance(ni: number, nj: number, g: number): number {
  const v = ni + nj - 2 * g;
  return v > 0 ? v : 0;
}

/**
 * A bound on |gramSquaredDistance(ni, nj, g) - exactSquaredDistance(...)| for any g summed in any order over
 * `dim` features: each dot product is within dim * eps/2 * |a| |b| <= dim * eps/2 * (ni + nj) / 2 of the true
 * one, so the two differ by at most (2 dim + 8) eps/2 (ni + nj); doubled for safety.
 */
export function squaredDistanceSlack(dim: number, ni: number, nj: number): number {
  return (4 * dim + 16) * 2 ** -53 * (ni + nj);
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

/** v rounded to `bits` significant bits (0 stays 0). */
function roundToBits(v: number, bits: number): number {
  if (v === 0) return 0;
  const scale = 2 ** (bits - 1 - Math.floor(Math.log2(Math.abs(v))));
  // A subnormal mean overflows the scale; any centre is correct, 0 included.
  return Number.isFinite(scale) ? Math.round(v * scale) / scale : 0;
}
