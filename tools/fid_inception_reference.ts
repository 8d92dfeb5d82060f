/**
 * Test support for the FID InceptionV3: an independent, plainly written float64 implementation of the
 * network (naive conv / pools / concat on HWC images), its own key -> shape table transcribed from
 * torchvision's inception.py and pytorch-fid's inception.py, seeded random folded weights, and backend setup.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { seededRandom } from "./arrays.ts";

let wasmPathsSet = false;

/** Switches tfjs to "cpu" or "wasm" (wasm files from the npm package's dist folder). */
export async function useBackend(name: "cpu" | "wasm"): Promise<void> {
  if (name === "wasm" && !wasmPathsSet) {
    const dist = new URL(import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/")).pathname;
    setWasmPaths(dist.endsWith("/") ? dist : dist + "/");
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
}

/** One image, channels last, in float64. */
export interface Img {
  h: number;
  w: number;
  c: number;
  data: Float64Array;
}

/** A random image with values in [lo, hi). */
export function randomImg(h: number, w: number, c: number, seed: number, lo = -1, hi = 1): Img {
  const r = seededRandom(seed);
  const data = new Float64Array(h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * r();
  return { h, w, c, data };
}

/** One folded tensor. */
export interface Param {
  shape: number[];
  data: Float32Array;
}

/** Plain convolution, zero padding (ph, pw), then + bias and ReLU; weight HWIO. */
export function naiveConvRelu(
  x: Img,
  weight: Param,
  bias: Param,
  stride: number,
  ph: number,
  pw: number,
): Img {
  const [kh, kw, ci, co] = weight.shape;
  if (ci !== x.c) throw new Error(`conv expects ${ci} input channels, got ${x.c}`);
  const oh = Math.floor((x.h + 2 * ph - kh) / stride) + 1;
  const ow = Math.floor((x.w + 2 * pw - kw) / stride) + 1;
  const out = new Float64Array(oh * ow * co);
  const acc = new Float64Array(co);
  const W = weight.data;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let o = 0; o < co; o++) acc[o] = bias.data[o];
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * stride + ky - ph;
        if (iy < 0 || iy >= x.h) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * stride + kx - pw;
          if (ix < 0 || ix >= x.w) continue;
          const xBase = (iy * x.w + ix) * ci;
          const wBase = (ky * kw + kx) * ci * co;
          for (let i = 0; i < ci; i++) {
            const v = x.data[xBase + i];
            if (v === 0) continue;
            const wRow = wBase + i * co;
            for (let o = 0; o < co; o++) acc[o] += v * W[wRow + o];
          }
        }
      }
      const base = (oy * ow + ox) * co;
      for (let o = 0; o < co; o++) out[base + o] = acc[o] > 0 ? acc[o] : 0;
    }
  }
  return { h: oh, w: ow, c: co, data: out };
}

/** k x k pooling with stride and padding; "avg" divides by the in-bounds count (count_include_pad=False). */
export function naivePool(x: Img, kind: "avg" | "max", k: number, stride: number, pad: number): Img {
  const oh = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(oh * ow * x.c);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let ch = 0; ch < x.c; ch++) {
        let sum = 0;
        let count = 0;
        let max = -Infinity;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const iy = oy * stride + ky - pad;
            const ix = ox * stride + kx - pad;
            if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
            const v = x.data[(iy * x.w + ix) * x.c + ch];
            sum += v;
            count++;
            if (v > max) max = v;
          }
        }
        out[(oy * ow + ox) * x.c + ch] = kind === "avg" ? sum / count : max;
      }
    }
  }
  return { h: oh, w: ow, c: x.c, data: out };
}

/** Channel concatenation, in the order given. */
export function naiveConcat(parts: Img[]): Img {
  const { h, w } = parts[0];
  const c = parts.reduce((s, p) => s + p.c, 0);
  const out = new Float64Array(h * w * c);
  for (let p = 0; p < h * w; p++) {
    let off = 0;
    for (const part of parts) {
      if (part.h !== h || part.w !== w) throw new Error("concat of different spatial sizes");
      for (let ch = 0; ch < part.c; ch++) out[p * c + off + ch] = part.data[p * part.c + ch];
      off += part.c;
    }
  }
  return { h, w, c, data: out };
}

/** Spatial mean of every channel. */
export function naiveMean(x: Img): Float64Array {
  const out = new Float64Array(x.c);
  for (let p = 0; p < x.h * x.w; p++) for (let ch = 0; ch < x.c; ch++) out[ch] += x.data[p * x.c + ch];
  for (let ch = 0; ch < x.c; ch++) out[ch] /= x.h * x.w;
  return out;
}

