/** What the compute threads remember between calls: the last result, decoded factors, FID-infinity sessions. */
import assert from "node:assert/strict";
import {
  FidInfinitySessions,
  LastResultMemo,
  ThreadNumerics,
} from "../../../engine/pipeline/thread_numerics.ts";
import { frechetDistance, prepareReference } from "../../../src/stats/frechet.ts";
import { encodeReferenceFactor } from "../../../src/stats/reference_factor_codec.ts";
import { fidInfinitySampleCounts } from "../../../src/stats/fid_infinity.ts";
import { RandomState } from "../../../src/stats/numpy_random.ts";
import { featuresToBytes } from "../../../src/tensors/feature_bytes.ts";
import { naiveMeanCov, randomFeatures } from "../../../tools/arrays.ts";

Deno.test("a request identical to the last one (key and inputs) is answered without computing again", () => {
  const memo = new LastResultMemo();
  let computed = 0;
  const fid = (key: string, mu: number[], sigma: number[]) =>
    memo.get(key, [Float64Array.from(mu), Float64Array.from(sigma)], () => ++computed);
  assert.equal(fid("ref:10", [1, 2], [1, 0, 0, 1]), 1);
  assert.equal(fid("ref:10", [1, 2], [1, 0, 0, 1]), 1, "same inputs: the remembered value");
  assert.equal(computed, 1);
  assert.equal(fid("ref:10", [1, 2], [1, 0, 0, 1.0000000000000002]), 2, "one ulp of sigma differs");
  assert.equal(fid("ref:11", [1, 2], [1, 0, 0, 1.0000000000000002]), 3, "another reference factor");
  assert.equal(fid("ref:11", [1, 2.5], [1, 0, 0, 1.0000000000000002]), 4, "another mean");
  // The caller changing its arrays afterwards does not fool it.
  const mu = Float64Array.from([0, 0]), sigma = Float64Array.from([2, 0, 0, 2]);
  memo.get("k", [mu, sigma], () => 10);
  sigma[0] = 3;
  assert.equal(memo.get("k", [mu, sigma], () => 11), 11);
  assert.equal(memo.get("k", [mu], () => 12), 12, "fewer inputs");
});

Deno.test("FID-infinity sessions give each prefix's FID, asking for the factor when it is not cached", () => {
  const n = 200, d = 3;
  const x = randomFeatures(n, d, 1);
  const refRows = randomFeatures(500, d, 2, 0.1);
  const ref = naiveMeanCov(refRows, 500, d);
  const factor = encodeReferenceFactor(prepareReference(ref.mu, ref.cov));
  const t = new ThreadNumerics("ts", null);
  const sessions = t.fidInfinity;
  sessions.start("s", n, d);
  for (const [a, b] of [[0, 77], [77, 78], [78, 200]]) {
    const { dtype, bytes } = featuresToBytes(x.subarray(a * d, b * d));
    sessions.add("s", bytes, dtype, b - a);
  }
  assert.equal(sessions.next("s", "ref"), null, "no factor cached yet: asks for it, keeps the prefix");
  const perm = new RandomState(0).permutation(n);
  const counts = fidInfinitySampleCounts(n);
  for (let k = 0; k < 15; k++) {
    const [nk, fid] = sessions.next("s", "ref", k === 0 ? factor : undefined)!;
    const rows = Float64Array.from({ length: nk * d }, (_, t) => x[perm[Math.floor(t / d)] * d + (t % d)]);
    const p = naiveMeanCov(rows, nk, d);
    assert.equal(nk, counts[k]);
    assert.ok(Math.abs(fid - frechetDistance(ref.mu, ref.cov, p.mu, p.cov)) < 1e-10, `prefix ${k}`);
  }
  assert.throws(() => sessions.next("s", "ref"), /no prefix left/);
  sessions.end("s");
  assert.throws(() => sessions.add("s", new Uint8Array(12), "float32", 1), /no FID-infinity session/);
  assert.ok(new FidInfinitySessions("ts", () => 0));
});
