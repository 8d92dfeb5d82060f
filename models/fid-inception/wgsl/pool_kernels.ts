/**
 * The network's 3x3 pools as WGSL kernels, one thread per output pixel and group of 4 channels, reading from
 * and writing to any channel slice of NHWC tensors (a pool branch writes straight into its block's output):
 * - avg_pool2d(3, stride 1, padding 1, count_include_pad=False): the sum over the in-bounds neighbours divided
 *   by their number, summed in torch's order (rows, then columns);
 * - max_pool2d(3, stride s, padding p): the max over the in-bounds neighbours (torch pads with -inf, so
 *   padding never wins).
 */

/** Number of u32 fields in a pool's uniform block. */
export const POOL_PARAM_WORDS = 12;

/** Threads per workgroup of the pool kernels. */
export const POOL_WORKGROUP = 256;

const POOL_PARAMS_WGSL = `struct Params {
  count: u32, c4: u32, h: u32, w: u32,
  oh: u32, ow: u32, stride: u32, pad: u32,
  xStride4: u32, xOff4: u32, yStride4: u32, yOff4: u32,
}`;

/** One pool dispatch: n images of h x w with c channels (a multiple of 4) into oh x ow. */
export interface PoolCall {
  n: number;
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  stride: number;
  pad: number;
  /** Input / output pixel stride and channel offset, in floats (multiples of 4). */
  xStride: number;
  xOff: number;
  yStride: number;
  yOff: number;
}

/** The uniform block of a pool dispatch. */
export function poolParams(call: PoolCall): Uint32Array {
  return Uint32Array.from([
    call.n * call.oh * call.ow * (call.c / 4),
    call.c / 4,
    call.h,
    call.w,
    call.oh,
    call.ow,
    call.stride,
    call.pad,
    call.xStride / 4,
    call.xOff / 4,
    call.yStride / 4,
    call.yOff / 4,
  ]);
}

/** Threads a pool dispatch needs (one per output pixel and channel quad). */
export function poolThreads(call: PoolCall): number {
  return call.n * call.oh * call.ow * (call.c / 4);
}

/** The WGSL of a 3x3 pool, "avg" (count_include_pad=False) or "max". Bindings: 0 params, 1 input, 2 output. */
export function poolShader(kind: "avg" | "max"): string {
  const init = kind === "avg" ? "vec4<f32>(0.0)" : "vec4<f32>(-3.4028234663852886e38)";
  const combine = kind === "avg" ? "acc = acc + v;" : "acc = max(acc, v);";
  const result = kind === "avg" ? "acc / f32(cnt)" : "acc";
  return `${POOL_PARAMS_WGSL}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;

@compute @workgroup_size(${POOL_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${POOL_WORKGROUP}u;
  if (i >= P.count) { return; }
  let cq = i % P.c4;
  let pix = i / P.c4;
  let ox = pix % P.ow;
  let oy = (pix / P.ow) % P.oh;
  let img = pix / (P.ow * P.oh);
  let y0 = i32(oy * P.stride) - i32(P.pad);
  let x0 = i32(ox * P.stride) - i32(P.pad);
  var acc = ${init};
  var cnt = 0u;
  for (var dy = 0; dy < 3; dy++) {
    let iy = y0 + dy;
    if (iy < 0 || iy >= i32(P.h)) { continue; }
    for (var dx = 0; dx < 3; dx++) {
      let ix = x0 + dx;
      if (ix < 0 || ix >= i32(P.w)) { continue; }
      let v = X[((img * P.h + u32(iy)) * P.w + u32(ix)) * P.xStride4 + P.xOff4 + cq];
      ${combine}
      cnt = cnt + 1u;
    }
  }
  Y[pix * P.yStride4 + P.yOff4 + cq] = ${result};
}`;
}
