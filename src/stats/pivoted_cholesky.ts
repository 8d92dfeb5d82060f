/**
 * Cholesky factorization with diagonal pivoting of a symmetric positive SEMI-definite matrix (LAPACK dpstf2):
 * P^T A P = L L^T with L n x r lower trapezoidal, r the numerical rank. It stops once every remaining pivot is
 * below n * eps * max(diag A) (LAPACK's default tolerance), so a singular covariance (fewer samples than
 * dimensions, constant features, all zeros) gives a shorter factor instead of NaN. What it drops is a PSD
 * remainder whose largest entry is below that tolerance: rounding noise of the input itself.
 */

/** P^T A P ~= L L^T. `perm[a]` is the original index of permuted row a; `lt` is L^T (rank x n, row-major). */
export interface PivotedCholesky {
  readonly n: number;
  readonly rank: number;
  readonly perm: Int32Array;
  /** L^T row-major: lt[i*n + k] = L[k][i], zero for k < i (upper trapezoidal). */
  readonly lt: Float64Array;
}

/** Pivoted Cholesky of the symmetric PSD matrix whose LOWER triangle is given (n x n row-major; not modified). */
export function pivotedCholesky(a: Float64Array, n: number): PivotedCholesky {
  // Full symmetric working copy: rows and columns get swapped as pivots are chosen.
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      w[i * n + j] = a[i * n + j];
      w[j * n + i] = a[i * n + j];
    }
  }
  const perm = new Int32Array(n);
  const residual = new Float64Array(n); // A_ii - sum_k L_ik^2: the diagonal of the remaining Schur complement
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    perm[i] = i;
    residual[i] = w[i * n + i];
    maxDiag = Math.max(maxDiag, residual[i]);
  }
  const tol = n * Number.EPSILON * maxDiag;
  let rank = 0;
  for (let j = 0; j < n; j++) {
    let p = j;
    for (let i = j + 1; i < n; i++) if (residual[i] > residual[p]) p = i;
    if (!(residual[p] > tol)) break;
    if (p !== j) swapSymmetric(w, n, j, p, perm, residual);
    const ljj = Math.sqrt(residual[j]);
    w[j * n + j] = ljj;
    const rj = j * n;
    // Left-looking column j: L[i][j] = (A[i][j] - L[i][0..j) . L[j][0..j)) / L[j][j]; rows are contiguous.
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = w[ri + j];
      for (let k = 0; k < j; k++) s -= w[ri + k] * w[rj + k];
      const lij = s / ljj;
      w[ri + j] = lij;
      residual[i] -= lij * lij;
    }
    rank = j + 1;
  }
  const lt = new Float64Array(rank * n);
  for (let i = 0; i < rank; i++) {
    for (let k = i; k < n; k++) lt[i * n + k] = w[k * n + i];
  }
  return { n, rank, perm, lt };
}

/** Swaps rows j, p and columns j, p of the full symmetric working matrix, with the bookkeeping arrays. */
function swapSymmetric(
  w: Float64Array,
  n: number,
  j: number,
  p: number,
  perm: Int32Array,
  residual: Float64Array,
) {
  const rj = j * n;
  const rp = p * n;
  for (let k = 0; k < n; k++) {
    const t = w[rj + k];
    w[rj + k] = w[rp + k];
    w[rp + k] = t;
  }
  for (let k = 0; k < n; k++) {
    const t = w[k * n + j];
    w[k * n + j] = w[k * n + p];
    w[k * n + p] = t;
  }
  const tp = perm[j];
  perm[j] = perm[p];
  perm[p] = tp;
  const tr = residual[j];
  residual[j] = residual[p];
  residual[p] = tr;
}
