import assert from "node:assert/strict";
import { kthNearestDistances, kthNearestSquaredDistances } from "../../src/stats/nearest_neighbours.ts";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import { seededRandom } from "../../tools/arrays.ts";

function features(n: number, dim: number, seed: number, shift = 0): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n * dim }, () => r() * 2 - 1 + shift);
}

/** Obviously correct: every distance to the OTHER rows, sorted, the k-th (1-based) taken. */
function naiveKth(x: ArrayLike<number>, n: number, dim: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const d: number[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let t = 0; t < dim; t++) s += (x[i * dim + t] - x[j * dim + t]) ** 2;
      d.push(Math.sqrt(s));
    }
    d.sort((a, b) => a - b);
    out.push(d[k - 1]);
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `row ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

Deno.test("k-th nearest distances match sorting every distance, across tile and feature-chunk edges", () => {
  // 157 rows: three 64-row tiles, the last one partial and not a multiple of 4; 300 features: two chunks.
  const n = 157, dim = 300;
  const x = features(n, dim, 1);
  for (const k of [1, 2, 5, 17]) {
    assertClose(kthNearestDistances(x, n, dim, k), naiveKth(x, n, dim, k), 1e-12);
  }
});

Deno.test("the largest allowed k (n - 1) is the distance to the farthest other row", () => {
  const n = 23, dim = 7;
  const x = features(n, dim, 2);
  const far = naiveKth(x, n, dim, n - 1);
  assertClose(kthNearestDistances(x, n, dim, n - 1), far, 1e-12);
});

Deno.test("squared variant is the square of the distance variant", () => {
  const n = 70, dim = 9;
  const x = features(n, dim, 3);
  const d = kthNearestDistances(x, n, dim, 4);
  const sq = kthNearestSquaredDistances(x, n, dim, 4);
  assertClose(sq, Array.from(d, (v) => v * v), 1e-12);
});

Deno.test("duplicate rows count as neighbours at distance exactly 0, the row itself does not", () => {
  // Rows 0, 1, 2 are the same point (1, 1); row 3 is (4, 5), 5 away from it.
  const x = new Float64Array([1, 1, 1, 1, 1, 1, 4, 5]);
  assert.deepEqual(Array.from(kthNearestDistances(x, 4, 2, 1)), [0, 0, 0, 5]);
  assert.deepEqual(Array.from(kthNearestDistances(x, 4, 2, 2)), [0, 0, 0, 5]);
  // Third neighbour of a copy: the two other copies, then the far point.
  assert.deepEqual(Array.from(kthNearestDistances(x, 4, 2, 3)), [5, 5, 5, 5]);
});

Deno.test("a large common offset does not spoil the distances (rows are centred first)", () => {
  const n = 90, dim = 20;
  const x = features(n, dim, 4, 1e6);
  assertClose(kthNearestDistances(x, n, dim, 3), naiveKth(x, n, dim, 3), 1e-9);
});

Deno.test("float32 input gives the distances of its float32 values", () => {
  const n = 81, dim = 33;
  const x = Float32Array.from(features(n, dim, 5));
  assertClose(kthNearestDistances(x, n, dim, 5), naiveKth(x, n, dim, 5), 1e-12);
});

Deno.test("bad k, too few rows, wrong shape and non-finite values are refused with codes", () => {
  const x = features(5, 2, 6);
  assert.throws(
    () => kthNearestDistances(x, 5, 2, 0),
    (e) => e instanceof InvalidInputError && e.code === "knn_bad_k",
  );
  assert.throws(() => kthNearestDistances(x, 5, 2, 1.5), InvalidInputError);
  assert.throws(
    () => kthNearestDistances(x, 5, 2, 5),
    (e) => e instanceof UnprocessableError && e.code === "knn_too_few_samples",
  );
  assert.throws(
    () => kthNearestDistances(x, 4, 2, 1),
    (e) => e instanceof UnprocessableError && e.code === "knn_bad_shape",
  );
  const bad = x.slice();
  bad[7] = NaN;
  assert.throws(
    () => kthNearestDistances(bad, 5, 2, 1),
    (e) =>
      e instanceof UnprocessableError && e.code === "features_not_finite" &&
      /row 3, column 1/.test(e.message),
  );
});
