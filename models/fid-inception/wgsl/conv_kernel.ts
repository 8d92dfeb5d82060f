/**
 * The convolution kernel of the WGSL engine: BasicConv2d (batch norm folded into weights and bias) + ReLU as an
 * implicit GEMM, Y[m, n] = relu(bias[n] + sum_k A[m, k] W[k, n]), where m runs over output pixels (image, oy,
 * ox), n over output channels and k over (ky, kx, input channel) -- the folded HWIO weights are exactly W.
 *
 * Register tiling through workgroup memory: a workgroup computes a BM x BN tile of Y; per step it stages a
 * BM x BK slice of A (gathered from the NHWC input, zero outside the image) and a BK x BN slice of W in
 * workgroup memory, and each thread accumulates a TM x TN block in named vec4 variables -- never a private
 * array, which the GPU compilers keep in local memory (the issue measured 5x slower). The next step's global
 * loads are issued before the current step's multiply-adds, so their latency hides behind the arithmetic.
 *
 * Every input channel count the network has (4 after the first conv's padding, 32 ... 2048) is a multiple of
 * BK, so a BK-wide slice of k never straddles two kernel taps: the tap (ky, kx) is worked out once per step,
 * and each A load is one vec4 of 4 consecutive channels of one pixel. N is padded with zero weights to a
 * multiple of 128 (the widest BN), so W loads need no bounds checks; rows past M and columns past N are
 * simply not stored. The output goes to any channel slice of any NHWC tensor (yStride4, yOff4): each branch
 * of an Inception block writes straight into its part of the block's concatenated output.
 */
import type { ConvSpec } from "../blocks.ts";

/** A tile shape: BM x BN output tile, BK-deep steps, TM x TN outputs per thread (TM, TN multiples of 4). */
export interface ConvTile {
  bm: number;
  bn: number;
  bk: number;
  tm: number;
  tn: number;
}

/** "pointwise": 1x1, stride 1, no padding (A is the input itself); "general": any kernel, stride, padding. */
export type ConvGeometry = "pointwise" | "general";

/** Number of u32 fields in the conv's uniform block (see CONV_PARAMS_WGSL). */
export const CONV_PARAM_WORDS = 20;

const CONV_PARAMS_WGSL = `struct Params {
  m: u32, n: u32, ktiles: u32, cin: u32,
  h: u32, w: u32, oh: u32, ow: u32,
  stride: u32, ph: u32, pw: u32, kw: u32,
  xStride4: u32, xOff4: u32, yStride4: u32, yOff4: u32,
  wRow4: u32, biasOff4: u32, tilesN: u32, flags: u32,
}`;

/** What a conv dispatch computes: shapes (m = images * oh * ow) and where input and output lie. */
export interface ConvCall {
  m: number;
  /** Output channels (a multiple of 4). */
  n: number;
  /** Input channels (a multiple of the tile's bk). */
  cin: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  stride: number;
  ph: number;
  pw: number;
  /** Input pixel stride and channel offset, in floats (multiples of 4). */
  xStride: number;
  xOff: number;
  /** Output pixel stride and channel offset, in floats (multiples of 4). */
  yStride: number;
  yOff: number;
  /** Row length of the padded weight matrix, in floats. */
  wRow: number;
  relu: boolean;
}

/** Where a conv reads and writes: pixel strides and channel offsets (floats), and its weight rows' length. */
export type ConvPlacement = Pick<ConvCall, "xStride" | "xOff" | "yStride" | "yOff" | "wRow">;

/** The call of a conv `spec` over n images of h x w, reading and writing where `at` says. */
export function convCall(
  spec: ConvSpec,
  n: number,
  h: number,
  w: number,
  at: ConvPlacement,
  relu: boolean,
): ConvCall {
  const [kh, kw] = spec.kernel;
  const [ph, pw] = spec.padding;
  const oh = Math.floor((h + 2 * ph - kh) / spec.stride) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / spec.stride) + 1;
  return {
    m: n * oh * ow,
    n: spec.outChannels,
    cin: spec.inChannels,
    h,
    w,
    oh,
    ow,
    kh,
    kw,
    stride: spec.stride,
    ph,
    pw,
    ...at,
    relu,
  };
}

/** The uniform block of one dispatch of `call` with `tile`. */
export function convParams(call: ConvCall, tile: ConvTile): Uint32Array {
  const k = call.kh * call.kw * call.cin;
  if (call.cin % tile.bk !== 0 || call.n % 4 !== 0) {
    throw new Error(`conv: cin ${call.cin} must be a multiple of bk ${tile.bk}, n ${call.n} of 4`);
  }
  for (const v of [call.xStride, call.xOff, call.yStride, call.yOff, call.wRow]) {
    if (v % 4 !== 0) throw new Error(`conv: strides and offsets must be multiples of 4, got ${v}`);
  }
  return Uint32Array.from([
    call.m,
    call.n,
    k / tile.bk,
    call.cin,
    call.h,
    call.w,
    call.oh,
    call.ow,
    call.stride,
    call.ph,
    call.pw,
    call.kw,
    call.xStride / 4,
    call.xOff / 4,
    call.yStride / 4,
    call.yOff / 4,
    call.wRow / 4,
    (k * call.wRow) / 4,
    Math.ceil(call.n / tile.bn),
    call.relu ? 1 : 0,
  ]);
}

