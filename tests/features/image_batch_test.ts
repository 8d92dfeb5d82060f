import assert from "node:assert/strict";
import { UnprocessableError } from "../../src/errors.ts";
import { imageBatchFromNdArray } from "../../src/features/image_batch.ts";
import type { NdArray } from "../../src/tensors/ndarray.ts";

/** Value of pixel (i, y, x, c) in the test arrays: distinct for every position, within [0, 1]. */
function pixel(i: number, y: number, x: number, c: number): number {
  return (i * 1000 + y * 100 + x * 10 + c) / 4096;
}

/** Builds an array of shape `shape` where `at(index)` maps a C-order index tuple to (i, y, x, c). */
function build(shape: number[], at: (idx: number[]) => [number, number, number, number]): NdArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < size; k++) {
    data[k] = pixel(...at(idx));
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype: "float32", shape, data };
}

/** The NHWC Float32Array expected for n x h x w x c pixels. */
function expectedNhwc(n: number, h: number, w: number, c: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out.push(pixel(i, y, x, k));
    }
  }
  return out.map(Math.fround);
}

function assertCode(fn: () => unknown, code: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UnprocessableError, `expected UnprocessableError, got ${e}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

Deno.test("imageBatchFromNdArray keeps NHWC arrays and transposes NCHW arrays to NHWC", () => {
  const nhwc = imageBatchFromNdArray(build([2, 4, 5, 3], ([i, y, x, c]) => [i, y, x, c]));
  assert.deepEqual([nhwc.n, nhwc.height, nhwc.width, nhwc.channels], [2, 4, 5, 3]);
  assert.deepEqual([...nhwc.data], expectedNhwc(2, 4, 5, 3));
  const nchw = imageBatchFromNdArray(build([2, 3, 4, 5], ([i, c, y, x]) => [i, y, x, c]));
  assert.deepEqual([nchw.n, nchw.height, nchw.width, nchw.channels], [2, 4, 5, 3]);
  assert.deepEqual([...nchw.data], expectedNhwc(2, 4, 5, 3));
});

Deno.test("imageBatchFromNdArray reads N x H x W, N x H x W x 1 and N x 1 x H x W as grayscale", () => {
  const want = expectedNhwc(3, 6, 7, 1);
  const cases: [number[], (idx: number[]) => [number, number, number, number]][] = [
    [[3, 6, 7], ([i, y, x]) => [i, y, x, 0]],
    [[3, 6, 7, 1], ([i, y, x]) => [i, y, x, 0]],
    [[3, 1, 6, 7], ([i, _c, y, x]) => [i, y, x, 0]],
  ];
  for (const [shape, at] of cases) {
    const b = imageBatchFromNdArray(build(shape, at));
    assert.deepEqual([b.n, b.height, b.width, b.channels], [3, 6, 7, 1], `shape ${shape}`);
    assert.deepEqual([...b.data], want, `shape ${shape}`);
  }
});

Deno.test("imageBatchFromNdArray reads ambiguous shapes as NHWC unless a layout is given", () => {
  // 2 x 3 x 4 x 3: NHWC with height 3, or NCHW with width 3.
  const asNhwc = build([2, 3, 4, 3], ([i, y, x, c]) => [i, y, x, c]);
  const b = imageBatchFromNdArray(asNhwc);
  assert.deepEqual([b.height, b.width, b.channels], [3, 4, 3]);
  assert.deepEqual([...b.data], expectedNhwc(2, 3, 4, 3));
  const asNchw = build([2, 3, 4, 3], ([i, c, y, x]) => [i, y, x, c]);
  const d = imageBatchFromNdArray(asNchw, "NCHW");
  assert.deepEqual([d.height, d.width, d.channels], [4, 3, 3]);
  assert.deepEqual([...d.data], expectedNhwc(2, 4, 3, 3));
});

Deno.test("imageBatchFromNdArray divides uint8 by 255 and accepts float64 in [0, 1]", () => {
  const u8: NdArray = { dtype: "uint8", shape: [1, 2, 2], data: Uint8Array.of(0, 51, 204, 255) };
  assert.deepEqual([...imageBatchFromNdArray(u8).data], [0, 0.2, 0.8, 1].map(Math.fround));
  const f64: NdArray = { dtype: "float64", shape: [1, 1, 2, 1], data: Float64Array.of(0, 1) };
  assert.deepEqual([...imageBatchFromNdArray(f64).data], [0, 1]);
});

Deno.test("imageBatchFromNdArray rejects float values outside [0, 1] naming the range found", () => {
  const f: NdArray = { dtype: "float32", shape: [1, 2, 2], data: Float32Array.of(0, 12, 255, 3) };
  assertCode(() => imageBatchFromNdArray(f), "images_out_of_range", /\[0, 255\].*uint8/);
  const neg: NdArray = { dtype: "float32", shape: [1, 1, 2], data: Float32Array.of(-1, 0.5) };
  assertCode(() => imageBatchFromNdArray(neg), "images_out_of_range", /\[-1, 0.5\]/);
  const nan: NdArray = { dtype: "float64", shape: [1, 1, 2], data: Float64Array.of(NaN, 0.5) };
  assertCode(() => imageBatchFromNdArray(nan), "images_out_of_range", /NaN/);
});

Deno.test("imageBatchFromNdArray rejects shapes without a 1- or 3-channel axis, other ranks and empty batches", () => {
  const z = (shape: number[]): NdArray => ({
    dtype: "uint8",
    shape,
    data: new Uint8Array(shape.reduce((a, b) => a * b, 1)),
  });
  assertCode(() => imageBatchFromNdArray(z([2, 4, 5, 4])), "images_bad_channels", /\(2, 4, 5, 4\)/);
  assertCode(() => imageBatchFromNdArray(z([2, 3, 4, 5]), "NHWC"), "images_bad_channels", /NHWC/);
  assertCode(() => imageBatchFromNdArray(z([10, 784])), "images_bad_shape", /2 dimensions/);
  assertCode(() => imageBatchFromNdArray(z([0, 28, 28])), "images_empty");
  assertCode(() => imageBatchFromNdArray(z([2, 0, 28, 3])), "images_empty");
});
