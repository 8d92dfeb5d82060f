import assert from "node:assert/strict";
import { emptyKl, klBatch, klMetrics, mergeKl } from "../../src/stats/kl_divergence.ts";
import { UnprocessableError } from "../../src/errors.ts";
import { seededRandom } from "../../tools/arrays.ts";

/** KL(N(m, s^2) || N(0, 1)) = ln(1/s) + (s^2 + m^2)/2 - 1/2, the textbook Gaussian form (s^2 = e^lv). */
function gaussianKl(m: number, lv: number): number {
  const s = Math.exp(lv / 2);
  return Math.log(1 / s) + (s * s + m * m) / 2 - 0.5;
}

Deno.test("hand-computed elements", () => {
  // (m, lv) = (0, 0): prior itself -> 0.          (1, 0): -0.5 (1 + 0 - 1 - 1) = 0.5.
  // (0, ln 2): -0.5 (1 + ln 2 - 2) = (1 - ln 2)/2 ~ 0.1534.   (2, -1): 0.5 (4 + e^-1) ~ 2.1839.
  const s = klBatch([0, 1, 0, 2], [0, 0, Math.LN2, -1], 1, 4);
  const want = [0, 0.5, (1 - Math.LN2) / 2, 0.5 * (4 + Math.exp(-1))];
  const m = klMetrics(s);
  for (let j = 0; j < 4; j++) assert.ok(Math.abs(m.kl_per_dim[j] - want[j]) < 1e-15, `dim ${j}`);
  assert.ok(Math.abs(m.kl - want.reduce((a, b) => a + b, 0)) < 1e-14);
  assert.equal(m.active_dims, 3, "dimension 0 sits on the prior");
});

Deno.test("per-dimension means, total and active count match the Gaussian formula after merging", () => {
  const r = seededRandom(1);
  const n = 25, dim = 6;
  const zm: number[] = [], zl: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      // Dimensions 4 and 5 stay near the prior (tiny mean, log-variance ~ 0): they should be inactive.
      const inactive = j >= 4;
      zm.push(inactive ? (r() - 0.5) * 0.01 : (r() - 0.5) * 3);
      zl.push(inactive ? (r() - 0.5) * 0.01 : (r() - 0.5) * 4);
    }
  }
  let acc = emptyKl(dim);
  for (const [a, b] of [[0, 1], [1, 10], [10, 25]]) {
    acc = mergeKl(acc, klBatch(zm.slice(a * dim, b * dim), zl.slice(a * dim, b * dim), b - a, dim));
  }
  const perDim = Array.from({ length: dim }, (_, j) => {
    let t = 0;
    for (let i = 0; i < n; i++) t += gaussianKl(zm[i * dim + j], zl[i * dim + j]);
    return t / n;
  });
  const m = klMetrics(acc);
  assert.equal(acc.n, n);
  for (let j = 0; j < dim; j++) assert.ok(Math.abs(m.kl_per_dim[j] - perDim[j]) < 1e-13, `dim ${j}`);
  assert.ok(Math.abs(m.kl - perDim.reduce((a, b) => a + b, 0)) < 1e-12);
  assert.equal(m.active_dims, 4);
});

Deno.test("merging with an empty side keeps the other side's sums", () => {
  const s = klBatch([1, 2], [0.5, -0.5], 1, 2);
  assert.deepEqual(mergeKl(emptyKl(2), s), s);
  assert.deepEqual(mergeKl(s, emptyKl(2)), s);
});

Deno.test("bad inputs are rejected with typed errors", () => {
  assert.throws(() => klBatch([0, 0], [0], 1, 2), UnprocessableError);
  assert.throws(() => klBatch([0, NaN], [0, 0], 1, 2), UnprocessableError);
  assert.throws(() => klBatch([0, 0], [0, 800], 1, 2), UnprocessableError); // e^800 overflows
  assert.throws(() => mergeKl(emptyKl(2), emptyKl(3)), UnprocessableError);
  assert.throws(() => klMetrics(emptyKl(2)), UnprocessableError);
});