/** Workgroups a dispatch of `call` needs with `tile` (before folding into the 2D dispatch grid). */
export function convWorkgroups(call: ConvCall, tile: ConvTile): number {
  return Math.ceil(call.m / tile.bm) * Math.ceil(call.n / tile.bn);
}

/** Threads per workgroup of a tile. */
export function tileThreads(tile: ConvTile): number {
  return (tile.bm / tile.tm) * (tile.bn / tile.tn);
}

/** Bytes of workgroup memory a tile stages (A with one vec4 of padding per k row, against bank conflicts). */
export function tileWorkgroupBytes(tile: ConvTile): number {
  return 16 * tile.bk * (tile.bm / 4 + 1) + 4 * tile.bk * tile.bn;
}

/** Checks that a tile is one this generator can build. */
export function checkTile(t: ConvTile): void {
  const ok = t.tm % 4 === 0 && t.tn % 4 === 0 && t.bm % t.tm === 0 && t.bn % t.tn === 0 &&
    t.bk % 4 === 0 && 128 % t.bn === 0;
  if (!ok) throw new Error(`unsupported conv tile ${JSON.stringify(t)}`);
}

/** A stable name for a tile and geometry (pipeline cache key). */
export function tileKey(t: ConvTile, geometry: ConvGeometry): string {
  return `${geometry}-${t.bm}x${t.bn}x${t.bk}-${t.tm}x${t.tn}`;
}

/**
 * The WGSL of the conv kernel for one tile shape and geometry. Bindings: 0 params (uniform), 1 input
 * (vec4 NHWC), 2 weights (vec4 [K][wRow] then the bias), 3 output (vec4 NHWC).
 */
