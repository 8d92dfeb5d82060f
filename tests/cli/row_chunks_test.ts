import assert from "node:assert/strict";
import { chunkCount, rowChunks } from "../../cli/row_chunks.ts";
import { parseNpy } from "../../src/tensors/npy.ts";

Deno.test("rowChunks splits rows into .npy chunks of at most maxRows, in order, keeping the dtype", () => {
  const n = 23, dim = 3;
  const data = Float32Array.from({ length: n * dim }, (_, i) => i);
  const chunks = [...rowChunks({ n, dim, data }, 10)];
  assert.equal(chunks.length, chunkCount(n, 10));
  assert.deepEqual(chunks.map((c) => [c.index, c.rows]), [[0, 10], [1, 10], [2, 3]]);
  const back = chunks.flatMap((c) => {
    const a = parseNpy(c.npy);
    assert.equal(a.dtype, "float32");
    assert.deepEqual(a.shape, [c.rows, dim]);
    return [...a.data];
  });
  assert.deepEqual(back, [...data]);

  const f64 = [...rowChunks({ n: 2, dim: 1, data: Float64Array.of(1, 2) }, 5)];
  assert.equal(f64.length, 1);
  assert.equal(parseNpy(f64[0].npy).dtype, "float64");
  assert.equal(chunkCount(20, 10), 2);
  assert.equal(chunkCount(21, 10), 3);
});
