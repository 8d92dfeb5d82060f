/**
 * Frechet distance between two Gaussians (FID when they are InceptionV3 feature statistics), as pytorch-fid's
 * calculate_frechet_distance: ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2).
 *
 * The reference side (S1) is factored once (prepareReference, pivoted Cholesky) and the factor is cached;
 * each comparison then factors S2 the same way and sums the singular values of the product of the two factors
 * (src/stats/frechet_core.ts explains the math and why no 1e-6 I offset is needed). Every function takes an
 * optional FrechetLinalg: OpenBLAS's LAPACK where the caller loaded it, else WebAssembly / TypeScript.
 */
import { UnprocessableError } from "../errors.ts";
import {
  type CovarianceFactor,
  factorCovariance,
  factorProductTraceNorm,
  type FrechetLinalg,
  nativeMomentsFactor,
  traceSqrtProduct,
} from "./frechet_core.ts";
import { type Moments, momentsCovariance, momentsMean, packedIndex } from "./moments.ts";

/** Everything the fast path needs about the reference distribution N(mu1, S1). */
export interface ReferenceFactor {
  readonly dim: number;
  readonly mu: Float64Array;
  readonly traceSigma: number;
  /** Numerical rank of S1 (columns kept by the pivoted Cholesky). */
  readonly rank: number;
  /** Pivot order: permuted index a is original index perm[a]. */
  readonly perm: Int32Array;
  /** L^T of P^T S1 P = L L^T: rank x dim row-major, zero below its diagonal. */
  readonly lt: Float64Array;
}

/** Frechet distance between N(mu1, sigma1) and N(mu2, sigma2), as pytorch-fid's calculate_frechet_distance. */
export function frechetDistance(
  mu1: Float64Array,
  sigma1: Float64Array,
  mu2: Float64Array,
  sigma2: Float64Array,
  linalg: FrechetLinalg = {},
): number {
  checkGaussian(mu2, sigma2, "second");
  if (mu1.length !== mu2.length) {
    throw new UnprocessableError(
      "dimension_mismatch",
      `the two distributions have different dimensions: ${mu1.length} and ${mu2.length}`,
    );
  }
  return frechetDistanceFromFactor(prepareReference(mu1, sigma1, linalg), mu2, sigma2, linalg);
}

/** Factors the reference covariance once (the expensive, cacheable half of frechetDistance). */
export function prepareReference(
  mu1: Float64Array,
  sigma1: Float64Array,
  linalg: FrechetLinalg = {},
): ReferenceFactor {
  checkGaussian(mu1, sigma1, "reference");
  const dim = mu1.length;
  const f = factorCovariance(sigma1, dim, linalg);
  return {
    dim,
    mu: Float64Array.from(mu1),
    traceSigma: trace(sigma1, dim),
    rank: f.rank,
    perm: f.perm,
    lt: f.lt,
  };
}

/** Frechet distance between the prepared reference and N(mu2, sigma2); equals frechetDistance. */
export function frechetDistanceFromFactor(
  ref: ReferenceFactor,
  mu2: Float64Array,
  sigma2: Float64Array,
  linalg: FrechetLinalg = {},
): number {
  checkGaussian(mu2, sigma2, "second");
  requireReferenceDim(ref, mu2.length);
  const trSqrt = traceSqrtProduct(referenceCovarianceFactor(ref), sigma2, linalg);
  return distance(ref, mu2, trace(sigma2, ref.dim), trSqrt);
}

/**
 * Frechet distance between the prepared reference and the Gaussian of `moments` (mean, N - 1 covariance):
 * equals frechetDistanceFromFactor of momentsMean and momentsCovariance. With native LAPACK it factors the
 * covariance straight from the packed co-moment (nativeMomentsFactor) and skips checkGaussian's symmetry and
 * semi-definiteness tests, which moments meet by construction: the partial FID's per-batch overhead.
 */
export function frechetDistanceFromMoments(
  ref: ReferenceFactor,
  moments: Moments,
  linalg: FrechetLinalg = {},
): number {
  if (!linalg.native) {
    return frechetDistanceFromFactor(ref, momentsMean(moments), momentsCovariance(moments), linalg);
  }
  requireReferenceDim(ref, moments.dim);
  const mu2 = momentsMean(moments);
  if (moments.n < 2) momentsCovariance(moments); // its error names what is missing
  requireFinite(mu2, "mean");
  requireFinite(moments.comoment, "covariance");
  const dim = ref.dim, scale = 1 / (moments.n - 1);
  let trace2 = 0;
  for (let i = 0; i < dim; i++) trace2 += moments.comoment[packedIndex(i, i, dim)] * scale;
  const trSqrt = ref.rank === 0 ? 0 : factorProductTraceNorm(
    referenceCovarianceFactor(ref),
    nativeMomentsFactor(linalg.native, moments),
    linalg,
  );
  return distance(ref, mu2, trace2, trSqrt);
}