export function convShader(tile: ConvTile, geometry: ConvGeometry): string {
  checkTile(tile);
  const { bm, bn, bk, tm, tn } = tile;
  const threads = tileThreads(tile);
  const bk4 = bk / 4, bm4 = bm / 4, bn4 = bn / 4;
  const aStride = bm4 + 1; // vec4s per k row of As
  const rowThreads = bm / tm, colThreads = bn / tn;
  const rq = tm / 4, cq = tn / 4; // row quads and column quads per thread
  const aLoads = Math.ceil((bm * bk4) / threads), aExact = (bm * bk4) % threads === 0;
  const bLoads = Math.ceil((bk * bn4) / threads), bExact = (bk * bn4) % threads === 0;
  const lines: string[] = [];
  const emit = (s: string) => lines.push(s);

  emit(CONV_PARAMS_WGSL);
  emit(`@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> W: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> Y: array<vec4<f32>>;
var<workgroup> As: array<vec4<f32>, ${bk * aStride}>;
var<workgroup> Bs: array<vec4<f32>, ${bk * bn4}>;

@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let tileId = wg.x + wg.y * nwg.x;
  if (tileId >= P.tilesN * ((P.m + ${bm - 1}u) / ${bm}u)) { return; }
  let tileN = tileId % P.tilesN;
  let tileM = tileId / P.tilesN;
  let m0 = tileM * ${bm}u;
  let n04 = tileN * ${bn4}u;
  let tx = li % ${colThreads}u;
  let ty = li / ${colThreads}u;`);

  // Per A load slot: the row it fills (fixed for the whole k loop) and where that row's pixel lies.
  for (let j = 0; j < aLoads; j++) {
    emit(`  let aIdx${j} = li + ${j * threads}u;`);
    emit(`  let aRow${j} = aIdx${j} / ${bk4}u;`);
    emit(`  let aKq${j} = aIdx${j} % ${bk4}u;`);
    emit(`  let aM${j} = m0 + aRow${j};`);
    const live = aExact ? `aM${j} < P.m` : `aM${j} < P.m && aIdx${j} < ${bm * bk4}u`;
    emit(`  let aLive${j} = ${live};`);
    if (geometry === "pointwise") {
      emit(`  let aBase${j} = aM${j} * P.xStride4 + P.xOff4 + aKq${j};`);
    } else {
      emit(`  let aImg${j} = aM${j} / (P.oh * P.ow);`);
      emit(`  let aPix${j} = aM${j} % (P.oh * P.ow);`);
      emit(`  let aIy${j} = i32((aPix${j} / P.ow) * P.stride) - i32(P.ph);`);
      emit(`  let aIx${j} = i32((aPix${j} % P.ow) * P.stride) - i32(P.pw);`);
      emit(`  let aImgBase${j} = aImg${j} * P.h;`);
    }
  }
  for (let j = 0; j < bLoads; j++) {
    emit(`  let bIdx${j} = li + ${j * threads}u;`);
    emit(`  let bK${j} = bIdx${j} / ${bn4}u;`);
    emit(`  let bNq${j} = bIdx${j} % ${bn4}u;`);
  }
  for (let j = 0; j < aLoads; j++) emit(`  var pa${j} = vec4<f32>(0.0);`);
  for (let j = 0; j < bLoads; j++) emit(`  var pb${j} = vec4<f32>(0.0);`);
  for (let r = 0; r < tm; r++) {
    for (let c = 0; c < cq; c++) emit(`  var acc${r}_${c} = vec4<f32>(0.0);`);
  }

  // Global loads of step t into pa*/pb*.
  const load: string[] = [];
  load.push(`    let k0 = t * ${bk}u;`);
  if (geometry === "pointwise") {
    load.push(`    let kq0 = k0 / 4u;`);
    for (let j = 0; j < aLoads; j++) {
      load.push(`    if (aLive${j}) { pa${j} = X[aBase${j} + kq0]; } else { pa${j} = vec4<f32>(0.0); }`);
    }
  } else {
    load.push(`    let tap = k0 / P.cin;`);
    load.push(`    let ci4 = (k0 - tap * P.cin) / 4u;`);
    load.push(`    let ky = i32(tap / P.kw);`);
    load.push(`    let kx = i32(tap % P.kw);`);
    for (let j = 0; j < aLoads; j++) {
      load.push(`    {
      let iy = aIy${j} + ky;
      let ix = aIx${j} + kx;
      if (aLive${j} && iy >= 0 && iy < i32(P.h) && ix >= 0 && ix < i32(P.w)) {
        pa${j} = X[((aImgBase${j} + u32(iy)) * P.w + u32(ix)) * P.xStride4 + P.xOff4 + ci4 + aKq${j}];
      } else { pa${j} = vec4<f32>(0.0); }
    }`);
    }
  }
  for (let j = 0; j < bLoads; j++) {
    const guard = bExact ? "" : `if (bIdx${j} < ${bk * bn4}u) `;
    load.push(`    ${guard}{ pb${j} = W[(k0 + bK${j}) * P.wRow4 + n04 + bNq${j}]; }`);
  }

  // pa*/pb* into workgroup memory: A transposed to [k][m] so a thread reads 4 rows as one vec4.
  const store: string[] = [];
  for (let j = 0; j < aLoads; j++) {
    const body = [0, 1, 2, 3].map((e) =>
      `As[(aKq${j} * 4u + ${e}u) * ${aStride}u + aRow${j} / 4u][aRow${j} % 4u] = pa${j}[${e}];`
    ).join(" ");
    store.push(aExact ? `    ${body}` : `    if (aIdx${j} < ${bm * bk4}u) { ${body} }`);
  }
  for (let j = 0; j < bLoads; j++) {
    const body = `Bs[bK${j} * ${bn4}u + bNq${j}] = pb${j};`;
    store.push(bExact ? `    ${body}` : `    if (bIdx${j} < ${bk * bn4}u) { ${body} }`);
  }

  emit(`  {
    let t = 0u;
${load.join("\n")}
  }
  for (var t = 0u; t < P.ktiles; t++) {
${store.join("\n")}
    workgroupBarrier();
    if (t + 1u < P.ktiles) {
      let t = t + 1u;
${load.join("\n")}
    }`);
  // The BK multiply-add steps, unrolled: TM/4 vec4 reads of A, TN/4 of B, TM x TN/4 vec4 FMAs.
  for (let kk = 0; kk < bk; kk++) {
    for (let i = 0; i < rq; i++) {
      emit(`    let a${i}_${kk} = As[${kk * aStride}u + ty + ${i * rowThreads}u];`);
    }
    for (let c = 0; c < cq; c++) emit(`    let b${c}_${kk} = Bs[${kk * bn4}u + tx + ${c * colThreads}u];`);
    for (let r = 0; r < tm; r++) {
      const a = `a${Math.floor(r / 4)}_${kk}[${r % 4}]`;
      for (let c = 0; c < cq; c++) {
        emit(`    acc${r}_${c} = fma(vec4<f32>(${a}), b${c}_${kk}, acc${r}_${c});`);
      }
    }
  }
  emit(`    workgroupBarrier();
  }`);

  // Epilogue: bias, ReLU, masked vec4 stores into the output slice.
  for (let c = 0; c < cq; c++) {
    emit(`  let nq${c} = n04 + tx + ${c * colThreads}u;`);
    emit(`  let bias${c} = W[P.biasOff4 + nq${c}];`);
  }
  for (let r = 0; r < tm; r++) {
    const row = `(ty + ${Math.floor(r / 4) * rowThreads}u) * 4u + ${r % 4}u`;
    emit(`  {
    let m = m0 + ${row};
    if (m < P.m) {`);
    for (let c = 0; c < cq; c++) {
      emit(`      if (nq${c} * 4u < P.n) {
        var v = acc${r}_${c} + bias${c};
        if (P.flags == 1u) { v = max(v, vec4<f32>(0.0)); }
        Y[m * P.yStride4 + P.yOff4 + nq${c}] = v;
      }`);
    }
    emit(`    }
  }`);
  }
  emit(`}`);
  return lines.join("\n");
}