// ---- Key -> shape table, transcribed from torchvision's Inception3 / pytorch-fid's fid_inception_v3 ----

type Row = [name: string, kh: number, kw: number, cin: number, cout: number];

function tableA(p: string, cin: number, pool: number): Row[] {
  return [
    [`${p}.branch1x1`, 1, 1, cin, 64],
    [`${p}.branch5x5_1`, 1, 1, cin, 48],
    [`${p}.branch5x5_2`, 5, 5, 48, 64],
    [`${p}.branch3x3dbl_1`, 1, 1, cin, 64],
    [`${p}.branch3x3dbl_2`, 3, 3, 64, 96],
    [`${p}.branch3x3dbl_3`, 3, 3, 96, 96],
    [`${p}.branch_pool`, 1, 1, cin, pool],
  ];
}
function tableB(p: string, cin: number): Row[] {
  return [
    [`${p}.branch3x3`, 3, 3, cin, 384],
    [`${p}.branch3x3dbl_1`, 1, 1, cin, 64],
    [`${p}.branch3x3dbl_2`, 3, 3, 64, 96],
    [`${p}.branch3x3dbl_3`, 3, 3, 96, 96],
  ];
}
function tableC(p: string, cin: number, c7: number): Row[] {
  return [
    [`${p}.branch1x1`, 1, 1, cin, 192],
    [`${p}.branch7x7_1`, 1, 1, cin, c7],
    [`${p}.branch7x7_2`, 1, 7, c7, c7],
    [`${p}.branch7x7_3`, 7, 1, c7, 192],
    [`${p}.branch7x7dbl_1`, 1, 1, cin, c7],
    [`${p}.branch7x7dbl_2`, 7, 1, c7, c7],
    [`${p}.branch7x7dbl_3`, 1, 7, c7, c7],
    [`${p}.branch7x7dbl_4`, 7, 1, c7, c7],
    [`${p}.branch7x7dbl_5`, 1, 7, c7, 192],
    [`${p}.branch_pool`, 1, 1, cin, 192],
  ];
}
function tableD(p: string, cin: number): Row[] {
  return [
    [`${p}.branch3x3_1`, 1, 1, cin, 192],
    [`${p}.branch3x3_2`, 3, 3, 192, 320],
    [`${p}.branch7x7x3_1`, 1, 1, cin, 192],
    [`${p}.branch7x7x3_2`, 1, 7, 192, 192],
    [`${p}.branch7x7x3_3`, 7, 1, 192, 192],
    [`${p}.branch7x7x3_4`, 3, 3, 192, 192],
  ];
}
function tableE(p: string, cin: number): Row[] {
  return [
    [`${p}.branch1x1`, 1, 1, cin, 320],
    [`${p}.branch3x3_1`, 1, 1, cin, 384],
    [`${p}.branch3x3_2a`, 1, 3, 384, 384],
    [`${p}.branch3x3_2b`, 3, 1, 384, 384],
    [`${p}.branch3x3dbl_1`, 1, 1, cin, 448],
    [`${p}.branch3x3dbl_2`, 3, 3, 448, 384],
    [`${p}.branch3x3dbl_3a`, 1, 3, 384, 384],
    [`${p}.branch3x3dbl_3b`, 3, 1, 384, 384],
    [`${p}.branch_pool`, 1, 1, cin, 192],
  ];
}

/** Every conv of the FID InceptionV3: module path, kernel h/w, in and out channels. */
export const REFERENCE_CONV_TABLE: readonly Row[] = [
  ["Conv2d_1a_3x3", 3, 3, 3, 32],
  ["Conv2d_2a_3x3", 3, 3, 32, 32],
  ["Conv2d_2b_3x3", 3, 3, 32, 64],
  ["Conv2d_3b_1x1", 1, 1, 64, 80],
  ["Conv2d_4a_3x3", 3, 3, 80, 192],
  ...tableA("Mixed_5b", 192, 32),
  ...tableA("Mixed_5c", 256, 64),
  ...tableA("Mixed_5d", 288, 64),
  ...tableB("Mixed_6a", 288),
  ...tableC("Mixed_6b", 768, 128),
  ...tableC("Mixed_6c", 768, 160),
  ...tableC("Mixed_6d", 768, 160),
  ...tableC("Mixed_6e", 768, 192),
  ...tableD("Mixed_7a", 768),
  ...tableE("Mixed_7b", 1280),
  ...tableE("Mixed_7c", 2048),
];

