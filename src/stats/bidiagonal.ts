/**
 * Singular values of a dense matrix without forming B^T B: Golub-Kahan Householder bidiagonalization (LAPACK
 * dgebd2), then implicit-shift QR steps on the bidiagonal (Golub-Kahan SVD steps). Plain TypeScript; src/stats/linalg_wasm.ts runs the same reduction in WebAssembly SIMD, and
 * OpenBLAS's LAPACK (dgesdd) replaces both where it loads.
 *
 * Why not the eigenvalues of B^T B: forming it squares the condition number, so singular values below
 * sqrt(eps) times the largest drown in its rounding (see frechet_core.ts); here every singular value is
 * found to an absolute error of a few eps times the largest.
 *
 * Storage: row-major m x n with m >= n, overwritten. The reduction is memory bound, so each step makes two
 * passes over the trailing block instead of four: the first applies the previous step's right reflector and
 * accumulates this step's w = A^T u, the second applies this step's left reflector and accumulates z = A v.
 */
import { UnprocessableError } from "../errors.ts";

/** Upper bidiagonal form: `diagonal[k]` = B[k][k], `superDiagonal[k]` = B[k][k+1]. */
export interface Bidiagonal {
  readonly diagonal: Float64Array;
  readonly superDiagonal: Float64Array;
}

/**
 * Makes x[start..end) into a Householder vector v (v[start] = 1, stored in place) with
 * (I - tau v v^T) x = beta e_start; returns [tau, beta]. tau = 0 when x is already a multiple of e_start.
 */
export function householderFromFirst(x: Float64Array, start: number, end: number): [number, number] {
  const alpha = x[start];
  let scale = 0;
  for (let k = start + 1; k < end; k++) scale = Math.max(scale, Math.abs(x[k]));
  if (scale === 0) return [0, alpha];
  let ss = 0; // scaled sum of squares: no overflow or underflow whatever the magnitudes
  for (let k = start + 1; k < end; k++) {
    const t = x[k] / scale;
    ss += t * t;
  }
  const norm = Math.hypot(alpha, scale * Math.sqrt(ss));
  const beta = alpha >= 0 ? -norm : norm;
  const inv = 1 / (alpha - beta);
  for (let k = start + 1; k < end; k++) x[k] *= inv;
  x[start] = 1;
  return [(beta - alpha) / beta, beta];
}

/** Reduces the row-major m x n matrix `a` (m >= n; overwritten) to upper bidiagonal form by orthogonal transforms. */
export function bidiagonalize(a: Float64Array, m: number, n: number): Bidiagonal {
  if (m < n) throw new RangeError(`bidiagonalize needs rows >= columns, got ${m} x ${n}`);
  const diagonal = new Float64Array(n);
  const superDiagonal = new Float64Array(Math.max(0, n - 1));
  const u = new Float64Array(m); // left reflector (rows k..m-1)
  const w = new Float64Array(n); // u^T A (columns k+1..n-1)
  const v = new Float64Array(n); // right reflector (columns k+1..n-1)
  const z = new Float64Array(m); // A v (rows k+1..m-1)
  let tauR = 0; // the previous step's right reflector, still to be applied to rows k..m-1 (0: none)
  for (let k = 0; k < n; k++) {
    // Column k with the pending right reflector applied: the next left reflector.
    for (let i = k; i < m; i++) u[i] = a[i * n + k] - tauR * z[i] * v[k];
    const [tauL, betaL] = householderFromFirst(u, k, m);
    diagonal[k] = betaL;
    // Pass 1: finish the pending right update of rows k..m-1 and accumulate w = u^T A.
    w.fill(0, k + 1, n);
    for (let i = k; i < m; i++) {
      const row = i * n;
      if (tauR !== 0) {
        const zi = tauR * z[i];
        for (let j = k + 1; j < n; j++) a[row + j] -= zi * v[j];
      }
      if (tauL !== 0) {
        const ui = u[i];
        for (let j = k + 1; j < n; j++) w[j] += ui * a[row + j];
      }
    }
    tauR = 0;
    if (k === n - 1) break;
    // Row k gets the left update now (u[k] = 1): it holds the next right reflector.
    const rowK = k * n;
    for (let j = k + 1; j < n; j++) v[j] = a[rowK + j] - tauL * w[j];
    const [tauRight, betaR] = householderFromFirst(v, k + 1, n);
    superDiagonal[k] = betaR;
    // Pass 2: the left update of rows k+1..m-1, and z = A v from the fresh values.
    for (let i = k + 1; i < m; i++) {
      const row = i * n;
      const ti = tauL * u[i];
      let dot = 0;
      for (let j = k + 1; j < n; j++) {
        const x = a[row + j] - ti * w[j];
        a[row + j] = x;
        dot += x * v[j];
      }
      z[i] = dot;
    }
    tauR = tauRight;
  }
  return { diagonal, superDiagonal };
}

/** Most implicit QR steps spent per singular value before giving up (LAPACK dbdsqr allows 6 per value). */
const MAX_STEPS_PER_VALUE = 30;

/**
 * Singular values, ascending, of an upper bidiagonal matrix by implicit-shift QR steps on the bidiagonal itself
 * (Golub and Kahan's SVD step, Golub and Van Loan section 8.6): each step is a chain of plane rotations that
 * never forms B^T B, with a Wilkinson shift from the trailing 2 x 2 block of B^T B. Entries below eps ||B|| are
 * set to zero, so every value carries an absolute error of a few eps ||B||. O(n^2). The input is not modified.
 */
