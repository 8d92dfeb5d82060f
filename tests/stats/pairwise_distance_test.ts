import assert from "node:assert/strict";
import { meanPairwiseDistance } from "../../src/stats/pairwise_distance.ts";
import { distanceCentre } from "../../src/stats/feature_rows.ts";
import { RandomState } from "../../src/stats/numpy_random.ts";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import { seededRandom } from "../../tools/arrays.ts";

function features(n: number, dim: number, seed: number, shift = 0): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n * dim }, () => r() * 2 - 1 + shift);
}

function naiveDistance(
  a: ArrayLike<number>,
  i: number,
  b: ArrayLike<number>,
  j: number,
  dim: number,
): number {
  let s = 0;
  for (let t = 0; t < dim; t++) s += (a[i * dim + t] - b[j * dim + t]) ** 2;
  return Math.sqrt(s);
}

/** Obviously correct: average of the distance over every i < j. */
function naiveMean(x: ArrayLike<number>, n: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += naiveDistance(x, i, x, j, dim);
  return s / ((n * (n - 1)) / 2);
}

Deno.test("the centre is the per-feature mean rounded to 8 significant bits", () => {
  // Means: (1 + 2 + 4) / 3 = 2.333.. -> 149/64 = 2.328125 (8 bits: 10.010101); 1000.5 -> 1000 (a step of 4
  // at 8 significant bits for values in [512, 1024)).
  const x = new Float64Array([1, 1000, 2, 1001, 4, 1000.5]);
  const c = distanceCentre(x, 3, 2);
  assert.equal(c[0], 2.328125);
  assert.equal(c[1], 1000);
  assert.deepEqual(Array.from(distanceCentre(new Float64Array([0, -3, 0, -3]), 2, 2)), [0, -3]);
});

Deno.test("mean pairwise distance of a 3-4-5 triangle is (3 + 4 + 5) / 3", () => {
  const x = new Float64Array([0, 0, 3, 0, 3, 4]);
  assert.equal(meanPairwiseDistance(x, 3, 2), 4);
});

Deno.test("mean pairwise distance matches the average over every pair, float64 and float32 input", () => {
  const n = 140, dim = 270;
  const x = features(n, dim, 4);
  const want = naiveMean(x, n, dim);
  assert.ok(Math.abs(meanPairwiseDistance(x, n, dim) - want) <= 1e-12 * want);
  const x32 = Float32Array.from(x);
  const want32 = naiveMean(x32, n, dim);
  assert.ok(Math.abs(meanPairwiseDistance(x32, n, dim) - want32) <= 1e-12 * want32);
});

Deno.test("collapsed samples have mean pairwise distance 0, and spreading them raises it", () => {
  const dim = 16, n = 50;
  const one = features(1, dim, 5);
  const collapsed = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) collapsed.set(one, i * dim);
  assert.equal(meanPairwiseDistance(collapsed, n, dim), 0);
  const spread = features(n, dim, 6);
  assert.ok(meanPairwiseDistance(spread, n, dim) > 1);
});

Deno.test("above maxSamples the mean is over the rows RandomState(seed).choice(n, max, False) picks", () => {
  const n = 120, dim = 5, max = 40, seed = 7;
  const x = features(n, dim, 7);
  const idx = new RandomState(seed).choice(n, max, false);
  const sub = new Float64Array(max * dim);
  idx.forEach((row, r) => sub.set(x.subarray(row * dim, (row + 1) * dim), r * dim));
  const want = naiveMean(sub, max, dim);
  const got = meanPairwiseDistance(x, n, dim, { maxSamples: max, seed });
  assert.ok(Math.abs(got - want) <= 1e-12 * want);
  assert.notEqual(got, meanPairwiseDistance(x, n, dim, { maxSamples: max, seed: seed + 1 }));
  // At or below the limit every row is used.
  const all = naiveMean(x, n, dim);
  assert.ok(Math.abs(meanPairwiseDistance(x, n, dim, { maxSamples: n }) - all) <= 1e-12 * all);
});

Deno.test("mean pairwise distance refuses one row, a bad maxSamples and a wrong shape", () => {
  assert.throws(
    () => meanPairwiseDistance(new Float64Array(3), 1, 3),
    (e) => e instanceof UnprocessableError && e.code === "pairwise_too_few_samples",
  );
  assert.throws(
    () => meanPairwiseDistance(features(4, 2, 8), 4, 2, { maxSamples: 1 }),
    (e) => e instanceof InvalidInputError && e.code === "pairwise_bad_max_samples",
  );
  assert.throws(
    () => meanPairwiseDistance(features(4, 2, 8), 3, 2),
    (e) => e instanceof UnprocessableError && e.code === "pairwise_bad_shape",
  );
  assert.throws(
    () => meanPairwiseDistance(new Float64Array([0, Infinity, 1, 1]), 2, 2),
    (e) => e instanceof UnprocessableError && e.code === "features_not_finite",
  );
});
