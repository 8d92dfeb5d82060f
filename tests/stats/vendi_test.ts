/**
 * The Vendi score against dgm-eval's recipe written out here (sklearn-style normalize, K = X X^T / n on the n
 * rows, every eigenvalue by Jacobi, exp of the entropy) and closed cases: n orthonormal rows give n, identical
 * rows give 1, a zero row stays zero. The streamed D x D form (moments of the unit rows, merged) must agree.
 */
import assert from "node:assert/strict";
import { UnprocessableError } from "../../src/errors.ts";
import { emptyMoments, mergeMomentsInto } from "../../src/stats/moments.ts";
import { batchUnitMoments, unitRows, vendiFromEigenvalues, vendiScore } from "../../src/stats/vendi.ts";
import { randomFeatures } from "../../tools/arrays.ts";
import { ENGINES } from "./_engines.ts";
import { randomOrthogonal, relDiff } from "./linalg_oracles.ts";
import { vendiOracle } from "../_support/metric_oracles.ts";

for (const [engine, linalg] of ENGINES) {
  Deno.test(`${engine}: Vendi equals dgm-eval's linear-kernel formula, with more rows than dimensions and fewer`, () => {
    for (const [n, d, seed] of [[60, 7, 1], [6, 19, 2], [33, 33, 3]]) {
      const x = randomFeatures(n, d, seed, 0.2);
      const got = vendiScore(batchUnitMoments(x, n, d, "ts"), linalg);
      const want = vendiOracle(x, n, d);
      assert.ok(relDiff(got, want) < 1e-10, `${engine} n=${n} d=${d}: ${got} vs ${want}`);
    }
  });

  Deno.test(`${engine}: n orthonormal rows (any lengths) give Vendi = n; identical rows give 1`, () => {
    const d = 12, q = randomOrthogonal(d, 9);
    for (const n of [1, 2, 5, 12]) {
      const x = new Float64Array(n * d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (i + 0.5) * 3 * q[i * d + j];
      const v = vendiScore(batchUnitMoments(x, n, d), linalg);
      assert.ok(Math.abs(v - n) < 1e-10 * n, `${engine}: ${n} orthonormal rows: ${v}`);
    }
    const same = new Float64Array(8 * d);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < d; j++) same[i * d + j] = (j % 5) - 1.5 + (i === 0 ? 0 : 0);
    }
    assert.ok(Math.abs(vendiScore(batchUnitMoments(same, 8, d), linalg) - 1) < 1e-10);
  });
}

Deno.test("batches merged give the Vendi score of all their rows; a zero row counts but adds nothing", () => {
  const n = 90, d = 10;
  const x = randomFeatures(n, d, 4, -0.3);
  const merged = emptyMoments(d);
  for (const [a, b] of [[0, 7], [7, 40], [40, 41], [41, 90]]) {
    mergeMomentsInto(merged, batchUnitMoments(x.subarray(a * d, b * d), b - a, d));
  }
  const whole = batchUnitMoments(x, n, d);
  assert.ok(relDiff(vendiScore(merged), vendiScore(whole)) < 1e-12);
  assert.ok(relDiff(vendiScore(whole), vendiOracle(x, n, d)) < 1e-10);
  // [e1, 0]: K = diag(1/2, 0), so vendi = exp(-(1/2) log(1/2)) = sqrt 2 (sklearn's zero row stays zero).
  const v = vendiScore(batchUnitMoments(Float64Array.of(3, 0, 0, 0), 2, 2));
  assert.ok(Math.abs(v - Math.SQRT2) < 1e-14, `${v}`);
});

Deno.test("unit rows have length 1 even for float64 rows past 1e154; no rows is refused", () => {
  const r = unitRows(Float64Array.of(3e200, 4e200, 0, 0, 1e-200, 0, 0, 0, 0), 3, 3);
  const want = [0.6, 0.8, 0, 0, 1, 0, 0, 0, 0];
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(r[i] - want[i]) < 1e-15, `${r[i]} vs ${want[i]}`);
  assert.throws(() => vendiScore(emptyMoments(3)), UnprocessableError);
  assert.throws(() => batchUnitMoments(Float32Array.of(1, NaN), 1, 2), UnprocessableError);
  assert.equal(vendiFromEigenvalues([0.5, 0.5, 0, -1e-18]), 2);
});
