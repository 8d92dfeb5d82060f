import assert from "node:assert/strict";
import {
  frechetDistance,
  frechetDistanceFromFactor,
  frechetDistanceFromMoments,
  prepareReference,
} from "../../src/stats/frechet.ts";
import { decodeReferenceFactor, encodeReferenceFactor } from "../../src/stats/reference_factor_codec.ts";
import { factorCovariance, traceSqrtProduct } from "../../src/stats/frechet_core.ts";
import { UnprocessableError } from "../../src/errors.ts";
import { loadOpenBlas } from "../../src/native/openblas.ts";
import { batchMoments, momentsCovariance, momentsMean } from "../../src/stats/moments.ts";
import type { FrechetLinalg } from "../../src/stats/frechet_core.ts";
import {
  covariance,
  denmanBeaversSqrt,
  jacobiEigenvalues,
  jacobiSingularValues,
  matmul,
  normal,
  randomMatrix,
  relDiff,
  transpose,
  withSpectrum,
} from "./linalg_oracles.ts";

const f64 = (xs: number[]) => Float64Array.from(xs);

function diagonal(values: number[]): Float64Array {
  const n = values.length;
  const s = new Float64Array(n * n);
  values.forEach((v, i) => (s[i * n + i] = v));
  return s;
}

function trace(s: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += s[i * n + i];
  return t;
}

function meanTerm(a: Float64Array, b: Float64Array): number {
  return a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0);
}

/** Statistics of `samples` Gaussian samples in `dim` dimensions with per-feature scales decaying like real features. */
function sampleStats(samples: number, dim: number, seed: number) {
  const x = randomMatrix(samples, dim, seed);
  const mix = randomMatrix(dim, dim, seed + 1);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) mix[i * dim + j] *= Math.exp(-j / 8);
  const y = matmul(x, mix, samples, dim, dim);
  const g = normal(seed + 2);
  for (let s = 0; s < samples; s++) for (let j = 0; j < dim; j++) y[s * dim + j] += 0.3 * g();
  return covariance(y, samples, dim);
}

Deno.test("1-D Frechet distance is (mu1 - mu2)^2 + (s1 - s2)^2 with s the standard deviations", () => {
  for (const [m1, s1, m2, s2] of [[0, 1, 0, 1], [1.5, 2, -0.5, 3], [10, 0.1, 10, 7], [0, 0, 3, 2]]) {
    const got = frechetDistance(f64([m1]), f64([s1 * s1]), f64([m2]), f64([s2 * s2]));
    const want = (m1 - m2) ** 2 + (s1 - s2) ** 2;
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, want), `${[m1, s1, m2, s2]}: ${got} vs ${want}`);
  }
});

Deno.test("Frechet distance of diagonal covariances is |dmu|^2 + sum (sqrt a - sqrt b)^2, zeros included", () => {
  const a = [4, 1, 0.25, 9, 0, 2, 0];
  const b = [1, 1, 4, 0.01, 3, 0, 0];
  const mu1 = f64([1, 2, 3, 4, 5, 6, 7]);
  const mu2 = f64([1, 0, 3, 4.5, 5, 6, -7]);
  const want = meanTerm(mu1, mu2) + a.reduce((s, x, i) => s + (Math.sqrt(x) - Math.sqrt(b[i])) ** 2, 0);
  const got = frechetDistance(mu1, diagonal(a), mu2, diagonal(b));
  assert.ok(relDiff(got, want) <= 1e-12, `${got} vs ${want}`);
});

Deno.test("2x2 Frechet distance matches tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) for M = S1 S2", () => {
  const cases: [number[], number[]][] = [
    [[2, 0.5, 0.5, 1], [1, -0.3, -0.3, 3]],
    [[1e-3, 0, 0, 5], [7, 2, 2, 1]],
    [[4, 3.9, 3.9, 4], [1, 0, 0, 1]],
  ];
  for (const [s1, s2] of cases) {
    const m = matmul(f64(s1), f64(s2), 2, 2, 2);
    const trM = m[0] + m[3];
    const detM = m[0] * m[3] - m[1] * m[2];
    const trSqrt = Math.sqrt(trM + 2 * Math.sqrt(detM));
    const mu1 = f64([0.5, -1]);
    const mu2 = f64([0, 2]);
    const want = meanTerm(mu1, mu2) + s1[0] + s1[3] + s2[0] + s2[3] - 2 * trSqrt;
    const got = frechetDistance(mu1, f64(s1), mu2, f64(s2));
    assert.ok(relDiff(got, want) <= 1e-10, `${s1} ${s2}: ${got} vs ${want}`);
  }
});

