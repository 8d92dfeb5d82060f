/**
 * CMMD against google-research/cmmd's estimator written out here (every pair, i = j included, exp(-d^2 / 200),
 * 1000 x (kxx + kyy - 2 kxy)) on every Gram engine, closed cases (identical sets give 0; one row a side
 * against another gives 2000 (1 - K)), its seeded subsampling, and its sharing of products with PRDC.
 */
import assert from "node:assert/strict";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import { cmmd } from "../../src/stats/cmmd.ts";
import { RandomState } from "../../src/stats/numpy_random.ts";
import { sampleMetrics } from "../../src/stats/sample_metrics.ts";
import { randomFeatures } from "../_support/arrays.ts";
import { ENGINES } from "./_engines.ts";

/** The published estimator, pair by pair in float64. */
function cmmdOracle(x: ArrayLike<number>, nx: number, y: ArrayLike<number>, ny: number, d: number): number {
  const meanK = (a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number) => {
    let s = 0;
    for (let i = 0; i < na; i++) {
      for (let j = 0; j < nb; j++) {
        let d2 = 0;
        for (let k = 0; k < d; k++) d2 += (a[i * d + k] - b[j * d + k]) ** 2;
        s += Math.exp(-d2 / (2 * 10 ** 2));
      }
    }
    return s / (na * nb);
  };
  return 1000 * (meanK(x, nx, x, nx) + meanK(y, ny, y, ny) - 2 * meanK(x, nx, y, ny));
}

/** Unit-length rows, as CLIP embeddings are uploaded, scaled so that distances reach the kernel's width. */
function embeddings(n: number, d: number, seed: number, shift: number, scale: number): Float32Array {
  const x = randomFeatures(n, d, seed, shift);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] ** 2;
    for (let j = 0; j < d; j++) x[i * d + j] *= scale / Math.sqrt(s);
  }
  return x;
}

for (const [engine, linalg] of ENGINES) {
  Deno.test(`${engine}: CMMD equals the published estimator, every pair with i = j included`, () => {
    for (const [nx, ny, d, scale] of [[40, 55, 12, 1], [31, 9, 20, 8], [3, 70, 5, 30]]) {
      const x = embeddings(nx, d, 1, 0, scale), y = embeddings(ny, d, 2, 0.3, scale);
      const got = cmmd(x, nx, y, ny, d, {}, linalg);
      const want = cmmdOracle(x, nx, y, ny, d);
      assert.ok(Math.abs(got.value - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${got.value} vs ${want}`);
      assert.deepEqual([got.xSamples, got.ySamples], [nx, ny]);
    }
  });

  Deno.test(`${engine}: identical sets give CMMD 0; one row against another gives 2000 (1 - K)`, () => {
    const x = embeddings(50, 16, 3, 0, 5);
    assert.ok(Math.abs(cmmd(x, 50, x.slice(), 50, 16, {}, linalg).value) < 1e-10);
    const a = Float64Array.of(0, 0, 3), b = Float64Array.of(4, 0, 3);
    const want = 2000 * (1 - Math.exp(-16 / 200));
    assert.ok(Math.abs(cmmd(a, 1, b, 1, 3, {}, linalg).value - want) < 1e-12);
  });
}

Deno.test("over maxSamples a side, CMMD takes RandomState(seed).choice rows: x's first, then y's", () => {
  const d = 6, nx = 90, ny = 70;
  const x = embeddings(nx, d, 4, 0, 10), y = embeddings(ny, d, 5, 0.2, 10);
  const got = cmmd(x, nx, y, ny, d, { maxSamples: 60, seed: 7 });
  const rng = new RandomState(7);
  const xi = rng.choice(nx, 60, false), yi = rng.choice(ny, 60, false);
  const pick = (a: Float32Array, idx: ArrayLike<number>) =>
    Float64Array.from({ length: idx.length * d }, (_, t) => a[idx[Math.floor(t / d)] * d + (t % d)]);
  const want = cmmdOracle(pick(x, xi), 60, pick(y, yi), 60, d);
  assert.ok(Math.abs(got.value - want) < 1e-9, `${got.value} vs ${want}`);
  assert.deepEqual([got.xSamples, got.ySamples], [60, 60]);
  // Under the limit a side is taken whole.
  const whole = cmmd(x, nx, y, ny, d, { maxSamples: 80, seed: 7 });
  const xw = new RandomState(7).choice(nx, 80, false);
  assert.ok(Math.abs(whole.value - cmmdOracle(pick(x, xw), 80, y, ny, d)) < 1e-9);
  assert.throws(() => cmmd(x, nx, y, ny, d, { maxSamples: 1 }), InvalidInputError);
  assert.throws(() => cmmd(x, 0, y, ny, d), UnprocessableError);
});

Deno.test("CMMD reads PRDC's products when its rows are PRDC's, and gets a phase of its own when they are not", () => {
  const d = 8, n = 120;
  const x = embeddings(n, d, 6, 0, 10), y = embeddings(n, d, 7, 0.1, 10);
  const phases = (prdcMax: number) => {
    const seen: string[] = [];
    const r = sampleMetrics({ x, nx: n, y, ny: n, dim: d, prdc: { k: 3, maxSamples: prdcMax }, cmmd: {} }, {
      onPhase: (p) => seen.push(p),
    });
    return { seen, r };
  };
  const shared = phases(1000), apart = phases(100);
  assert.deepEqual(shared.seen, ["distances"]);
  assert.deepEqual(apart.seen, ["distances", "cmmd"]);
  const want = cmmdOracle(x, n, y, n, d);
  for (const { r } of [shared, apart]) assert.ok(Math.abs(r.cmmd!.value - want) < 1e-9);
});
