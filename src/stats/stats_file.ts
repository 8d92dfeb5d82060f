/** pytorch-fid / clean-fid statistics files: an .npz holding mu (D) and sigma (D x D). */
import { UnprocessableError } from "../errors.ts";
import type { NdArray } from "../tensors/ndarray.ts";
import { parseNpz } from "../tensors/npz.ts";

/** Gaussian statistics read from a stats file (sigma full, row-major, exactly symmetric). */
export interface GaussianStats {
  dim: number;
  mu: Float64Array;
  sigma: Float64Array;
}

/** mu and sigma of a statistics file's arrays, checked for presence, dtype and shape. */
function statsShapes(arrays: Map<string, NdArray>): { dim: number; mu: NdArray; sigma: NdArray } {
  const mu = arrays.get("mu"), sigma = arrays.get("sigma");
  if (!mu || !sigma) {
    throw new UnprocessableError(
      "stats_missing_arrays",
      `a statistics .npz needs arrays "mu" and "sigma"; found ${
        [...arrays.keys()].map((k) => `"${k}"`).join(", ") || "none"
      }`,
    );
  }
  if (mu.dtype === "uint8" || sigma.dtype === "uint8") {
    throw new UnprocessableError("stats_bad_dtype", "mu and sigma must be float32 or float64");
  }
  if (mu.shape.length !== 1 || mu.shape[0] < 1) {
    throw new UnprocessableError(
      "stats_bad_shape",
      `mu must be 1-D with D >= 1 entries; got shape (${mu.shape.join(", ")})`,
    );
  }
  const dim = mu.shape[0];
  if (sigma.shape.length !== 2 || sigma.shape[0] !== dim || sigma.shape[1] !== dim) {
    throw new UnprocessableError(
      "stats_bad_shape",
      `sigma must be D x D = ${dim} x ${dim} to match mu; got shape (${sigma.shape.join(", ")})`,
    );
  }
  return { dim, mu, sigma };
}

/** mu as float64, refusing NaN/Inf. */
function finiteMu(mu: NdArray): Float64Array {
  const m = Float64Array.from(mu.data);
  if (m.some((v) => !Number.isFinite(v))) {
    throw new UnprocessableError("stats_not_finite", "mu contains NaN or Inf");
  }
  return m;
}

/**
 * Visits the upper triangle of sigma (a <= b) with the average of s[a][b] and s[b][a], after checking every entry
 * is finite and sigma symmetric within 1e-6 of its largest entry (files written in float32 are off by rounding).
 */
function symmetricUpper(
  sigma: ArrayLike<number>,
  dim: number,
  visit: (a: number, b: number, v: number) => void,
) {
  let scale = 0, asym = 0;
  for (let i = 0; i < dim * dim; i++) {
    const v = sigma[i];
    if (!Number.isFinite(v)) throw new UnprocessableError("stats_not_finite", "sigma contains NaN or Inf");
    scale = Math.max(scale, Math.abs(v));
  }
  for (let a = 0; a < dim; a++) {
    visit(a, a, sigma[a * dim + a]);
    for (let b = a + 1; b < dim; b++) {
      const x = sigma[a * dim + b], y = sigma[b * dim + a];
      asym = Math.max(asym, Math.abs(x - y));
      visit(a, b, (x + y) / 2);
    }
  }
  if (asym > 1e-6 * scale) {
    throw new UnprocessableError("stats_not_symmetric", `sigma is not symmetric (max |S - S^T| = ${asym})`);
  }
}

/** Validates and reads mu and sigma from the arrays of an .npz; sigma is symmetrized after a tolerance check. */
export function readStatsArrays(arrays: Map<string, NdArray>): GaussianStats {
  const { dim, mu, sigma } = statsShapes(arrays);
  const m = finiteMu(mu);
  const s = new Float64Array(dim * dim);
  symmetricUpper(sigma.data, dim, (a, b, v) => {
    s[a * dim + b] = v;
    s[b * dim + a] = v;
  });
  return { dim, mu: m, sigma: s };
}

/** The arrays of a pytorch-fid compatible statistics file (float64). */
export function statsArrays(mu: Float64Array, sigma: Float64Array): Record<string, NdArray> {
  const dim = mu.length;
  return {
    mu: { dtype: "float64", shape: [dim], data: mu },
    sigma: { dtype: "float64", shape: [dim, dim], data: sigma },
  };
}

/** Statistics ready to store: mu, and sigma as its packed upper triangle. */
export interface PackedStats {
  dim: number;
  mu: Float64Array;
  sigmaPacked: Float64Array;
}

/**
 * Reads a statistics .npz (at most maxUncompressedBytes inflated) into mu and packed sigma, straight from the
 * file's values: no full float64 copy of sigma (128 MiB at D = 4096) is made on the way.
 */
export function readStatsFile(bytes: Uint8Array, maxUncompressedBytes: number): PackedStats {
  const { dim, mu, sigma } = statsShapes(parseNpz(bytes, { maxUncompressedBytes }));
  const m = finiteMu(mu);
  const packed = new Float64Array((dim * (dim + 1)) / 2);
  let p = 0;
  symmetricUpper(sigma.data, dim, (_a, _b, v) => (packed[p++] = v));
  return { dim, mu: m, sigmaPacked: packed };
}
