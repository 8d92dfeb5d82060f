/**
 * The published recipes of the Vendi score and CMMD written out pair by pair in float64, independent of
 * src/stats: what the stats tests and the HTTP tests compare the service's numbers with.
 */
import { jacobiEigenvalues } from "../stats/linalg_oracles.ts";

/** dgm-eval's compute_vendi_score(X, q=1, normalize=True, kernel="linear"), on the n x n side. */
export function vendiOracle(x: ArrayLike<number>, n: number, d: number): number {
  const rows = Array.from({ length: n }, (_, i) => {
    const r = Array.from({ length: d }, (_, j) => x[i * d + j]);
    const norm = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
    return r.map((v) => (norm === 0 ? 0 : v / norm)); // sklearn keeps zero rows at zero
  });
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) k[i * n + j] = rows[i].reduce((s, v, t) => s + v * rows[j][t], 0) / n;
  }
  let h = 0;
  for (const v of jacobiEigenvalues(k, n)) if (v > 0) h -= v * Math.log(v);
  return Math.exp(h);
}

/** google-research/cmmd's estimator: 1000 (mean K(x,x') + mean K(y,y') - 2 mean K(x,y)), every pair, sigma 10. */
export function cmmdOracle(
  x: ArrayLike<number>,
  nx: number,
  y: ArrayLike<number>,
  ny: number,
  d: number,
): number {
  const meanK = (a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number) => {
    let s = 0;
    for (let i = 0; i < na; i++) {
      for (let j = 0; j < nb; j++) {
        let d2 = 0;
        for (let k = 0; k < d; k++) d2 += (a[i * d + k] - b[j * d + k]) ** 2;
        s += Math.exp(-d2 / (2 * 10 ** 2));
      }
    }
    return s / (na * nb);
  };
  return 1000 * (meanK(x, nx, x, nx) + meanK(y, ny, y, ny) - 2 * meanK(x, nx, y, ny));
}

/** n x d rows of unit length times `scale` (CLIP embeddings are uploaded normalised). */
export function unitEmbeddings(
  random: (n: number, d: number, seed: number, shift: number) => Float32Array,
  n: number,
  d: number,
  seed: number,
  shift: number,
  scale = 1,
): Float32Array {
  const x = random(n, d, seed, shift);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] ** 2;
    for (let j = 0; j < d; j++) x[i * d + j] *= scale / Math.sqrt(s);
  }
  return x;
}
