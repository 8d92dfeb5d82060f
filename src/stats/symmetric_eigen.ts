/**
 * Eigenvalues of a symmetric positive semi-definite matrix (the Vendi score's D x D second moment): LAPACK's
 * dsyevd where a native library is passed in; else its singular values, which for a PSD matrix are its
 * eigenvalues, from the Golub-Kahan bidiagonalization and implicit-shift QR that FID's fallback already runs
 * (WebAssembly SIMD, or plain TypeScript). Reusing that SVD costs about twice the flops of a tridiagonal
 * reduction but needs no second fallback solver; eigenvalues that rounding pushed below zero come back as their
 * magnitudes (a few eps times the largest), which is harmless where they are used.
 */
import { singularValues } from "./bidiagonal.ts";
import type { FrechetLinalg } from "./frechet_core.ts";
import { withKernels } from "./linalg_wasm.ts";
import { InvalidInputError } from "../errors.ts";

/** Eigenvalues, ascending, of the symmetric PSD n x n row-major `a` (both triangles held; `a` not modified). */
export function psdEigenvalues(a: Float64Array, n: number, linalg: FrechetLinalg = {}): Float64Array {
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) {
    throw new InvalidInputError(
      "matrix_shape_mismatch",
      `expected a ${n} x ${n} matrix (${n * n} values), got ${a.length} values`,
    );
  }
  if (linalg.native) return linalg.native.symmetricEigenvalues(n, a.slice(), n);
  return withKernels(
    linalg.backend ?? "auto",
    (k) => k.singularValues(a.slice(), n, n),
    () => singularValues(a.slice(), n, n),
  );
}
