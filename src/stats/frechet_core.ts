/**
 * The numerical core of the Frechet distance: tr sqrt(S1 S2) from a cached pivoted Cholesky factor of S1,
 * through one SYMMETRIC eigenvalue problem.
 *
 * With P^T S1 P = L L^T (L n x r), S1 S2 = P L L^T P^T S2 has the same nonzero eigenvalues as
 * M = L^T (P^T S2 P) L, which is symmetric positive semi-definite. So tr sqrt(S1 S2) = sum_i sqrt(lambda_i(M)).
 * Symmetric eigenvalues are well conditioned (perturbation <= ||E||), whereas scipy.linalg.sqrtm on the
 * non-symmetric S1 S2 (pytorch-fid) can blow up for singular products. That is why pytorch-fid needs its
 * "add 1e-6 I when sqrtm is not finite" fallback and we do not: M's eigenvalues are always finite, negative
 * and noise-level ones (rounding) count as 0, and a singular S1 just gives a factor with r < n columns.
 */
import { pivotedCholesky } from "./pivoted_cholesky.ts";
import { permuteSymmetric, triangularCongruence } from "./triangular_congruence.ts";
import { symmetricEigenvaluesInPlace } from "./symmetric_eigen.ts";
import { type LinalgBackend, withKernels } from "./linalg_wasm.ts";

/** S1 = P L L^T P^T in the form the fast path consumes (see PivotedCholesky). */
export interface CovarianceFactor {
  readonly n: number;
  readonly rank: number;
  readonly perm: Int32Array;
  /** L^T, rank x n row-major, zero below its diagonal. */
  readonly lt: Float64Array;
}

/** Pivoted Cholesky factor of the symmetric PSD covariance `sigma` (n x n row-major; lower triangle read). */
export function factorCovariance(
  sigma: Float64Array,
  n: number,
  backend: LinalgBackend = "auto",
): CovarianceFactor {
  return withKernels(backend, (k) => k.pivotedCholesky(sigma, n), () => pivotedCholesky(sigma, n));
}

/** tr sqrt(S1 S2) = sum of sqrt(max(0, eigenvalues of L^T P^T S2 P L)) for the factor of S1. */
export function traceSqrtProduct(
  factor: CovarianceFactor,
  sigma2: Float64Array,
  backend: LinalgBackend = "auto",
): number {
  const { n, rank, perm, lt } = factor;
  if (rank === 0) return 0;
  const sp = permuteSymmetric(sigma2, n, perm);
  const m = withKernels(
    backend,
    (k) => k.triangularCongruence(lt, rank, sp, n),
    () => triangularCongruence(lt, rank, sp, n),
  );
  const eig = symmetricEigenvaluesInPlace(m, rank, backend);
  // Eigenvalues below rank * eps * lambda_max are rounding noise of the reduction (a singular S2, e.g. fewer
  // samples than dimensions, leaves ~rank - rank(S2) of them, of either sign). Their square roots are NOT
  // small (sqrt(1e-16) = 1e-8 each, times ~1000 of them), so they are dropped along with negative ones; a true
  // eigenvalue that small could not have been resolved from the noise anyway.
  const cutoff = rank * Number.EPSILON * Math.max(0, eig[eig.length - 1]);
  let sum = 0;
  // Ascending order: adding the small ones first keeps the sum accurate.
  for (let i = 0; i < eig.length; i++) if (eig[i] > cutoff) sum += Math.sqrt(eig[i]);
  return sum;
}
