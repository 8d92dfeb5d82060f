import assert from "node:assert/strict";
import { fortranToC } from "../../src/tensors/fortran_order.ts";

/** Naive reference: for each C index, decode the multi-index and read the Fortran offset. */
function naive(src: number[], shape: number[]): number[] {
  const out: number[] = [];
  const total = shape.reduce((p, d) => p * d, 1);
  for (let c = 0; c < total; c++) {
    const idx: number[] = [];
    let rest = c;
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k] = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
    }
    let f = 0, stride = 1;
    for (let k = 0; k < shape.length; k++) {
      f += idx[k] * stride;
      stride *= shape[k];
    }
    out.push(src[f]);
  }
  return out;
}

Deno.test("fortranToC matches a naive index computation for 0-d to 4-d shapes", () => {
  const shapes = [[], [7], [2, 3], [3, 2], [1, 5], [2, 3, 4], [4, 1, 3], [2, 3, 2, 3], [0, 3], [3, 0, 2]];
  for (const shape of shapes) {
    const n = shape.reduce((p, d) => p * d, 1);
    const src = Float64Array.from({ length: n }, (_, i) => i * 1.5 - 7);
    const out = fortranToC(src, shape);
    assert.ok(out instanceof Float64Array);
    assert.notEqual(out, src);
    assert.deepEqual([...out], naive([...src], shape), `shape ${shape}`);
  }
});

Deno.test("fortranToC keeps the typed array class", () => {
  const u8 = fortranToC(Uint8Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
  assert.ok(u8 instanceof Uint8Array);
  assert.deepEqual([...u8], [1, 3, 5, 2, 4, 6]);
  assert.ok(fortranToC(new Float32Array(6), [3, 2]) instanceof Float32Array);
});
