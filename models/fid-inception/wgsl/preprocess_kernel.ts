/**
 * pytorch-fid's input pipeline on the GPU: pixels (uint8 0..255 or float 0..1, NHWC or NCHW, 1 or 3 channels)
 * -> F.interpolate(size=(299, 299), mode="bilinear", align_corners=False) -> 2x - 1, written as the network's
 * NHWC input with a zero 4th channel (so the first conv's input channels, like every other conv's, come in
 * vec4s).
 *
 * The arithmetic is torch's CPU upsample_bilinear2d: source = max(scale * (dst + 0.5) - 0.5, 0) with
 * scale = in / out in float32, the upper neighbour clamped to the last row/column, and
 * h0 * (w0 * x00 + w1 * x01) + h1 * (w0 * x10 + w1 * x11). At the same size every weight is 0 or 1, so the
 * pixels pass through exactly. uint8 values are mapped through a table of v / 255 rounded once to float32 (the
 * value the CPU path computes), so both inputs give the same floats. Grayscale is repeated to 3 channels
 * (bilinear works per channel, so resizing first is the same).
 */

/** Number of u32 fields in the preprocess uniform block. */
export const PREPROCESS_PARAM_WORDS = 16;

/** Threads per workgroup of the preprocess kernel (one thread per output pixel). */
export const PREPROCESS_WORKGROUP = 256;

/** The dtypes the kernel reads. */
export type PixelType = "uint8" | "float32";

/** One run of images in the raw input buffer and where their resized pixels go. */
export interface PreprocessCall {
  n: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** Element strides of image, row, column and channel (NHWC or NCHW). */
  strides: [number, number, number, number];
  /** Element offset of the first image in the raw buffer (for uint8, a multiple of 4 bytes). */
  srcOffset: number;
  /** Index of the first output image. */
  firstImage: number;
  /** Output side (299). */
  size: number;
}

/** The uniform block of a preprocess dispatch. */
export function preprocessParams(call: PreprocessCall): Uint32Array {
  const words = new Uint32Array(PREPROCESS_PARAM_WORDS);
  const floats = new Float32Array(words.buffer);
  words.set([
    call.n * call.size * call.size,
    call.height,
    call.width,
    call.channels,
    ...call.strides,
    call.srcOffset,
    call.firstImage,
    call.size,
  ]);
  // torch: scale = (float) input_size / output_size.
  floats[11] = Math.fround(call.height / call.size);
  floats[12] = Math.fround(call.width / call.size);
  return words;
}

/** v / 255 as float32 for every byte value: the table the uint8 kernel reads. */
export function unitByteTable(): Float32Array {
  return Float32Array.from({ length: 256 }, (_, v) => v / 255);
}

/**
 * The WGSL of the preprocess kernel for uint8 or float32 input. Bindings: 0 params, 1 raw input (u32 words
 * holding 4 bytes each, or f32), 2 the byte table (uint8 only; float32 binds it too, unused), 3 the output.
 */
export function preprocessShader(type: PixelType): string {
  const fetch = type === "uint8"
    ? `fn px(e: u32) -> f32 {
  let word = R[e >> 2u];
  return T[(word >> ((e & 3u) * 8u)) & 255u];
}`
    : `fn px(e: u32) -> f32 { return R[e]; }`;
  const raw = type === "uint8" ? "array<u32>" : "array<f32>";
  return `struct Params {
  count: u32, h: u32, w: u32, c: u32,
  sImg: u32, sY: u32, sX: u32, sC: u32,
  src: u32, first: u32, size: u32, scaleY: f32,
  scaleX: f32, pad0: u32, pad1: u32, pad2: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> R: ${raw};
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<vec4<f32>>;

${fetch}

fn source(dst: u32, scale: f32) -> f32 {
  return max(scale * (f32(dst) + 0.5) - 0.5, 0.0);
}

@compute @workgroup_size(${PREPROCESS_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${PREPROCESS_WORKGROUP}u;
  if (i >= P.count) { return; }
  let x = i % P.size;
  let y = (i / P.size) % P.size;
  let img = i / (P.size * P.size);
  let sy = source(y, P.scaleY);
  let sx = source(x, P.scaleX);
  let y0 = u32(sy);
  let x0 = u32(sx);
  let y1 = select(y0, y0 + 1u, y0 + 1u < P.h);
  let x1 = select(x0, x0 + 1u, x0 + 1u < P.w);
  let hl1 = sy - f32(y0);
  let hl0 = 1.0 - hl1;
  let wl1 = sx - f32(x0);
  let wl0 = 1.0 - wl1;
  let base = P.src + img * P.sImg;
  var out = vec4<f32>(0.0);
  for (var c = 0u; c < 3u; c++) {
    let cc = select(c, 0u, P.c == 1u);
    let b = base + cc * P.sC;
    let v00 = px(b + y0 * P.sY + x0 * P.sX);
    let v01 = px(b + y0 * P.sY + x1 * P.sX);
    let v10 = px(b + y1 * P.sY + x0 * P.sX);
    let v11 = px(b + y1 * P.sY + x1 * P.sX);
    let v = hl0 * (wl0 * v00 + wl1 * v01) + hl1 * (wl0 * v10 + wl1 * v11);
    out[c] = 2.0 * v - 1.0;
  }
  Y[(P.first + img) * P.size * P.size + y * P.size + x] = out;
}`;
}
