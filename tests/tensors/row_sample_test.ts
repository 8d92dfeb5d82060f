import assert from "node:assert/strict";
import { RandomState } from "../../src/stats/numpy_random.ts";
import { featuresToBytes } from "../../src/tensors/feature_bytes.ts";
import { type FeatureBatch, gatherRows } from "../../src/tensors/row_sample.ts";
import { randomFeatures } from "../../tools/arrays.ts";

const D = 3;

function batchesOf(sizes: number[], seed: number) {
  const parts = sizes.map((n, i) => randomFeatures(n, D, seed + i));
  const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  parts.reduce((o, p) => (all.set(p, o), o + p.length), 0);
  async function* stream(): AsyncGenerator<FeatureBatch> {
    for (const [i, p] of parts.entries()) {
      const { dtype, bytes } = featuresToBytes(p);
      yield { n: sizes[i], dim: D, dtype, features: bytes };
    }
  }
  return { all, stream, total: sizes.reduce((s, n) => s + n, 0) };
}

Deno.test("gatherRows keeps every row, in order, up to the cap", async () => {
  const { all, stream, total } = batchesOf([5, 1, 7], 1);
  const got = await gatherRows(stream(), total, D, { maxRows: 13, seed: 0 });
  assert.deepEqual([got.n, got.sampled], [13, false]);
  assert.deepEqual(got.data, all);
});

Deno.test("gatherRows above the cap keeps exactly the rows numpy's RandomState.choice picks", async () => {
  const { all, stream, total } = batchesOf([40, 3, 25, 32], 7);
  const got = await gatherRows(stream(), total, D, { maxRows: 17, seed: 2020 });
  const picked = new RandomState(2020).choice(total, 17, false).sort();
  const expected = new Float32Array(17 * D);
  picked.forEach((r, i) => expected.set(all.subarray(r * D, (r + 1) * D), i * D));
  assert.deepEqual([got.n, got.sampled], [17, true]);
  assert.deepEqual(got.data, expected);
});

Deno.test("gatherRows refuses a stream whose row count differs from the expected total", async () => {
  const { stream, total } = batchesOf([4, 4], 3);
  await assert.rejects(gatherRows(stream(), total + 1, D, { maxRows: 100, seed: 0 }), RangeError);
});
