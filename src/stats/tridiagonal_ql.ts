/**
 * Eigenvalues of a symmetric tridiagonal matrix by the implicit QL method with Wilkinson-type shifts
 * (EISPACK tql1). O(n^2): negligible next to the O(n^3) reduction that produces the tridiagonal matrix.
 */
import { UnprocessableError } from "../errors.ts";

/** Most QL sweeps spent on one eigenvalue before giving up (EISPACK uses 30; convergence is cubic). */
const MAX_SWEEPS_PER_EIGENVALUE = 60;

/**
 * Eigenvalues, ascending, of the symmetric tridiagonal matrix with diagonal `diagonal` (length n) and
 * sub-diagonal `offDiagonal` (length n; entry i couples rows i-1 and i, entry 0 is ignored). Inputs are not modified.
 */
export function tridiagonalEigenvalues(diagonal: Float64Array, offDiagonal: Float64Array): Float64Array {
  const n = diagonal.length;
  const d = Float64Array.from(diagonal);
  // e[i] couples rows i and i+1 in the loop below; shifting once keeps the QL indexing simple.
  const e = new Float64Array(n);
  for (let i = 1; i < n; i++) e[i - 1] = offDiagonal[i];
  const eps = Number.EPSILON;
  for (let l = 0; l < n; l++) {
    let sweeps = 0;
    for (;;) {
      // Find the first negligible off-diagonal at or below l: the block l..m is unreduced.
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= eps * dd) break;
      }
      if (m === l) break;
      if (++sweeps > MAX_SWEEPS_PER_EIGENVALUE) {
        throw new UnprocessableError(
          "eigen_no_convergence",
          `symmetric eigenvalue iteration did not converge for eigenvalue ${l} of ${n}; the matrix may hold NaN or huge values`,
        );
      }
      // Shift from the leading 2x2 block (Wilkinson), applied implicitly by a chain of plane rotations.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // The rotation chain broke: deflate here and start again.
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d.sort();
}
