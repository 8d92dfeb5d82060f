/**
 * M = L^T (P^T S P) L for a pivoted Cholesky factor P^T S1 P = L L^T and a symmetric S: the symmetric PSD
 * matrix whose eigenvalues are those of S1 S (see src/stats/frechet.ts). Plain TypeScript; the WebAssembly
 * SIMD version in src/stats/linalg_wasm.ts is the fast path.
 *
 * Cost at full rank: W^T = L^T S' takes n^3/2 multiply-adds (row i of L^T is zero before column i) and the
 * lower triangle of M = L^T W another n^3/6, against 2 n^3 for a plain B^T S B with a dense B.
 */

/** P^T S P from full symmetric S (n x n row-major), symmetrized as (S + S^T)/2 so rounding asymmetry cannot leak in. */
export function permuteSymmetric(
  s: Float64Array,
  n: number,
  perm: Int32Array,
  out = new Float64Array(n * n),
) {
  // Row gather first: each source row is read whole (random order within one row stays in cache).
  for (let a = 0; a < n; a++) {
    const pa = perm[a] * n;
    const oa = a * n;
    for (let b = 0; b < n; b++) out[oa + b] = s[pa + perm[b]];
  }
  // Then average with the transpose tile by tile: a plain column walk would miss the cache on every read.
  const T = 32;
  for (let ib = 0; ib < n; ib += T) {
    const iEnd = Math.min(ib + T, n);
    for (let jb = 0; jb <= ib; jb += T) {
      for (let i = ib; i < iEnd; i++) {
        const jEnd = Math.min(jb + T, i);
        for (let j = jb; j < jEnd; j++) {
          const avg = 0.5 * (out[i * n + j] + out[j * n + i]);
          out[i * n + j] = avg;
          out[j * n + i] = avg;
        }
      }
    }
  }
  return out;
}

/**
 * Lower triangle (r x r row-major; the strict upper triangle is left zero) of M = lt * sp * lt^T, where `lt`
 * is r x n upper trapezoidal (row i zero before column i) and `sp` is n x n symmetric.
 */
export function triangularCongruence(lt: Float64Array, r: number, sp: Float64Array, n: number): Float64Array {
  // wt = lt * sp (r x n): row i is a combination of rows i..n-1 of sp.
  const wt = new Float64Array(r * n);
  for (let i = 0; i < r; i++) {
    const ri = i * n;
    for (let k = i; k < n; k++) {
      const f = lt[ri + k];
      if (f === 0) continue;
      const rk = k * n;
      for (let c = 0; c < n; c++) wt[ri + c] += f * sp[rk + c];
    }
  }
  // M[i][j] = lt[i] . wt[j] over k >= i (lt[i] is zero before i).
  const m = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = i; k < n; k++) s += lt[ri + k] * wt[rj + k];
      m[i * r + j] = s;
    }
  }
  return m;
}
