/** Test data: seeded random feature matrices and an independent two-pass mean/covariance. */
import { mulberry32 } from "../src/stats/mulberry32.ts";
import { encodeNpy } from "../src/tensors/npy.ts";

/** A seeded uniform PRNG (mulberry32): the same seed gives the same data on every machine. */
export const seededRandom: (seed: number) => () => number = mulberry32;

/** n x d float32 features: correlated Gaussian-ish values with a per-seed shift. */
export function randomFeatures(n: number, d: number, seed: number, shift = 0): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const common = r() - 0.5;
    for (let j = 0; j < d; j++) out[i * d + j] = r() + 0.5 * common * ((j % 3) - 1) + shift;
  }
  return out;
}

/** The .npy bytes of a row-major n x d matrix. */
export function npyOf(data: Float32Array | Float64Array, n: number, d: number): Uint8Array {
  return encodeNpy({ dtype: data instanceof Float64Array ? "float64" : "float32", shape: [n, d], data });
}

/** Two-pass mean and covariance (N-1), written plainly, independent of src/stats/moments.ts. */
export function naiveMeanCov(data: ArrayLike<number>, n: number, d: number) {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += data[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        cov[a * d + b] += (data[i * d + a] - mu[a]) * (data[i * d + b] - mu[b]) / (n - 1);
      }
    }
  }
  return { mu, cov };
}
