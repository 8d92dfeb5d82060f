/** pytorch-fid / clean-fid statistics files: an .npz holding mu (D) and sigma (D x D). */
import { UnprocessableError } from "../errors.ts";
import type { NdArray } from "../tensors/ndarray.ts";

/** Gaussian statistics read from a stats file (sigma full, row-major, exactly symmetric). */
export interface GaussianStats {
  dim: number;
  mu: Float64Array;
  sigma: Float64Array;
}

/** Validates and reads mu and sigma from the arrays of an .npz; sigma is symmetrized after a tolerance check. */
export function readStatsArrays(arrays: Map<string, NdArray>): GaussianStats {
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
  const m = Float64Array.from(mu.data), s = Float64Array.from(sigma.data);
  const bad = [m, s].findIndex((a) => a.some((v) => !Number.isFinite(v)));
  if (bad >= 0) {
    throw new UnprocessableError("stats_not_finite", `${bad ? "sigma" : "mu"} contains NaN or Inf`);
  }
  let scale = 0, asym = 0;
  for (let i = 0; i < dim * dim; i++) scale = Math.max(scale, Math.abs(s[i]));
  for (let a = 0; a < dim; a++) {
    for (let b = a + 1; b < dim; b++) {
      const x = s[a * dim + b], y = s[b * dim + a];
      asym = Math.max(asym, Math.abs(x - y));
      s[a * dim + b] = s[b * dim + a] = (x + y) / 2;
    }
  }
  if (asym > 1e-6 * scale) {
    throw new UnprocessableError("stats_not_symmetric", `sigma is not symmetric (max |S - S^T| = ${asym})`);
  }
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