/**
 * Seeded random folded weights for the convs whose path starts with `prefix` (all by default), plus fc.weight
 * [1008, 2048] when `withFc`. He-uniform weights keep activations of order one through the ReLU stack.
 */
export function randomWeights(seed: number, prefix = "", withFc = true): Map<string, Param> {
  const r = seededRandom(seed);
  const m = new Map<string, Param>();
  for (const [name, kh, kw, cin, cout] of REFERENCE_CONV_TABLE) {
    if (!name.startsWith(prefix)) continue;
    const bound = Math.sqrt(6 / (kh * kw * cin));
    const w = new Float32Array(kh * kw * cin * cout);
    for (let i = 0; i < w.length; i++) w[i] = (2 * r() - 1) * bound;
    const b = new Float32Array(cout);
    for (let i = 0; i < cout; i++) b[i] = 0.2 * r() - 0.1;
    m.set(`${name}.weight`, { shape: [kh, kw, cin, cout], data: w });
    m.set(`${name}.bias`, { shape: [cout], data: b });
  }
  if (withFc) {
    const fc = new Float32Array(1008 * 2048);
    for (let i = 0; i < fc.length; i++) fc[i] = (2 * r() - 1) / Math.sqrt(2048);
    m.set("fc.weight", { shape: [1008, 2048], data: fc });
  }
  return m;
}

// ---- Naive forward pass, geometry written out at each call as in the PyTorch modules ----

type W = Map<string, Param>;

/** BasicConv2d(name) with the given stride and padding [h, w]. */
export function naiveBasic(x: Img, w: W, name: string, stride = 1, pad: [number, number] = [0, 0]): Img {
  const weight = w.get(`${name}.weight`);
  const bias = w.get(`${name}.bias`);
  if (!weight || !bias) throw new Error(`reference has no weights for ${name}`);
  return naiveConvRelu(x, weight, bias, stride, pad[0], pad[1]);
}

/** FIDInceptionA. */
export function naiveInceptionA(x: Img, w: W, p: string): Img {
  const b1 = naiveBasic(x, w, `${p}.branch1x1`);
  const b5 = naiveBasic(naiveBasic(x, w, `${p}.branch5x5_1`), w, `${p}.branch5x5_2`, 1, [2, 2]);
  let b3 = naiveBasic(x, w, `${p}.branch3x3dbl_1`);
  b3 = naiveBasic(b3, w, `${p}.branch3x3dbl_2`, 1, [1, 1]);
  b3 = naiveBasic(b3, w, `${p}.branch3x3dbl_3`, 1, [1, 1]);
  const bp = naiveBasic(naivePool(x, "avg", 3, 1, 1), w, `${p}.branch_pool`);
  return naiveConcat([b1, b5, b3, bp]);
}

/** InceptionB (Mixed_6a). */
export function naiveInceptionB(x: Img, w: W, p: string): Img {
  const b3 = naiveBasic(x, w, `${p}.branch3x3`, 2);
  let bd = naiveBasic(x, w, `${p}.branch3x3dbl_1`);
  bd = naiveBasic(bd, w, `${p}.branch3x3dbl_2`, 1, [1, 1]);
  bd = naiveBasic(bd, w, `${p}.branch3x3dbl_3`, 2);
  return naiveConcat([b3, bd, naivePool(x, "max", 3, 2, 0)]);
}

/** FIDInceptionC. */
export function naiveInceptionC(x: Img, w: W, p: string): Img {
  const b1 = naiveBasic(x, w, `${p}.branch1x1`);
  let b7 = naiveBasic(x, w, `${p}.branch7x7_1`);
  b7 = naiveBasic(b7, w, `${p}.branch7x7_2`, 1, [0, 3]);
  b7 = naiveBasic(b7, w, `${p}.branch7x7_3`, 1, [3, 0]);
  let bd = naiveBasic(x, w, `${p}.branch7x7dbl_1`);
  bd = naiveBasic(bd, w, `${p}.branch7x7dbl_2`, 1, [3, 0]);
  bd = naiveBasic(bd, w, `${p}.branch7x7dbl_3`, 1, [0, 3]);
  bd = naiveBasic(bd, w, `${p}.branch7x7dbl_4`, 1, [3, 0]);
  bd = naiveBasic(bd, w, `${p}.branch7x7dbl_5`, 1, [0, 3]);
  const bp = naiveBasic(naivePool(x, "avg", 3, 1, 1), w, `${p}.branch_pool`);
  return naiveConcat([b1, b7, bd, bp]);
}

