/**
 * Seeded draws from the prior N(0, I). The stream is numpy's legacy one, so a Python user can recreate the
 * exact latents fidstream decoded: `np.random.RandomState(seed).standard_normal((n, latent_dim))`
 * (equal up to the last bit of log/sqrt, then rounded to float32 here).
 */

import { InvalidInputError } from "../errors.ts";
import { RandomState } from "../stats/numpy_random.ts";

/** numpy's legacy Gaussian generator (polar Box-Muller, the second value of each pair cached for the next call). */
export class LegacyGaussian {
  readonly #rng: RandomState;
  #cached: number | undefined;

  /** A generator seeded like `np.random.RandomState(seed)`. */
  constructor(seed: number) {
    this.#rng = new RandomState(seed);
  }

  /** The next standard normal value, as `RandomState.standard_normal()` returns it. */
  next(): number {
    if (this.#cached !== undefined) {
      const v = this.#cached;
      this.#cached = undefined;
      return v;
    }
    let x1: number, x2: number, r2: number;
    do {
      x1 = 2 * this.#rng.randomSample() - 1;
      x2 = 2 * this.#rng.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt(-2 * Math.log(r2) / r2);
    this.#cached = f * x1;
    return f * x2;
  }
}

/** n x dim row-major float32 prior samples: row i is the i-th latent of `standard_normal((n, dim))`. */
export function priorSamples(seed: number, n: number, dim: number): Float32Array {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(dim) || dim < 1) {
    throw new InvalidInputError(
      "prior_bad_shape",
      `prior samples need n >= 0 and dim >= 1, got ${n} x ${dim}`,
    );
  }
  const g = new LegacyGaussian(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = g.next();
  return out;
}
