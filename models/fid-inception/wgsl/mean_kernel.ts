/**
 * The spatial mean of each channel per image (adaptive_avg_pool2d to 1x1, how pytorch-fid reads every
 * output) as a WGSL kernel. A workgroup takes one image and 64 channels (16 vec4 columns); its 16 lanes per
 * column each sum every 16th position in float32, then a tree in workgroup memory adds the 16 partial sums:
 * short sequential runs keep the rounding error of a 5,329-position mean (pool0) near float32's resolution.
 */

/** Number of u32 fields in the mean's uniform block. */
export const MEAN_PARAM_WORDS = 8;

const LANES = 16;
const COLUMNS = 16;

/** One mean dispatch: n images of hw positions with c channels into rows of the features buffer. */
export interface MeanCall {
  n: number;
  hw: number;
  /** Channels (a multiple of 4); the input is a whole tensor of c channels per pixel. */
  c: number;
  /** Output row stride and offset, in floats (multiples of 4). */
  yStride: number;
  yOff: number;
}

/** The uniform block of a mean dispatch. */
export function meanParams(call: MeanCall): Uint32Array {
  return Uint32Array.from([
    call.n,
    call.hw,
    call.c / 4,
    Math.ceil(call.c / (4 * COLUMNS)),
    call.yStride / 4,
    call.yOff / 4,
    0,
    0,
  ]);
}

/** Workgroups a mean dispatch needs. */
export function meanWorkgroups(call: MeanCall): number {
  return call.n * Math.ceil(call.c / (4 * COLUMNS));
}

/** The WGSL of the mean kernel. Bindings: 0 params, 1 input (vec4 NHWC), 2 output rows (vec4). */
export function meanShader(): string {
  return `struct Params { n: u32, hw: u32, c4: u32, groups: u32, yStride4: u32, yOff4: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Y: array<vec4<f32>>;
var<workgroup> S: array<vec4<f32>, ${LANES * COLUMNS}>;

@compute @workgroup_size(${LANES * COLUMNS})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let id = wg.x + wg.y * nwg.x;
  if (id >= P.n * P.groups) { return; }
  let img = id / P.groups;
  let cq = (id % P.groups) * ${COLUMNS}u + li % ${COLUMNS}u;
  let lane = li / ${COLUMNS}u;
  var sum = vec4<f32>(0.0);
  if (cq < P.c4) {
    for (var p = lane; p < P.hw; p += ${LANES}u) {
      sum = sum + X[(img * P.hw + p) * P.c4 + cq];
    }
  }
  S[li] = sum;
  workgroupBarrier();
  for (var half = ${LANES / 2}u; half > 0u; half = half / 2u) {
    if (lane < half) { S[li] = S[li] + S[li + half * ${COLUMNS}u]; }
    workgroupBarrier();
  }
  if (lane == 0u && cq < P.c4) {
    Y[img * P.yStride4 + P.yOff4 + cq] = S[li] / f32(P.hw);
  }
}`;
}