/** InceptionD (Mixed_7a). */
export function naiveInceptionD(x: Img, w: W, p: string): Img {
  const b3 = naiveBasic(naiveBasic(x, w, `${p}.branch3x3_1`), w, `${p}.branch3x3_2`, 2);
  let b7 = naiveBasic(x, w, `${p}.branch7x7x3_1`);
  b7 = naiveBasic(b7, w, `${p}.branch7x7x3_2`, 1, [0, 3]);
  b7 = naiveBasic(b7, w, `${p}.branch7x7x3_3`, 1, [3, 0]);
  b7 = naiveBasic(b7, w, `${p}.branch7x7x3_4`, 2);
  return naiveConcat([b3, b7, naivePool(x, "max", 3, 2, 0)]);
}

/** FIDInceptionE_1 (pool "avg") / FIDInceptionE_2 (pool "max"). */
export function naiveInceptionE(x: Img, w: W, p: string, pool: "avg" | "max"): Img {
  const b1 = naiveBasic(x, w, `${p}.branch1x1`);
  const s = naiveBasic(x, w, `${p}.branch3x3_1`);
  const b3 = naiveConcat([
    naiveBasic(s, w, `${p}.branch3x3_2a`, 1, [0, 1]),
    naiveBasic(s, w, `${p}.branch3x3_2b`, 1, [1, 0]),
  ]);
  const d = naiveBasic(naiveBasic(x, w, `${p}.branch3x3dbl_1`), w, `${p}.branch3x3dbl_2`, 1, [1, 1]);
  const bd = naiveConcat([
    naiveBasic(d, w, `${p}.branch3x3dbl_3a`, 1, [0, 1]),
    naiveBasic(d, w, `${p}.branch3x3dbl_3b`, 1, [1, 0]),
  ]);
  const bp = naiveBasic(naivePool(x, pool, 3, 1, 1), w, `${p}.branch_pool`);
  return naiveConcat([b1, b3, bd, bp]);
}

/** pool0..pool3 and unbiased logits of one preprocessed image. */
export function naiveFidInception(x: Img, w: W): Record<string, Float64Array> {
  let t = naiveBasic(x, w, "Conv2d_1a_3x3", 2);
  t = naiveBasic(t, w, "Conv2d_2a_3x3");
  t = naiveBasic(t, w, "Conv2d_2b_3x3", 1, [1, 1]);
  t = naivePool(t, "max", 3, 2, 0);
  const pool0 = naiveMean(t);
  t = naiveBasic(t, w, "Conv2d_3b_1x1");
  t = naiveBasic(t, w, "Conv2d_4a_3x3");
  t = naivePool(t, "max", 3, 2, 0);
  const pool1 = naiveMean(t);
  t = naiveInceptionA(t, w, "Mixed_5b");
  t = naiveInceptionA(t, w, "Mixed_5c");
  t = naiveInceptionA(t, w, "Mixed_5d");
  t = naiveInceptionB(t, w, "Mixed_6a");
  for (const p of ["Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"]) t = naiveInceptionC(t, w, p);
  const pool2 = naiveMean(t);
  t = naiveInceptionD(t, w, "Mixed_7a");
  t = naiveInceptionE(t, w, "Mixed_7b", "avg");
  t = naiveInceptionE(t, w, "Mixed_7c", "max");
  const pool3 = naiveMean(t);
  const fc = w.get("fc.weight")!;
  const logits = new Float64Array(1008);
  for (let o = 0; o < 1008; o++) {
    let s = 0;
    for (let i = 0; i < 2048; i++) s += fc.data[o * 2048 + i] * pool3[i];
    logits[o] = s;
  }
  return { pool0, pool1, pool2, pool3, logits };
}

/** Stacks images into an NHWC float32 tensor. */
export function toTensor(imgs: Img[]): tf.Tensor4D {
  const { h, w, c } = imgs[0];
  const data = new Float32Array(imgs.length * h * w * c);
  imgs.forEach((im, i) => data.set(im.data, i * h * w * c));
  return tf.tensor4d(data, [imgs.length, h, w, c]);
}

/** Largest |a - b| relative to (1 + max |b|): float32 tfjs vs float64 reference. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return maxDiff / (1 + scale);
}
