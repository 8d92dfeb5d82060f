/** Stored batches regrouped into chunks: rows in order, one dtype and width per chunk, bounded bytes, fresh buffers. */
import assert from "node:assert/strict";
import { featureChunks } from "../../src/tensors/feature_chunks.ts";
import type { FeatureBatch } from "../../src/tensors/row_sample.ts";

async function* stream(batches: FeatureBatch[]) {
  for (const b of batches) yield b;
}

Deno.test("consecutive batches of one dtype and width share a chunk up to maxBytes; others start a new one", async () => {
  const batch = (n: number, dtype: "float32" | "float64", dim: number, fill: number): FeatureBatch => ({
    n,
    dim,
    dtype,
    features: new Uint8Array(n * dim * (dtype === "float32" ? 4 : 8)).fill(fill),
  });
  const input = [
    batch(2, "float32", 2, 1), // 16 bytes
    batch(3, "float32", 2, 2), // 24: 40 together
    batch(1, "float32", 2, 3), // 48 > 40: a new chunk
    batch(1, "float64", 2, 4), // another dtype
    batch(1, "float64", 3, 5), // another width
    batch(9, "float64", 3, 6), // over the limit alone: a chunk of its own
  ];
  const chunks = [];
  for await (const c of featureChunks(stream(input), 40)) chunks.push(c);
  assert.deepEqual(chunks.map((c) => [c.n, c.dtype, c.dim]), [
    [5, "float32", 2],
    [1, "float32", 2],
    [1, "float64", 2],
    [1, "float64", 3],
    [9, "float64", 3],
  ]);
  assert.deepEqual([...chunks[0].features], [...input[0].features, ...input[1].features]);
  assert.notEqual(chunks[4].features, input[5].features, "a fresh buffer, safe to hand over");
  assert.deepEqual(chunks[4].features, input[5].features);
  const none = [];
  for await (const c of featureChunks(stream([]), 40)) none.push(c);
  assert.deepEqual(none, []);
});
