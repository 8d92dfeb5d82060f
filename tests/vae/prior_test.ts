/** Prior samples follow numpy's legacy RandomState(seed).standard_normal stream. */
import assert from "node:assert/strict";
import { LegacyGaussian, priorSamples } from "../../src/vae/prior.ts";

// np.random.RandomState(0).standard_normal(10), as numpy prints it (published in countless tutorials).
const NUMPY_SEED0 = [
  1.76405235,
  0.40015721,
  0.97873798,
  2.2408932,
  1.86755799,
  -0.97727788,
  0.95008842,
  -0.15135721,
  -0.10321885,
  0.4105985,
];

Deno.test("LegacyGaussian(0) reproduces numpy's RandomState(0).standard_normal values", () => {
  const g = new LegacyGaussian(0);
  for (const expected of NUMPY_SEED0) assert.ok(Math.abs(g.next() - expected) < 5e-9, `${expected}`);
});

Deno.test("priorSamples is row-major over the same stream, rounded to float32", () => {
  const z = priorSamples(0, 2, 5);
  assert.equal(z.length, 10);
  NUMPY_SEED0.forEach((v, i) => assert.ok(Math.abs(z[i] - v) < 1e-6, `${i}: ${z[i]} vs ${v}`));
  assert.deepEqual(priorSamples(7, 3, 4), priorSamples(7, 3, 4));
  assert.notDeepEqual(priorSamples(7, 3, 4), priorSamples(8, 3, 4));
});

Deno.test("prior samples have mean 0, variance 1 and uncorrelated coordinates", () => {
  const n = 50_000, d = 2;
  const z = priorSamples(123, n, d);
  let m0 = 0, m1 = 0;
  for (let i = 0; i < n; i++) (m0 += z[2 * i] / n, m1 += z[2 * i + 1] / n);
  let v0 = 0, v1 = 0, c = 0;
  for (let i = 0; i < n; i++) {
    v0 += (z[2 * i] - m0) ** 2 / n;
    v1 += (z[2 * i + 1] - m1) ** 2 / n;
    c += (z[2 * i] - m0) * (z[2 * i + 1] - m1) / n;
  }
  // Standard errors at n = 50,000: mean 0.0045, variance 0.0063, covariance 0.0045; 5 sigma bounds.
  for (const m of [m0, m1]) assert.ok(Math.abs(m) < 0.023, `mean ${m}`);
  for (const v of [v0, v1]) assert.ok(Math.abs(v - 1) < 0.032, `variance ${v}`);
  assert.ok(Math.abs(c) < 0.023, `covariance ${c}`);
});

Deno.test("priorSamples refuses bad shapes and seeds", () => {
  assert.throws(() => priorSamples(0, -1, 2), { code: "prior_bad_shape" });
  assert.throws(() => priorSamples(0, 2, 0), { code: "prior_bad_shape" });
  assert.throws(() => priorSamples(-1, 2, 2), { code: "rng_bad_seed" });
});
