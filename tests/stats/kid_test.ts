import assert from "node:assert/strict";
import { kernelInceptionDistance } from "../../src/stats/kid.ts";
import { RandomState } from "../../src/stats/numpy_random.ts";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import { seededRandom } from "../../tools/arrays.ts";
import { ENGINES, NATIVE } from "./_engines.ts";

function features(n: number, dim: number, seed: number, shift = 0): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n * dim }, () => r() * 2 - 1 + shift);
}

/**
 * Straight transcription of torch-fidelity's kid_features_to_metric: one RandomState, per subset
 * choice(nx) then choice(ny); full kernel matrices; Kt sums = row sums minus the diagonal; np.std.
 * The RandomState itself is checked against numpy's published outputs in numpy_random_test.ts.
 */
function naiveKid(
  x: Float64Array,
  nx: number,
  y: Float64Array,
  ny: number,
  d: number,
  subsets: number,
  m: number,
  seed: number,
) {
  const rs = new RandomState(seed);
  const k = (u: Float64Array, i: number, v: Float64Array, j: number) => {
    let dot = 0;
    for (let t = 0; t < d; t++) dot += u[i * d + t] * v[j * d + t];
    return (dot / d + 1) ** 3;
  };
  const mmds: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const ix = rs.choice(nx, m, false);
    const iy = rs.choice(ny, m, false);
    let kxx = 0, kyy = 0, kxy = 0;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) {
        if (a !== b) kxx += k(x, ix[a], x, ix[b]);
        if (a !== b) kyy += k(y, iy[a], y, iy[b]);
        kxy += k(x, ix[a], y, iy[b]);
      }
    }
    mmds.push((kxx + kyy) / (m * (m - 1)) - (2 * kxy) / (m * m));
  }
  const mean = mmds.reduce((p, q) => p + q, 0) / subsets;
  const std = Math.sqrt(mmds.reduce((p, q) => p + (q - mean) ** 2, 0) / subsets);
  return { mean, std };
}

function close(a: number, b: number, rel: number, what: string) {
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300), `${what}: ${a} vs ${b}`);
}

Deno.test("hand-computed 1-D case: x = {0, 1}, y = {1, 2} gives MMD^2 = 9.5", () => {
  // d = 1, k(a, b) = (ab + 1)^3. Kxx off-diagonal: k(0,1) = 1, twice -> 2. Kyy: k(1,2) = 27, twice -> 54.
  // Kxy: k(0,1) + k(0,2) + k(1,1) + k(1,2) = 1 + 1 + 8 + 27 = 37.
  // MMD^2 = (2 + 54) / (2 * 1) - 2 * 37 / 4 = 28 - 18.5 = 9.5. Every subset is the whole set, so std = 0.
  const r = kernelInceptionDistance(new Float64Array([0, 1]), 2, new Float64Array([1, 2]), 2, 1, {
    subsets: 5,
  });
  assert.equal(r.mean, 9.5);
  assert.equal(r.std, 0);
  assert.equal(r.subsetSize, 2);
  assert.equal(r.subsets, 5);
});

Deno.test("hand-computed 2-D case gives MMD^2 = -2.8125", () => {
  // d = 2, k = (dot / 2 + 1)^3. x = {(1,0), (0,1)}, y = {(1,1), (-1,0)}.
  // Kxx: dot 0 -> 1, twice -> 2. Kyy: dot -1 -> 0.5^3 = 0.125, twice -> 0.25.
  // Kxy: dots 1, -1, 1, 0 -> 3.375 + 0.125 + 3.375 + 1 = 7.875.
  // MMD^2 = 2.25 / 2 - 2 * 7.875 / 4 = 1.125 - 3.9375 = -2.8125.
  const r = kernelInceptionDistance(
    new Float64Array([1, 0, 0, 1]),
    2,
    new Float64Array([1, 1, -1, 0]),
    2,
    2,
    {
      subsets: 3,
      subsetSize: 1000,
    },
  );
  assert.equal(r.mean, -2.8125);
  assert.equal(r.subsetSize, 2, "subset size lowered to min(nx, ny)");
});

Deno.test("matches a naive transcription of torch-fidelity on random 2-D features", () => {
  const nx = 40, ny = 33, d = 2;
  const x = features(nx, d, 1), y = features(ny, d, 2, 0.3);
  const want = naiveKid(x, nx, y, ny, d, 12, 10, 2020);
  const got = kernelInceptionDistance(x, nx, y, ny, d, { subsets: 12, subsetSize: 10 });
  close(got.mean, want.mean, 1e-12, "mean");
  close(got.std, want.std, 1e-9, "std");
  assert.ok(got.std > 0);
});

