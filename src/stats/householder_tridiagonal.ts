/**
 * Householder reduction of a dense symmetric matrix to tridiagonal form (EISPACK tred1 / LAPACK dsytd2),
 * eigenvalues only: the reflectors are not kept. Plain TypeScript; src/stats/linalg_wasm.ts holds the
 * WebAssembly SIMD version of the same loop, which is the fast path.
 *
 * Storage: row-major n x n Float64Array of which only the LOWER triangle (a[i*n + j], j <= i) is read and
 * written. Working from the last row up, the Householder vector of step i is row i's prefix a[i][0..i-1],
 * which is contiguous in row-major storage, and every pass over the active block walks rows: no strided access.
 *
 * The reduction is memory bound (each step streams the active block), so step i+1's rank-2 update and step
 * i's matrix-vector product are fused into ONE pass over the block: each element is loaded, updated, stored
 * and immediately used for the product. That halves the memory traffic of the textbook two-pass loop.
 */

/** Tridiagonal form: `diagonal[i]`, and `offDiagonal[i]` coupling rows i-1 and i (offDiagonal[0] = 0). */
export interface Tridiagonal {
  readonly diagonal: Float64Array;
  readonly offDiagonal: Float64Array;
}

/**
 * Makes row `i`'s prefix x = a[i][0..i-1] into a Householder vector v (v[i-1] = 1, stored in place) with
 * (I - tau v v^T) x = beta e_{i-1}; returns [tau, beta]. tau = 0 when x is already a multiple of e_{i-1}.
 */
export function householderInRow(a: Float64Array, rowStart: number, len: number): [number, number] {
  const alpha = a[rowStart + len - 1];
  let scale = 0;
  for (let k = 0; k < len - 1; k++) scale = Math.max(scale, Math.abs(a[rowStart + k]));
  if (scale === 0) return [0, alpha];
  // Scaled sum of squares: no overflow/underflow whatever the magnitude of the covariance entries.
  let ss = 0;
  for (let k = 0; k < len - 1; k++) {
    const t = a[rowStart + k] / scale;
    ss += t * t;
  }
  const xnorm = scale * Math.sqrt(ss);
  const norm = Math.hypot(alpha, xnorm);
  const beta = alpha >= 0 ? -norm : norm;
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let k = 0; k < len - 1; k++) a[rowStart + k] *= inv;
  a[rowStart + len - 1] = 1;
  return [tau, beta];
}

/**
 * Reduces the symmetric matrix (lower triangle of `a`, n x n row-major) to tridiagonal form by orthogonal
 * similarity; `a` is overwritten (used as workspace). The eigenvalues of the result are those of the input.
 */
export function tridiagonalizeLower(a: Float64Array, n: number): Tridiagonal {
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(n);
  if (n === 0) return { diagonal, offDiagonal };
  // v: the current Householder vector (a copy, since its row gets reused); w: its rank-2 partner.
  let v = new Float64Array(n);
  let w = new Float64Array(n);
  let vNext = new Float64Array(n);
  let wNext = new Float64Array(n);
  let pending = false; // whether (v, w) of the previous step still has to be applied to rows 0..i-1
  for (let i = n - 1; i >= 1; i--) {
    const row = i * n;
    if (pending) {
      // Bring row i up to date with the previous step's update before it becomes the next reflector.
      const vi = v[i];
      const wi = w[i];
      for (let k = 0; k <= i; k++) a[row + k] -= vi * w[k] + wi * v[k];
    }
    diagonal[i] = a[row + i];
    const [tau, beta] = householderInRow(a, row, i);
    offDiagonal[i] = beta;
    for (let k = 0; k < i; k++) vNext[k] = a[row + k];
    // One pass over rows 0..i-1: apply the pending update, then accumulate p = A vNext from the fresh row.
    const p = wNext;
    p.fill(0, 0, i);
    if (tau !== 0 || pending) {
      for (let j = 0; j < i; j++) {
        const rj = j * n;
        let dot = 0;
        const vj = vNext[j];
        if (pending) {
          const pvj = v[j];
          const pwj = w[j];
          for (let k = 0; k < j; k++) {
            const x = a[rj + k] - (pvj * w[k] + pwj * v[k]);
            a[rj + k] = x;
            dot += x * vNext[k];
            p[k] += x * vj;
          }
          a[rj + j] -= 2 * pvj * pwj;
        } else {
          for (let k = 0; k < j; k++) {
            const x = a[rj + k];
            dot += x * vNext[k];
            p[k] += x * vj;
          }
        }
        p[j] += dot + a[rj + j] * vj;
      }
    }
    if (tau === 0) {
      pending = false;
      continue;
    }
    // w = tau p - (tau^2/2)(v^T p) v, so that A - v w^T - w v^T = H A H.
    let vp = 0;
    for (let k = 0; k < i; k++) vp += vNext[k] * p[k];
    const kfac = 0.5 * tau * tau * vp;
    for (let k = 0; k < i; k++) p[k] = tau * p[k] - kfac * vNext[k];
    // Swap roles: the new (v, w) become pending; old buffers are reused next step.
    [v, vNext] = [vNext, v];
    [w, wNext] = [wNext, w];
    pending = true;
  }
  if (pending) a[0] -= 2 * v[0] * w[0];
  diagonal[0] = a[0];
  return { diagonal, offDiagonal };
}
