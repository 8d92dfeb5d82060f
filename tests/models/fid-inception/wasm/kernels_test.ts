/** The copy kernels around OpenBLAS's GEMM (im2colRows, biasAct) against plain loops. */
import assert from "node:assert/strict";
import { instantiateInceptionKernels } from "../../../../models/fid-inception/wasm/kernels.ts";
import { seededRandom } from "../../../../tools/arrays.ts";

/** A fresh kernel instance with `floats` float32 of room after its heap base. */
function kernels(floats: number) {
  const k = instantiateInceptionKernels();
  const base = Math.ceil(k.heapBase() / 64) * 64;
  const need = base + 4 * floats - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  return { k, base };
}

Deno.test("im2colRows lays out each output row's patch tap by tap, zeros in the padding, for any row range", () => {
  // 2 images 7x6 with 3 channels, a 3x2 kernel, stride 2, padding 1 x 1 (odd sizes: rows cross images).
  const [n, inH, inW, cin, kh, kw, stride, ph, pw] = [2, 7, 6, 3, 3, 2, 2, 1, 1];
  const outH = Math.floor((inH + 2 * ph - kh) / stride) + 1,
    outW = Math.floor((inW + 2 * pw - kw) / stride) + 1;
  const depth = kh * kw * cin, m = n * outH * outW;
  const { k, base } = kernels(n * inH * inW * cin + m * depth);
  const x = new Float32Array(k.memory.buffer, base, n * inH * inW * cin);
  const r = seededRandom(3);
  for (let i = 0; i < x.length; i++) x[i] = r() + 0.5; // never 0, so a zero is padding
  const patches = base + 4 * x.length;
  const row0 = 5, rows = m - 7;
  k.im2colRows(base, inH, inW, cin, outW, outH * outW, row0, rows, kh, kw, stride, ph, pw, patches);
  const got = new Float32Array(k.memory.buffer, patches, rows * depth);
  for (let row = row0; row < row0 + rows; row++) {
    const img = Math.floor(row / (outH * outW)),
      oy = Math.floor((row % (outH * outW)) / outW),
      ox = row % outW;
    for (let dy = 0; dy < kh; dy++) {
      for (let dx = 0; dx < kw; dx++) {
        for (let c = 0; c < cin; c++) {
          const iy = oy * stride - ph + dy, ix = ox * stride - pw + dx;
          const inside = iy >= 0 && iy < inH && ix >= 0 && ix < inW;
          const want = inside ? x[((img * inH + iy) * inW + ix) * cin + c] : 0;
          assert.equal(
            got[(row - row0) * depth + (dy * kw + dx) * cin + c],
            want,
            `row ${row} tap ${dy},${dx} c ${c}`,
          );
        }
      }
    }
  }
});

Deno.test("biasAct adds the bias and applies ReLU only when asked, within c columns of rows of stride ldy", () => {
  const [rows, c, ldy] = [5, 11, 16]; // c not a multiple of 4: the scalar tail runs too
  const { k, base } = kernels(rows * ldy + c);
  const y = new Float32Array(k.memory.buffer, base, rows * ldy);
  const bias = new Float32Array(k.memory.buffer, base + 4 * rows * ldy, c);
  const r = seededRandom(8);
  for (let i = 0; i < y.length; i++) y[i] = 2 * r() - 1;
  for (let i = 0; i < c; i++) bias[i] = r() - 0.5;
  for (const relu of [0, 1]) {
    const before = y.slice();
    k.biasAct(base, rows, c, ldy, base + 4 * rows * ldy, relu);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < ldy; j++) {
        const v = before[i * ldy + j];
        const want = j >= c ? v : relu ? Math.max(0, Math.fround(v + bias[j])) : Math.fround(v + bias[j]);
        assert.equal(y[i * ldy + j], want, `relu ${relu}, [${i}][${j}]`);
      }
    }
    assert.ok(relu === 0 || y.some((v, i) => i % ldy < c && v === 0), "some value was clamped");
  }
});