Deno.test("both the all-rows Gram and the per-subset paths match the naive estimator, on every engine", () => {
  const nx = 23, ny = 30, d = 13; // sizes not multiples of 4 exercise the block edges
  const x = features(nx, d, 3), y = features(ny, d, 4, 0.1);
  const want = naiveKid(x, nx, y, ny, d, 7, 9, 123);
  for (const [engine, linalg] of ENGINES) {
    for (const kernelCache of ["always", "never", "auto"] as const) {
      const r = kernelInceptionDistance(x, nx, y, ny, d, {
        subsets: 7,
        subsetSize: 9,
        seed: 123,
        kernelCache,
      }, linalg);
      // The native per-subset products are float32 (here "auto" takes them too): float32 accuracy.
      const f32 = engine === "native" && kernelCache !== "always";
      close(r.mean, want.mean, f32 ? 1e-5 : 1e-12, `${engine} ${kernelCache} mean`);
      close(r.std, want.std, f32 ? 1e-5 : 1e-9, `${engine} ${kernelCache} std`);
    }
  }
});

/** n x dim features shaped like InceptionV3 pool features: non-negative, offset, scales decaying with the index. */
function poolLike(n: number, dim: number, seed: number, shift: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n * dim }, (_, i) => {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return Math.max(0, 0.3 + shift + 0.4 * g * ((i % dim) + 1) ** -0.6);
  });
}

Deno.test({
  name:
    "float32 per-subset products (native, centred) stay within 1e-5 of the float64 definition, std included",
  ignore: NATIVE === null,
  fn() {
    // Realistic magnitudes (KID ~1e-3 and ~1e-5, its std ~1e-6) on features with a large common offset: float32
    // products of the raw features moved the std by 1e-5 to 3e-5 here; of the centred ones, by < 1e-6.
    const dim = 512, n = 300, opts = { subsets: 10, subsetSize: 150 };
    for (const shift of [0.02, 0.002]) {
      const x = poolLike(n, dim, 30, 0), y = poolLike(n, dim, 31, shift);
      const want = naiveKid(Float64Array.from(x), n, Float64Array.from(y), n, dim, 10, 150, 2020);
      const f32 = kernelInceptionDistance(x, n, y, n, dim, { ...opts, kernelCache: "never" }, {
        native: NATIVE,
      });
      close(f32.mean, want.mean, 1e-6, `shift ${shift}: float32 subsets mean`);
      close(f32.std, want.std, 1e-5, `shift ${shift}: float32 subsets std`);
    }
  },
});

Deno.test("float32 input equals float64 input holding the same values", () => {
  const nx = 17, ny = 19, d = 6;
  const x32 = Float32Array.from(features(nx, d, 5)), y32 = Float32Array.from(features(ny, d, 6));
  const a = kernelInceptionDistance(x32, nx, y32, ny, d, { subsets: 4, subsetSize: 8, kernelCache: "never" });
  const b = kernelInceptionDistance(Float64Array.from(x32), nx, Float64Array.from(y32), ny, d, {
    subsets: 4,
    subsetSize: 8,
    kernelCache: "never",
  });
  assert.deepEqual(a, b);
  const c = kernelInceptionDistance(x32, nx, y32, ny, d, {
    subsets: 4,
    subsetSize: 8,
    kernelCache: "always",
  });
  assert.ok(
    Math.abs(c.mean - a.mean) < 1e-12 * Math.abs(a.mean),
    "cached path converts float32 the same way",
  );
});

Deno.test("the seed decides the subsets: same seed same result, other seed other result", () => {
  const x = features(30, 3, 7), y = features(30, 3, 8, 0.5);
  const a = kernelInceptionDistance(x, 30, y, 30, 3, { subsets: 5, subsetSize: 6, seed: 1 });
  const b = kernelInceptionDistance(x, 30, y, 30, 3, { subsets: 5, subsetSize: 6, seed: 1 });
  const c = kernelInceptionDistance(x, 30, y, 30, 3, { subsets: 5, subsetSize: 6, seed: 2 });
  assert.deepEqual(a, b);
  assert.notEqual(a.mean, c.mean);
});

Deno.test("distinct distributions score higher than two samples of one distribution", () => {
  const d = 4;
  const same = kernelInceptionDistance(features(60, d, 9), 60, features(60, d, 10), 60, d, {
    subsets: 10,
    subsetSize: 30,
  });
  const shifted = kernelInceptionDistance(features(60, d, 9), 60, features(60, d, 10, 1), 60, d, {
    subsets: 10,
    subsetSize: 30,
  });
  assert.ok(Math.abs(same.mean) < 0.2 * shifted.mean, `${same.mean} vs ${shifted.mean}`);
});

Deno.test("bad inputs are rejected with typed errors", () => {
  const x = new Float64Array(6);
  assert.throws(() => kernelInceptionDistance(x, 1, x, 1, 6), UnprocessableError);
  assert.throws(() => kernelInceptionDistance(x, 2, new Float64Array(5), 2, 3), UnprocessableError);
  assert.throws(() => kernelInceptionDistance(new Float64Array([0, NaN]), 2, x, 2, 1), UnprocessableError);
  assert.throws(() => kernelInceptionDistance(x, 2, x, 2, 3, { subsets: 0 }), InvalidInputError);
  assert.throws(() => kernelInceptionDistance(x, 2, x, 2, 3, { subsetSize: 1 }), InvalidInputError);
});
