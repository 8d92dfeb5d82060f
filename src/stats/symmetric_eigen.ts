/**
 * Eigenvalues of a dense real symmetric matrix: Householder tridiagonalization, then implicit QL.
 * Eigenvectors are not computed: the Frechet distance needs only eigenvalues (see src/stats/frechet.ts).
 */
import { UnprocessableError } from "../errors.ts";
import { tridiagonalizeLower } from "./householder_tridiagonal.ts";
import { tridiagonalEigenvalues } from "./tridiagonal_ql.ts";
import { type LinalgBackend, withKernels } from "./linalg_wasm.ts";

export type { LinalgBackend };

/**
 * Eigenvalues, ascending, of the symmetric n x n matrix whose LOWER triangle is given in row-major `a`
 * (the strict upper triangle is ignored). `a` is not modified.
 */
export function symmetricEigenvalues(
  a: Float64Array,
  n: number,
  backend: LinalgBackend = "auto",
): Float64Array {
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) {
    throw new UnprocessableError(
      "matrix_shape_mismatch",
      `expected a ${n} x ${n} matrix (${n * n} values), got ${a.length} values`,
    );
  }
  return symmetricEigenvaluesInPlace(Float64Array.from(a), n, backend);
}

/** As symmetricEigenvalues, but uses `a` (lower triangle, n x n row-major) as workspace and overwrites it. */
export function symmetricEigenvaluesInPlace(
  a: Float64Array,
  n: number,
  backend: LinalgBackend = "auto",
): Float64Array {
  const t = withKernels(backend, (k) => k.tridiagonalizeLower(a, n), () => tridiagonalizeLower(a, n));
  return tridiagonalEigenvalues(t.diagonal, t.offDiagonal);
}
