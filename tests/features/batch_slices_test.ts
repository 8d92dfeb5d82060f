/** Joining image batches decoded in parts (the pool's decodeImages) and the feature rows of slices. */
import assert from "node:assert/strict";
import { UnprocessableError } from "../../src/errors.ts";
import { concatFeatureRows, concatImageBatches, sliceImageBatch } from "../../src/features/batch_slices.ts";
import type { ImageBatch } from "../../src/features/extractor.ts";

const batch = (n: number, channels: 1 | 3, start: number): ImageBatch => ({
  n,
  height: 2,
  width: 1,
  channels,
  data: Float32Array.from({ length: n * 2 * channels }, (_, i) => start + i),
});

Deno.test("concatImageBatches joins parts in order and repeats gray parts over RGB when any part is RGB", () => {
  const joined = concatImageBatches([batch(1, 3, 0), batch(2, 1, 100), batch(1, 3, 200)]);
  assert.deepEqual([joined.n, joined.height, joined.width, joined.channels], [4, 2, 1, 3]);
  assert.deepEqual([...joined.data], [
    0,
    1,
    2,
    3,
    4,
    5, // RGB part as it was
    100,
    100,
    100,
    101,
    101,
    101,
    102,
    102,
    102,
    103,
    103,
    103, // gray part, each value over R, G, B
    200,
    201,
    202,
    203,
    204,
    205,
  ]);
  const gray = concatImageBatches([batch(1, 1, 0), batch(1, 1, 5)]);
  assert.deepEqual([gray.channels, [...gray.data]], [1, [0, 1, 5, 6]]);
  // Slicing then joining gives the batch back.
  const whole = batch(5, 3, 7);
  assert.deepEqual(concatImageBatches([sliceImageBatch(whole, 0, 2), sliceImageBatch(whole, 2, 5)]), whole);
});

Deno.test("concatImageBatches refuses parts of different sizes and an empty list", () => {
  const tall = { ...batch(1, 1, 0), height: 1, width: 2 };
  assert.throws(() => concatImageBatches([batch(1, 1, 0), tall]), UnprocessableError);
  assert.throws(
    () => concatImageBatches([]),
    (e: unknown) => e instanceof UnprocessableError && e.code === "images_empty",
  );
});

Deno.test("concatFeatureRows joins rows in order and refuses mixed dimensions", () => {
  const rows = concatFeatureRows([{ n: 1, dim: 2, data: Float32Array.of(1, 2) }, {
    n: 2,
    dim: 2,
    data: Float32Array.of(3, 4, 5, 6),
  }]);
  assert.deepEqual([rows.n, rows.dim, [...rows.data]], [3, 2, [1, 2, 3, 4, 5, 6]]);
  assert.throws(
    () =>
      concatFeatureRows([{ n: 1, dim: 2, data: new Float32Array(2) }, {
        n: 1,
        dim: 3,
        data: new Float32Array(3),
      }]),
    UnprocessableError,
  );
});
