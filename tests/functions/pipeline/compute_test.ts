import assert from "node:assert/strict";
import { FidMemo } from "../../../functions/pipeline/compute.ts";

Deno.test("an FID request identical to the last one (key, mu, sigma) is answered without computing again", () => {
  const memo = new FidMemo();
  let computed = 0;
  const fid = (key: string, mu: number[], sigma: number[]) =>
    memo.fid(key, Float64Array.from(mu), Float64Array.from(sigma), () => ++computed);
  assert.equal(fid("ref:10", [1, 2], [1, 0, 0, 1]), 1);
  assert.equal(fid("ref:10", [1, 2], [1, 0, 0, 1]), 1, "same inputs: the remembered value");
  assert.equal(computed, 1);
  assert.equal(fid("ref:10", [1, 2], [1, 0, 0, 1.0000000000000002]), 2, "one ulp of sigma differs");
  assert.equal(fid("ref:11", [1, 2], [1, 0, 0, 1.0000000000000002]), 3, "another reference factor");
  assert.equal(fid("ref:11", [1, 2.5], [1, 0, 0, 1.0000000000000002]), 4, "another mean");
  // The caller changing its arrays afterwards does not fool it.
  const mu = Float64Array.from([0, 0]), sigma = Float64Array.from([2, 0, 0, 2]);
  memo.fid("k", mu, sigma, () => 10);
  sigma[0] = 3;
  assert.equal(memo.fid("k", mu, sigma, () => 11), 11);
});