export function bidiagonalSingularValues(b: Bidiagonal): Float64Array {
  const n = b.diagonal.length;
  const d = Float64Array.from(b.diagonal);
  const e = new Float64Array(n); // e[i] = B[i][i+1]; e[n-1] stays 0
  e.set(b.superDiagonal.subarray(0, Math.max(0, n - 1)));
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]));
  const tol = Number.EPSILON * norm;
  let steps = 0;
  for (let hi = n - 1; hi > 0;) {
    for (let i = 0; i <= hi; i++) if (Math.abs(d[i]) <= tol) d[i] = 0;
    for (let i = 0; i < hi; i++) {
      if (Math.abs(e[i]) <= tol || Math.abs(e[i]) <= Number.EPSILON * (Math.abs(d[i]) + Math.abs(d[i + 1]))) {
        e[i] = 0;
      }
    }
    if (e[hi - 1] === 0) {
      hi--; // d[hi] is a singular value (up to its sign)
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && e[lo - 1] !== 0) lo--;
    // The block lo..hi is unreduced. A zero on its diagonal splits it after two rotation chains.
    if (d[hi] === 0) {
      chaseColumn(d, e, lo, hi);
      continue;
    }
    const zero = d.subarray(lo, hi).findIndex((v) => v === 0);
    if (zero >= 0) {
      chaseRow(d, e, lo + zero, hi);
      continue;
    }
    if (++steps > MAX_STEPS_PER_VALUE * n) {
      throw new UnprocessableError(
        "svd_no_convergence",
        `the singular value iteration did not converge (${n} values); the matrix may hold NaN or huge values`,
      );
    }
    shiftedQrStep(d, e, lo, hi);
  }
  return Float64Array.from(d, Math.abs).sort();
}

/** One implicit QR step with a Wilkinson shift on the unreduced block lo..hi (hi > lo). */
function shiftedQrStep(d: Float64Array, e: Float64Array, lo: number, hi: number): void {
  // The eigenvalue of the trailing 2 x 2 of B^T B closer to its last entry.
  const a = d[hi - 1] ** 2 + (hi - 1 > lo ? e[hi - 2] ** 2 : 0);
  const bb = d[hi - 1] * e[hi - 1];
  const c2 = d[hi] ** 2 + e[hi - 1] ** 2;
  const half = (a - c2) / 2;
  const mu = c2 - bb * bb / (half + (half >= 0 ? 1 : -1) * Math.hypot(half, bb));
  let y = d[lo] * d[lo] - mu;
  let z = d[lo] * e[lo];
  for (let k = lo; k < hi; k++) {
    // Columns k, k+1: rotate so that (y, z) -> (r, 0); z is the bulge left in row k-1 (or the shift's start).
    let r = Math.hypot(y, z);
    let c = r === 0 ? 1 : y / r, s = r === 0 ? 0 : z / r;
    if (k > lo) e[k - 1] = r;
    const dk = c * d[k] + s * e[k];
    e[k] = c * e[k] - s * d[k];
    const bulge = s * d[k + 1];
    d[k + 1] *= c;
    // Rows k, k+1: rotate the bulge at (k+1, k) into d[k].
    r = Math.hypot(dk, bulge);
    c = r === 0 ? 1 : dk / r;
    s = r === 0 ? 0 : bulge / r;
    d[k] = r;
    const ek = c * e[k] + s * d[k + 1];
    d[k + 1] = c * d[k + 1] - s * e[k];
    e[k] = ek;
    if (k < hi - 1) {
      y = e[k];
      z = s * e[k + 1];
      e[k + 1] *= c;
    }
  }
}

/** d[i] = 0 (i < hi): rotations of rows i and j = i+1..hi move e[i] along row i and out, decoupling row i. */
function chaseRow(d: Float64Array, e: Float64Array, i: number, hi: number): void {
  let f = e[i];
  e[i] = 0;
  for (let j = i + 1; j <= hi && f !== 0; j++) {
    const r = Math.hypot(d[j], f);
    const c = d[j] / r, s = f / r;
    d[j] = r;
    if (j < hi) {
      f = -s * e[j];
      e[j] *= c;
    }
  }
}

/** d[hi] = 0: rotations of columns j = hi-1..lo and hi move e[hi-1] up column hi and out, decoupling it. */
function chaseColumn(d: Float64Array, e: Float64Array, lo: number, hi: number): void {
  let f = e[hi - 1];
  e[hi - 1] = 0;
  for (let j = hi - 1; j >= lo && f !== 0; j--) {
    const r = Math.hypot(d[j], f);
    const c = d[j] / r, s = f / r;
    d[j] = r;
    if (j > lo) {
      f = -s * e[j - 1];
      e[j - 1] *= c;
    }
  }
}

/** Singular values, ascending, of the row-major m x n matrix `a`, which is overwritten. */
export function singularValues(a: Float64Array, m: number, n: number): Float64Array {
  if (m === 0 || n === 0) return new Float64Array(0);
  const tall = m >= n ? a : transposed(a, m, n);
  return bidiagonalSingularValues(bidiagonalize(tall, Math.max(m, n), Math.min(m, n)));
}

/** Sum of the singular values (nuclear norm) of the row-major m x n matrix `a`, which is overwritten. */
export function singularValueSum(a: Float64Array, m: number, n: number): number {
  return sumAscending(singularValues(a, m, n));
}

/** Sum of non-negative values taken smallest first (the accurate order for a decaying spectrum). */
export function sumAscending(sorted: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return sum;
}

/** The transpose (n x m, row-major) of the row-major m x n matrix `a`. */
export function transposed(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}