Deno.test("random 10-60 dim Frechet distances match a Denman-Beavers square root of S1 S2", () => {
  for (const dim of [10, 23, 41, 60]) {
    const a = sampleStats(dim * 3, dim, dim);
    const b = sampleStats(dim * 2, dim, dim + 500);
    const root = denmanBeaversSqrt(matmul(a.sigma, b.sigma, dim, dim, dim), dim);
    const want = meanTerm(a.mu, b.mu) + trace(a.sigma, dim) + trace(b.sigma, dim) - 2 * trace(root, dim);
    const got = frechetDistance(a.mu, a.sigma, b.mu, b.sigma);
    assert.ok(relDiff(got, want) <= 1e-9, `dim=${dim}: ${got} vs ${want}`);
    const gotTs = meanTerm(a.mu, b.mu) + trace(a.sigma, dim) + trace(b.sigma, dim) -
      2 * traceSqrtProduct(factorCovariance(a.sigma, dim), b.sigma, { backend: "ts" });
    assert.ok(relDiff(gotTs, want) <= 1e-9, `dim=${dim} (TypeScript fallback): ${gotTs} vs ${want}`);
  }
});

Deno.test("rank-deficient S1 (fewer samples than dimensions) gives the finite value from eig(A^T S2 A)", () => {
  // S1 = A A^T with A dim x k: tr sqrt(S1 S2) = sum sqrt(eig(A^T S2 A)), a k x k symmetric problem.
  const dim = 30;
  for (const k of [1, 5, 29]) {
    const a = randomMatrix(dim, k, k);
    const s1 = matmul(a, transpose(a, dim, k), dim, k, dim);
    const s2 = sampleStats(50, dim, 9).sigma;
    const small = matmul(matmul(transpose(a, dim, k), s2, k, dim, dim), a, k, dim, k);
    const trSqrt = jacobiEigenvalues(small, k).reduce((s, x) => s + Math.sqrt(Math.max(x, 0)), 0);
    const mu = new Float64Array(dim);
    const want = trace(s1, dim) + trace(s2, dim) - 2 * trSqrt;
    const got = frechetDistance(mu, s1, mu, s2);
    assert.ok(Number.isFinite(got));
    assert.ok(relDiff(got, want) <= 1e-9, `k=${k}: ${got} vs ${want}`);
    // Swapped roles: the singular matrix is S2, S1 factors at full rank.
    const swapped = frechetDistance(mu, s2, mu, s1);
    assert.ok(relDiff(swapped, want) <= 1e-9, `k=${k} swapped: ${swapped} vs ${want}`);
    // The plain-TypeScript fallback agrees, both ways round.
    for (const [a, b] of [[s1, s2], [s2, s1]]) {
      const ts = traceSqrtProduct(factorCovariance(a, dim, { backend: "ts" }), b, { backend: "ts" });
      assert.ok(relDiff(ts, trSqrt) <= 1e-9, `k=${k} TypeScript: ${ts} vs ${trSqrt}`);
    }
  }
});

Deno.test("both covariances singular: shared subspace and rank-one closed forms", () => {
  const dim = 12;
  // S1 = U D1 U^T, S2 = U D2 U^T on the same 4-dim subspace: tr sqrt(S1 S2) = sum sqrt(d1 d2).
  const spectrum1 = [3, 1, 0.5, 2, 0, 0, 0, 0, 0, 0, 0, 0];
  const spectrum2 = [1, 4, 0.5, 0.1, 0, 0, 0, 0, 0, 0, 0, 0];
  const s1 = withSpectrum(spectrum1, 5);
  const s2 = withSpectrum(spectrum2, 5); // same seed: same orthogonal Q
  const mu = new Float64Array(dim);
  const shared = spectrum1.reduce((s, x, i) => s + (Math.sqrt(x) - Math.sqrt(spectrum2[i])) ** 2, 0);
  const got = frechetDistance(mu, s1, mu, s2);
  assert.ok(Math.abs(got - shared) <= 1e-9 * trace(s1, dim), `${got} vs ${shared}`);

  // Rank one: S1 = a a^T, S2 = b b^T, S1 S2 has the single eigenvalue (a.b)^2.
  const a = randomMatrix(dim, 1, 1);
  const b = randomMatrix(dim, 1, 2);
  const ab = a.reduce((s, x, i) => s + x * b[i], 0);
  const aa = a.reduce((s, x) => s + x * x, 0);
  const bb = b.reduce((s, x) => s + x * x, 0);
  const r1 = frechetDistance(mu, matmul(a, a, dim, 1, dim), mu, matmul(b, b, dim, 1, dim));
  const want = aa + bb - 2 * Math.abs(ab);
  assert.ok(relDiff(r1, want) <= 1e-9, `${r1} vs ${want}`);
});

