/**
 * The level-3 BLAS and LAPACK operations the statistics use when a native library is passed in (OpenBLAS,
 * bound in src/native/openblas.ts). Only types live here, so src/stats can name them without loading anything.
 *
 * BLAS calls take row-major matrices (CBLAS order). LAPACK calls take column-major ones, as LAPACK does; the
 * callers pick layouts where a transpose costs nothing (a symmetric matrix is its own transpose, and the
 * singular values of a matrix are those of its transpose).
 */

/** A row-major GEMM: (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc). */
export type Gemm<T> = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: T,
  lda: number,
  b: T,
  ldb: number,
  beta: number,
  c: T,
  ldc: number,
) => void;

/** A row-major SYRK writing the upper triangle: (n, k, alpha, a, lda, beta, c, ldc). */
export type Syrk<T> = (
  n: number,
  k: number,
  alpha: number,
  a: T,
  lda: number,
  beta: number,
  c: T,
  ldc: number,
) => void;

/** Native float32/float64 matrix products and factorizations on typed arrays (views are honoured). */
export interface NativeLinalg {
  /** C = alpha op(A) op(B) + beta C, row-major float64; op transposes when its flag is set. */
  dgemm: Gemm<Float64Array>;
  /** As dgemm, in float32 (float32 accumulation, as OpenBLAS's sgemm). */
  sgemm: Gemm<Float32Array>;
  /** Upper triangle (row-major, j >= i) of C = alpha A A^T + beta C for A n x k row-major; the rest untouched. */
  dsyrk: Syrk<Float64Array>;
  /** As dsyrk, in float32. */
  ssyrk: Syrk<Float32Array>;
  /**
   * B = A^T B in place, column-major: A m x m lower triangular (its strict upper triangle is not read), B m x n.
   */
  dtrmmLowerTransposedLeft(
    m: number,
    n: number,
    a: Float64Array,
    lda: number,
    b: Float64Array,
    ldb: number,
  ): void;
  /**
   * LAPACK dpstrf, column-major: P^T A P = L L^T for the symmetric positive semi-definite n x n A whose lower
   * triangle is read (L overwrites it; the strict upper triangle keeps what it held). Stops once every remaining
   * pivot is at most `tol`. Returns the rank and the pivot order (0-based: permuted index a is original perm[a]).
   */
  pivotedCholesky(n: number, a: Float64Array, lda: number, tol: number): { rank: number; perm: Int32Array };
  /** Singular values, descending, of the m x n column-major matrix `a` (LAPACK dgesdd; `a` is destroyed). */
  singularValues(m: number, n: number, a: Float64Array, lda: number): Float64Array;
  /**
   * Eigenvalues, ascending, of the symmetric n x n column-major matrix `a` whose lower triangle is read (LAPACK
   * dsyevd, eigenvalues only; `a` is destroyed). A symmetric row-major matrix is the same buffer.
   */
  symmetricEigenvalues(n: number, a: Float64Array, lda: number): Float64Array;
  /**
   * Runs fn with the library using `threads` threads, then goes back to one. OpenBLAS keeps this setting for the
   * whole process, so only code that owns the process's cores for a while (a finalize) should raise it.
   */
  withThreads<T>(threads: number, fn: () => T): T;
}
