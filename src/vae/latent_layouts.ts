/**
 * The latent matrices behind each qualitative grid: evenly spaced values, straight-line paths between two
 * latents, and one-dimension-at-a-time sweeps. Computed in float64, stored as float32 rows (the decoder's input).
 */

import { InvalidInputError } from "../errors.ts";

/** `steps` evenly spaced values from lo to hi, both included (steps >= 2). */
export function linspace(lo: number, hi: number, steps: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 2) {
    throw new InvalidInputError("linspace_bad_steps", `steps must be an integer >= 2, got ${steps}`);
  }
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) out[i] = i === steps - 1 ? hi : lo + (hi - lo) * (i / (steps - 1));
  return out;
}

/** steps x dim rows a + t (b - a) for t evenly spaced in [0, 1]: the first row is a, the last b. */
export function interpolateLatents(a: Float32Array, b: Float32Array, steps: number): Float32Array {
  if (a.length !== b.length) {
    throw new InvalidInputError("latent_length_mismatch", `latents of length ${a.length} and ${b.length}`);
  }
  const d = a.length;
  const ts = linspace(0, 1, steps);
  const out = new Float32Array(steps * d);
  for (let s = 0; s < steps; s++) {
    for (let j = 0; j < d; j++) out[s * d + j] = a[j] + ts[s] * (b[j] - a[j]);
  }
  return out;
}

/**
 * One row of `values.length` latents per dimension in `dims`: the base latent with that one coordinate set to
 * each value in turn (the other coordinates stay as in `base`). Row-major: dims.length * values.length x dim.
 */
export function dimensionSweep(
  base: Float32Array,
  dims: readonly number[],
  values: Float64Array,
): Float32Array {
  const d = base.length;
  for (const k of dims) {
    if (!Number.isInteger(k) || k < 0 || k >= d) {
      throw new InvalidInputError("latent_dim_out_of_range", `dimension ${k} is outside 0..${d - 1}`);
    }
  }
  const out = new Float32Array(dims.length * values.length * d);
  let row = 0;
  for (const k of dims) {
    for (const v of values) {
      out.set(base, row * d);
      out[row * d + k] = v;
      row++;
    }
  }
  return out;
}