Deno.test("all-zero covariances give |dmu|^2 + tr of the other covariance, never NaN", () => {
  const dim = 9;
  const zero = new Float64Array(dim * dim);
  const mu1 = Float64Array.from({ length: dim }, (_, i) => i);
  const mu2 = Float64Array.from({ length: dim }, (_, i) => 2 * i);
  const s = sampleStats(20, dim, 4).sigma;
  assert.equal(frechetDistance(mu1, zero, mu2, zero), meanTerm(mu1, mu2));
  assert.ok(relDiff(frechetDistance(mu1, zero, mu2, s), meanTerm(mu1, mu2) + trace(s, dim)) <= 1e-14);
  assert.ok(relDiff(frechetDistance(mu1, s, mu2, zero), meanTerm(mu1, mu2) + trace(s, dim)) <= 1e-14);
});

Deno.test("identical distributions are at distance ~0, singular or not", () => {
  for (const [samples, dim] of [[100, 20], [8, 20]]) {
    const { mu, sigma } = sampleStats(samples, dim, 77);
    const d = frechetDistance(mu, sigma, mu, sigma);
    assert.ok(Math.abs(d) <= 1e-9 * trace(sigma, dim), `samples=${samples}: ${d}`);
  }
});

Deno.test("the cached-factor path returns exactly what the direct call returns", () => {
  const dim = 33;
  const a = sampleStats(80, dim, 1);
  const b = sampleStats(40, dim, 2);
  const ref = prepareReference(a.mu, a.sigma);
  assert.equal(ref.dim, dim);
  assert.equal(frechetDistanceFromFactor(ref, b.mu, b.sigma), frechetDistance(a.mu, a.sigma, b.mu, b.sigma));
});

Deno.test("encode/decode of a prepared reference round-trips and gives bit-identical distances", () => {
  for (const [samples, dim] of [[80, 33], [6, 17], [3, 1]]) {
    const a = sampleStats(samples, dim, 11);
    const b = sampleStats(samples + 5, dim, 12);
    const ref = prepareReference(a.mu, a.sigma);
    const bytes = encodeReferenceFactor(ref);
    const back = decodeReferenceFactor(bytes);
    assert.deepEqual(back, ref);
    assert.equal(
      frechetDistanceFromFactor(back, b.mu, b.sigma),
      frechetDistanceFromFactor(ref, b.mu, b.sigma),
    );
    // Decoding from an offset view (as a database driver may hand out) works too.
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    assert.deepEqual(decodeReferenceFactor(padded.subarray(3)), ref);
  }
});

Deno.test("decoding rejects bytes that are not a reference factor", () => {
  const ref = prepareReference(f64([0, 1]), f64([2, 1, 1, 2]));
  const bytes = encodeReferenceFactor(ref);
  assert.throws(() => decodeReferenceFactor(new Uint8Array(4)), { code: "reference_factor_malformed" });
  assert.throws(() => decodeReferenceFactor(bytes.subarray(0, bytes.length - 8)), {
    code: "reference_factor_malformed",
  });
  const wrongMagic = bytes.slice();
  wrongMagic[0] = 0x58;
  assert.throws(() => decodeReferenceFactor(wrongMagic), { code: "reference_factor_malformed" });
});

Deno.test("mismatched sizes, NaN/Infinity, non-symmetric and indefinite covariances are UnprocessableError", () => {
  const mu = f64([0, 0]);
  const s = f64([1, 0, 0, 1]);
  const cases: [() => unknown, string][] = [
    [() => frechetDistance(mu, s, f64([0, 0, 0]), diagonal([1, 1, 1])), "dimension_mismatch"],
    [() => frechetDistance(mu, f64([1, 0, 0]), mu, s), "covariance_shape_mismatch"],
    [() => frechetDistance(mu, s, mu, f64([1, 0, 0, 1, 0])), "covariance_shape_mismatch"],
    [() => frechetDistance(f64([]), f64([]), f64([]), f64([])), "empty_statistics"],
    [() => frechetDistance(f64([NaN, 0]), s, mu, s), "non_finite_statistics"],
    [() => frechetDistance(mu, s, mu, f64([1, 0, Infinity, 1])), "non_finite_statistics"],
    [() => frechetDistance(mu, f64([1, 0.5, 0.2, 1]), mu, s), "covariance_not_symmetric"],
    [() => frechetDistanceFromFactor(prepareReference(mu, s), f64([0]), f64([1])), "dimension_mismatch"],
    [() => frechetDistance(mu, f64([0, 1, 1, 0]), mu, s), "covariance_not_psd"],
    [() => frechetDistance(mu, s, mu, f64([1, 0, 0, -2])), "covariance_not_psd"],
  ];
  for (const [fn, code] of cases) {
    assert.throws(fn, (e: unknown) => e instanceof UnprocessableError && e.code === code, code);
  }
});