/** ||mu1 - mu2||^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2), given the second mean, tr S2 and tr sqrt(S1 S2). */
function distance(ref: ReferenceFactor, mu2: Float64Array, trace2: number, trSqrt: number): number {
  let meanTerm = 0;
  for (let i = 0; i < ref.dim; i++) {
    const d = ref.mu[i] - mu2[i];
    meanTerm += d * d;
  }
  // A distance is never negative; identical statistics can round to -1e-14, which reads as a bug: clamp at 0.
  return Math.max(0, meanTerm + ref.traceSigma + trace2 - 2 * trSqrt);
}

/** The reference's factor in the form frechet_core's products take. */
function referenceCovarianceFactor(ref: ReferenceFactor): CovarianceFactor {
  return { n: ref.dim, rank: ref.rank, perm: ref.perm, lt: ref.lt };
}

function requireReferenceDim(ref: ReferenceFactor, dim: number): void {
  if (dim !== ref.dim) {
    throw new UnprocessableError(
      "dimension_mismatch",
      `the statistics have dimension ${dim} but the reference has dimension ${ref.dim}`,
    );
  }
}

function requireFinite(values: Float64Array, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new UnprocessableError("non_finite_statistics", `the second ${what} has a non-finite value`);
    }
  }
}

function trace(sigma: Float64Array, dim: number): number {
  let t = 0;
  for (let i = 0; i < dim; i++) t += sigma[i * dim + i];
  return t;
}

/**
 * Tolerated |S_ij - S_ji| relative to the largest |S_ii|. Covariances from BLAS gemm differ in the last bits,
 * and statistics saved as float32 by one ulp (6e-8); a genuinely wrong matrix is off by far more.
 */
const SYMMETRY_TOLERANCE = 1e-6;

/** Rejects statistics that cannot be a Gaussian: wrong sizes, NaN/Infinity, a non-symmetric or indefinite covariance. */
function checkGaussian(mu: Float64Array, sigma: Float64Array, which: string): void {
  const dim = mu.length;
  if (dim === 0) {
    throw new UnprocessableError(
      "empty_statistics",
      `the ${which} mean vector is empty; expected at least 1 dimension`,
    );
  }
  if (sigma.length !== dim * dim) {
    throw new UnprocessableError(
      "covariance_shape_mismatch",
      `the ${which} covariance has ${sigma.length} values but its mean has ${dim} dimensions; ` +
        `expected a ${dim} x ${dim} matrix (${dim * dim} values)`,
    );
  }
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(mu[i])) {
      throw new UnprocessableError(
        "non_finite_statistics",
        `the ${which} mean has a non-finite value at index ${i}`,
      );
    }
  }
  let maxDiag = 0;
  for (let i = 0; i < sigma.length; i++) {
    if (!Number.isFinite(sigma[i])) {
      throw new UnprocessableError(
        "non_finite_statistics",
        `the ${which} covariance has a non-finite value at row ${Math.floor(i / dim)}, column ${i % dim}`,
      );
    }
  }
  for (let i = 0; i < dim; i++) maxDiag = Math.max(maxDiag, Math.abs(sigma[i * dim + i]));
  const tol = SYMMETRY_TOLERANCE * maxDiag;
  // Cheap necessary conditions for positive semi-definiteness (variances >= 0, |correlation| <= 1): an
  // indefinite "covariance" would otherwise be truncated silently by the pivoted Cholesky.
  for (let i = 0; i < dim; i++) {
    if (sigma[i * dim + i] < -tol) {
      throw new UnprocessableError(
        "covariance_not_psd",
        `the ${which} covariance has a negative variance ${sigma[i * dim + i]} at index ${i}; ` +
          `expected a positive semi-definite covariance matrix`,
      );
    }
  }
  // Tile by tile: walking a column of a 2048-wide matrix would miss the cache on every read.
  const T = 32;
  for (let ib = 0; ib < dim; ib += T) {
    for (let jb = 0; jb <= ib; jb += T) {
      for (let i = ib; i < Math.min(ib + T, dim); i++) {
        for (let j = jb; j < Math.min(jb + T, i); j++) {
          const upper = sigma[j * dim + i];
          const lower = sigma[i * dim + j];
          if (Math.abs(lower - upper) > tol) {
            throw new UnprocessableError(
              "covariance_not_symmetric",
              `the ${which} covariance is not symmetric: entry (${i}, ${j}) is ${lower} but (${j}, ${i}) is ` +
                `${upper}; expected a symmetric covariance matrix`,
            );
          }
          const bound = Math.sqrt(Math.max(0, sigma[i * dim + i]) * Math.max(0, sigma[j * dim + j]));
          if (Math.abs(lower) > bound * (1 + SYMMETRY_TOLERANCE) + tol) {
            throw new UnprocessableError(
              "covariance_not_psd",
              `the ${which} covariance is not positive semi-definite: |entry (${i}, ${j})| = ${
                Math.abs(lower)
              } ` +
                `exceeds sqrt(variance ${i} * variance ${j}) = ${bound}`,
            );
          }
        }
      }
    }
  }
}
