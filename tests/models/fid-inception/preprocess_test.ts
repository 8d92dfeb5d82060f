/** pytorch-fid's input pipeline (bilinear to 299, align_corners=False, then 2x - 1) vs hand values and a loop. */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import {
  FID_INCEPTION_INPUT_SIZE,
  preprocessForFidInception,
} from "../../../models/fid-inception/preprocess.ts";
import { UnprocessableError } from "../../../src/errors.ts";
import { type Img, randomImg, toTensor, useBackend } from "../../../tools/fid_inception_reference.ts";

/**
 * PyTorch's upsample_bilinear2d with align_corners=False, written out: source = (dst + 0.5) * in/out - 0.5,
 * negative sources clamped to 0, i0 = floor, i1 = i0 + 1 unless at the last row/column, no antialiasing.
 */
function torchBilinear(x: Img, oh: number, ow: number): Img {
  const out = new Float64Array(oh * ow * x.c);
  const src = (dst: number, inSize: number, outSize: number) => {
    const s = Math.max(0, (dst + 0.5) * (inSize / outSize) - 0.5);
    const i0 = Math.floor(s);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    return [i0, i1, s - i0];
  };
  for (let y = 0; y < oh; y++) {
    const [y0, y1, ly] = src(y, x.h, oh);
    for (let xo = 0; xo < ow; xo++) {
      const [x0, x1, lx] = src(xo, x.w, ow);
      for (let c = 0; c < x.c; c++) {
        const at = (yy: number, xx: number) => x.data[(yy * x.w + xx) * x.c + c];
        out[(y * ow + xo) * x.c + c] = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) +
          ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
      }
    }
  }
  return { h: oh, w: ow, c: x.c, data: out };
}

/** torchBilinear to 299 then 2x - 1, with grayscale repeated to RGB. */
function reference(x: Img): Float64Array {
  const r = torchBilinear(x, 299, 299);
  const out = new Float64Array(299 * 299 * 3);
  for (let p = 0; p < 299 * 299; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = 2 * r.data[p * r.c + (x.c === 1 ? 0 : c)] - 1;
  }
  return out;
}

async function run(x: tf.Tensor4D, size?: number): Promise<{ shape: number[]; data: Float32Array }> {
  const y = preprocessForFidInception(x, size);
  const out = { shape: y.shape, data: await y.data() as Float32Array };
  tf.dispose([x, y]);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`[${backend}] upscaling [0, 1] to 4 gives PyTorch's [0, .25, .75, 1], then 2x - 1, gray repeated to RGB`, async () => {
    await useBackend(backend);
    // F.interpolate(tensor([[[[0., 1.]]]]), size=(1, 4), mode="bilinear", align_corners=False) = [0, .25, .75, 1]:
    // sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 (past the last pixel, so pixel 1).
    const { shape, data } = await run(tf.tensor4d([0, 1, 0, 1], [1, 2, 2, 1]), 4);
    assert.deepEqual(shape, [1, 4, 4, 3]);
    const row = [-1, -0.5, 0.5, 1];
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) {
          assert.ok(Math.abs(data[(y * 4 + x) * 3 + c] - row[x]) < 1e-6, `(${y}, ${x}, ${c})`);
        }
      }
    }
  });

  Deno.test(`[${backend}] halving 4x4 averages each 2x2 block (no antialias widening)`, async () => {
    await useBackend(backend);
    const img = randomImg(4, 4, 3, 5, 0, 1);
    const { data } = await run(toTensor([img]), 2);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 2; x++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            s += img.data[((2 * y + dy) * 4 + 2 * x + dx) * 3 + c];
          }
          assert.ok(Math.abs(data[(y * 2 + x) * 3 + c] - (2 * (s / 4) - 1)) < 1e-6);
        }
      }
    }
  });

  Deno.test(`[${backend}] resizing to 299 matches PyTorch's bilinear loop for up/down-scaling, non-square and gray`, async () => {
    await useBackend(backend);
    const cases: [number, number, number][] = [[28, 28, 1], [32, 32, 3], [512, 384, 3], [300, 301, 3], [
      5,
      7,
      3,
    ], [299, 299, 3]];
    let seed = 40;
    for (const [h, w, c] of cases) {
      const img = randomImg(h, w, c, seed++, 0, 1);
      const { shape, data } = await run(toTensor([img]));
      assert.deepEqual(shape, [1, FID_INCEPTION_INPUT_SIZE, FID_INCEPTION_INPUT_SIZE, 3]);
      const err = maxAbsDiff(data, reference(img));
      // wasm computes source coordinates in float32 (as PyTorch's CPU kernel does for float input): near
      // coordinate s the rounding moves the interpolation weight by a few ulp(s), times 2 for 2x - 1.
      // A wrong convention (align_corners, no half-pixel shift) is off by 0.01 or more.
      const tol = 1e-5 + 8 * Math.max(h, w) * 2 ** -24;
      assert.ok(err < tol, `${h}x${w}x${c}: max abs difference ${err} (tolerance ${tol})`);
    }
  });
}

Deno.test("a batch is resized image by image, and 4-channel input is refused with a typed error", async () => {
  await useBackend("wasm");
  const imgs = [randomImg(20, 30, 3, 1, 0, 1), randomImg(20, 30, 3, 2, 0, 1)];
  const { shape, data } = await run(toTensor(imgs));
  assert.deepEqual(shape, [2, 299, 299, 3]);
  assert.ok(maxAbsDiff(data.subarray(299 * 299 * 3), reference(imgs[1])) < 1e-5);
  const rgba = tf.zeros([1, 8, 8, 4]) as tf.Tensor4D;
  assert.throws(
    () => preprocessForFidInception(rgba),
    (e: unknown) => e instanceof UnprocessableError && e.code === "inception_bad_channels",
  );
  rgba.dispose();
});