Deno.test("an asymmetric entry far from the diagonal of a large covariance is found", () => {
  const dim = 70;
  const mu = new Float64Array(dim);
  const s = diagonal(new Array(dim).fill(1));
  s[65 * dim + 3] = 0.2; // (3, 65) stays 0
  assert.throws(() => frechetDistance(mu, diagonal(new Array(dim).fill(1)), mu, s), {
    code: "covariance_not_symmetric",
  });
});

Deno.test("last-bit asymmetry (BLAS gemm covariances, float32 round trips) is accepted", () => {
  const s1 = f64([2, 0.5, 0.5 * (1 + 1e-9), 1]);
  const s2 = f64([1, 0.1, 0.1, 1]);
  const got = frechetDistance(f64([0, 0]), s1, f64([0, 0]), s2);
  assert.ok(Number.isFinite(got));
});

Deno.test("FID is clamped at 0: identical statistics whose terms round to a tiny negative give exactly 0", () => {
  const dim = 16, n = 50;
  let roundedBelowZero = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const { mu, sigma } = covariance(randomMatrix(n, dim, seed), n, dim);
    const f = factorCovariance(sigma, dim);
    const raw = 2 * trace(sigma, dim) - 2 * traceSqrtProduct(f, sigma);
    if (raw < 0) roundedBelowZero++;
    assert.equal(frechetDistance(mu, sigma, mu, sigma), Math.max(0, raw), `seed ${seed}`);
  }
  assert.ok(roundedBelowZero > 0, "some seeds round below zero, so the clamp is exercised");
});

const native = loadOpenBlas()?.linalg ?? null;
/** Every implementation this machine has: OpenBLAS's LAPACK where it loads, WebAssembly and TypeScript. */
const PATHS: [string, FrechetLinalg][] = [
  ...(native ? [["native", { native }] as [string, FrechetLinalg]] : []),
  ["wasm", { backend: "wasm" }],
  ["ts", { backend: "ts" }],
];
if (!native) {
  console.warn("frechet tests: OpenBLAS's LAPACK is not loadable here; the native path is not tested");
}

/**
 * n x dim features shaped like InceptionV3 pool features where it matters here: non-negative (a ReLU with an
 * offset) and with per-feature scales decaying over three orders of magnitude, so a covariance of n <= dim
 * samples has singular values spread far below sqrt(eps) of the largest.
 */
function poolLikeFeatures(n: number, dim: number, seed: number, shift: number): Float64Array {
  const g = normal(seed);
  const x = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) x[i * dim + j] = Math.max(0, 0.3 + shift + g() * (j + 1) ** -1.5);
  }
  return x;
}

/** FID from the centred data (no covariance formed): tr sqrt(S1 S2) = sum sigma(Xc Yc^T) / sqrt((n1-1)(n2-1)). */
function dataRouteFid(x: Float64Array, n1: number, y: Float64Array, n2: number, dim: number): number {
  const centred = (a: Float64Array, n: number) => {
    const mu = new Float64Array(dim);
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mu[j] += a[i * dim + j] / n;
    return { mu, c: a.map((v, k) => v - mu[k % dim]) };
  };
  const cx = centred(x, n1), cy = centred(y, n2);
  const cross = matmul(cx.c, transpose(cy.c, n2, dim), n1, dim, n2);
  const trSqrt = jacobiSingularValues(cross, n1, n2).reduce((s, v) => s + v, 0) /
    Math.sqrt((n1 - 1) * (n2 - 1));
  let tr1 = 0, tr2 = 0;
  for (let k = 0; k < n1 * dim; k++) tr1 += cx.c[k] ** 2 / (n1 - 1);
  for (let k = 0; k < n2 * dim; k++) tr2 += cy.c[k] ** 2 / (n2 - 1);
  return meanTerm(cx.mu, cy.mu) + tr1 + tr2 - 2 * trSqrt;
}

