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
import { randomFeatures } from "../../tools/arrays.ts";
import { ENGINES } from "./_engines.ts";
import { cmmdOracle, unitEmbeddings } from "../_support/metric_oracles.ts";

/** Unit-length rows, as CLIP embeddings are uploaded, scaled so that distances reach the kernel's width. */
function embeddings(n: number, d: number, seed: number, shift: number, scale: number): Float32Array {
  return unitEmbeddings(randomFeatures, n, d, seed, shift, scale);
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

Deno.test("CMMD reads PRDC's and KID's products when its rows are theirs, and gets a phase of its own when not", () => {
  // Unequal sides with unequal spreads: kxx and kyy swapped would show.
  const d = 8, nx = 120, ny = 97;
  const x = embeddings(nx, d, 6, 0, 14), y = embeddings(ny, d, 7, 0.1, 6);
  const phases = (prdcMax: number, kid: boolean) => {
    const seen: string[] = [];
    const r = sampleMetrics({
      x,
      nx,
      y,
      ny,
      dim: d,
      prdc: { k: 3, maxSamples: prdcMax },
      kid: kid ? { subsets: 3, subsetSize: 50 } : null,
      cmmd: {},
    }, { onPhase: (p) => seen.push(p) });
    return { seen, r };
  };
  const shared = phases(1000, false), apart = phases(100, false), withKid = phases(1000, true);
  assert.deepEqual(shared.seen, ["distances"]);
  assert.deepEqual(apart.seen, ["distances", "cmmd"]);
  assert.deepEqual(withKid.seen, ["distances", "kid"]);
  const want = cmmdOracle(x, nx, y, ny, d);
  assert.ok(Math.abs(cmmd(x, nx, y, ny, d).value - want) < 1e-9);
  for (const { r } of [shared, apart, withKid]) {
    assert.ok(Math.abs(r.cmmd!.value - want) < 1e-9, `${r.cmmd!.value} vs ${want}`);
  }
});
