import assert from "node:assert/strict";
import {
  emptyReconstruction,
  mergeReconstruction,
  reconstructionBatch,
  reconstructionMetrics,
} from "../../src/stats/reconstruction.ts";
import { UnprocessableError } from "../../src/errors.ts";
import { seededRandom } from "../../tools/arrays.ts";

/** Element-by-element reference: Keras-style BCE with predictions clipped to [1e-7, 1 - 1e-7]. */
function naive(x: number[], y: number[], n: number) {
  let bce = 0, se = 0;
  for (let i = 0; i < x.length; i++) {
    const p = y[i] < 1e-7 ? 1e-7 : y[i] > 1 - 1e-7 ? 1 - 1e-7 : y[i];
    bce += -(x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p));
    se += (x[i] - y[i]) ** 2;
  }
  return { recon_bce: bce / x.length, recon_mse: se / x.length, recon_bce_sum: bce / n };
}

Deno.test("hand-computed 2 x 2 batch", () => {
  // Elements (target, reconstruction):
  //   (1, 0.5): BCE = ln 2,                      SE = 0.25
  //   (0, 0):   p clipped to 1e-7, BCE = -ln(1 - 1e-7) ~ 1.00000005e-7, SE = 0
  //   (1, 0):   p clipped to 1e-7, BCE = -ln(1e-7) = 7 ln 10 ~ 16.118,   SE = 1
  //   (0.5, 0.5): BCE = -(0.5 ln 0.5 + 0.5 ln 0.5) = ln 2,               SE = 0
  // BCE total = 2 ln 2 + 7 ln 10 - ln(1 - 1e-7); SE total = 1.25.
  const s = reconstructionBatch([1, 0, 1, 0.5], [0.5, 0, 0, 0.5], 2, 2);
  const bceTotal = 2 * Math.LN2 + 7 * Math.LN10 - Math.log1p(-1e-7);
  const m = reconstructionMetrics(s);
  assert.ok(Math.abs(m.recon_bce - bceTotal / 4) < 1e-14);
  assert.ok(Math.abs(m.recon_bce_sum - bceTotal / 2) < 1e-14);
  assert.equal(m.recon_mse, 1.25 / 4);
  assert.equal(s.n, 2);
  assert.equal(s.pixels, 2);
});

Deno.test("perfect binary reconstructions have BCE at the clip floor and zero MSE", () => {
  const m = reconstructionMetrics(reconstructionBatch([0, 1, 1, 0], [0, 1, 1, 0], 1, 4));
  // Every element costs -ln(1 - 1e-7) ~ 1e-7 (1 - 1e-7 is not exact in binary: allow relative 1e-8).
  const floor = -Math.log1p(-1e-7);
  assert.ok(Math.abs(m.recon_bce - floor) < 1e-8 * floor, `${m.recon_bce}`);
  assert.equal(m.recon_mse, 0);
});

Deno.test("merged batches equal one pass over all data and match the naive reference", () => {
  const r = seededRandom(1);
  const n = 30, px = 17;
  const x = Array.from({ length: n * px }, () => (r() < 0.3 ? 0 : r() < 0.5 ? 1 : r()));
  const y = Array.from({ length: n * px }, () => r());
  let acc = emptyReconstruction(px);
  for (const [a, b] of [[0, 1], [1, 13], [13, 14], [14, 30]]) {
    acc = mergeReconstruction(
      acc,
      reconstructionBatch(x.slice(a * px, b * px), y.slice(a * px, b * px), b - a, px),
    );
  }
  const want = naive(x, y, n);
  const got = reconstructionMetrics(acc);
  for (const k of ["recon_bce", "recon_mse", "recon_bce_sum"] as const) {
    assert.ok(Math.abs(got[k] - want[k]) <= 1e-13 * Math.abs(want[k]), `${k}: ${got[k]} vs ${want[k]}`);
  }
  assert.equal(acc.n, n);
});

Deno.test("typed arrays are accepted", () => {
  const a = reconstructionBatch(new Float32Array([0.25, 1]), new Float64Array([0.5, 0.75]), 1, 2);
  const b = reconstructionBatch([0.25, 1], [0.5, 0.75], 1, 2);
  assert.deepEqual(a, b);
});

Deno.test("bad inputs are rejected: length mismatch, out of [0, 1], NaN, pixel mismatch, no samples", () => {
  assert.throws(() => reconstructionBatch([0, 1], [0], 1, 2), UnprocessableError);
  assert.throws(() => reconstructionBatch([0, 1], [0, 1], 2, 2), UnprocessableError);
  assert.throws(() => reconstructionBatch([0, 1.5], [0, 1], 1, 2), UnprocessableError);
  assert.throws(() => reconstructionBatch([0, 1], [-0.1, 1], 1, 2), UnprocessableError);
  assert.throws(() => reconstructionBatch([0, NaN], [0, 1], 1, 2), UnprocessableError);
  assert.throws(() => reconstructionBatch([0, 1], [0, Infinity], 1, 2), UnprocessableError);
  assert.throws(
    () => mergeReconstruction(emptyReconstruction(2), emptyReconstruction(3)),
    UnprocessableError,
  );
  assert.throws(() => reconstructionMetrics(emptyReconstruction(2)), UnprocessableError);
});