Deno.test("FID equals the exact value from the centred data at n < D, n = D, n = D + 1 and n > D, on every path", () => {
  // The former route (eigenvalues of L^T S2 L) squared the condition number and was off by up to 1e-4 relative
  // for n <= D at D = 2048; with these decaying scales it is off by 3e-7 already at D = 48, n = 49.
  const dim = 48;
  for (const [n1, n2] of [[30, 30], [48, 48], [49, 49], [40, 120], [150, 35], [200, 200]]) {
    const x = poolLikeFeatures(n1, dim, n1 + 3, 0), y = poolLikeFeatures(n2, dim, n2 + 7, 0.02);
    const want = dataRouteFid(x, n1, y, n2, dim);
    const a = batchMoments(x, n1, dim), b = batchMoments(y, n2, dim);
    for (const [name, linalg] of PATHS) {
      const got = frechetDistance(
        momentsMean(a),
        momentsCovariance(a),
        momentsMean(b),
        momentsCovariance(b),
        linalg,
      );
      assert.ok(
        relDiff(got, want) <= 1e-9,
        `${name} n=${n1}/${n2}: ${got} vs ${want} (${relDiff(got, want)})`,
      );
    }
  }
});

Deno.test("the native, WebAssembly and TypeScript paths agree on full-rank, rank-deficient and zero covariances", () => {
  const dim = 37; // not a multiple of 4: the kernels' padding is exercised
  const full = sampleStats(100, dim, 21);
  const low = sampleStats(9, dim, 22); // rank 8
  const lower = sampleStats(3, dim, 23); // rank 2
  const zero = { mu: new Float64Array(dim), sigma: new Float64Array(dim * dim) };
  for (
    const [s1, s2, what] of [[full, low, "full vs rank 8"], [low, full, "rank 8 vs full"], [
      low,
      lower,
      "rank 8 vs 2",
    ], [
      full,
      full,
      "full vs itself",
    ], [zero, low, "zero vs rank 8"]] as const
  ) {
    const values = PATHS.map(([name, linalg]) =>
      [name, frechetDistance(s1.mu, s1.sigma, s2.mu, s2.sigma, linalg)] as const
    );
    for (const [name, v] of values.slice(1)) {
      assert.ok(
        Math.abs(v - values[0][1]) <= 1e-11 * Math.max(1, trace(full.sigma, dim)),
        `${what}: ${name} ${v} vs ${values[0][0]} ${values[0][1]}`,
      );
    }
  }
});

Deno.test("the FID of moments is the FID of their mean and covariance, bit for bit, on every path", () => {
  const dim = 37;
  const y = poolLikeFeatures(60, dim, 5, 0.01);
  const ref = batchMoments(poolLikeFeatures(80, dim, 4, 0), 80, dim);
  // n > D, n <= D (rank deficient: the pivoted factor stops early) and the smallest n with a covariance.
  for (const n of [60, 20, 2]) {
    const m = batchMoments(y.subarray(0, n * dim), n, dim);
    for (const [name, linalg] of PATHS) {
      const factor = prepareReference(momentsMean(ref), momentsCovariance(ref), linalg);
      const want = frechetDistanceFromFactor(factor, momentsMean(m), momentsCovariance(m), linalg);
      assert.equal(frechetDistanceFromMoments(factor, m, linalg), want, `${name} n=${n}`);
    }
  }
});

Deno.test("the FID of moments refuses too few samples, another dimension and non-finite sums", () => {
  const dim = 5;
  const ref = batchMoments(poolLikeFeatures(30, dim, 6, 0), 30, dim);
  for (const [name, linalg] of PATHS) {
    const factor = prepareReference(momentsMean(ref), momentsCovariance(ref), linalg);
    const one = batchMoments(poolLikeFeatures(1, dim, 7, 0), 1, dim);
    const other = batchMoments(poolLikeFeatures(10, dim + 1, 8, 0), 10, dim + 1);
    const broken = batchMoments(poolLikeFeatures(10, dim, 9, 0), 10, dim);
    broken.comoment[3] = NaN;
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        assert.ok(e instanceof UnprocessableError, `${name}: ${e}`);
        return e.code;
      }
      assert.fail(`${name}: accepted`);
    };
    assert.equal(code(() => frechetDistanceFromMoments(factor, one, linalg)), "moments_too_few_samples");
    assert.equal(code(() => frechetDistanceFromMoments(factor, other, linalg)), "dimension_mismatch");
    assert.equal(code(() => frechetDistanceFromMoments(factor, broken, linalg)), "non_finite_statistics");
  }
});
