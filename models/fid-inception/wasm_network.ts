/**
 * pytorch-fid's FID InceptionV3 on this project's WebAssembly SIMD kernels (wasm/inception_kernels.as): the
 * CPU path. Same topology (topology.ts), same folded weights and the same float32 arithmetic as the tfjs
 * network (network.ts), which stays the WebGPU path and the reference the tests compare this one with.
 *
 * Why not tfjs-backend-wasm on the CPU: its XNNPACK convolutions (no fused multiply-add) ran the network at
 * ~3 images/s per core here; the kernels here use relaxed-SIMD fused multiply-add (~6). Given OpenBLAS
 * (src/native/openblas.ts), the matrix products, ~60% of the work, run there instead (AVX-512 where the
 * processor has it: ~14 images/s per core here) while the transforms, pools and copies stay in WebAssembly.
 * bench/extraction_bench.ts measures all of them side by side with torch.
 *
 * Memory: one WebAssembly memory per network holds a zero row (padding, and the zero bias of the logits),
 * the packed weights, the pooled features, and two arenas. Forward steps alternate between the arenas: a step
 * reads its input from one and bump-allocates its intermediates and output in the other, so two steps'
 * activations are alive at a time. A dry run of the same code (no kernel calls) sizes the arenas for a chunk
 * of images; batches run chunk by chunk, so memory is bounded whatever the batch.
 */
import * as tf from "@tensorflow/tfjs-core";
import { UnprocessableError } from "../../src/errors.ts";
import type { ConvSpec } from "./blocks.ts";
import {
  checkNetworkInput,
  fcWeightHwio,
  FID_INCEPTION_CLASSES,
  FID_INCEPTION_DIMS,
  FID_INCEPTION_FC_SPEC,
  FID_INCEPTION_OUTPUTS,
  FID_INCEPTION_POOLS,
  type FidInceptionFeatures,
  type FidInceptionNetwork,
  type FidInceptionOutput,
  foldedConvs,
  type FoldedWeights,
  lastStageFor,
} from "./network.ts";
import { memoryAddress, type OpenBlas } from "../../src/native/openblas.ts";
import { fidInceptionStages, type InceptionOps } from "./topology.ts";
import {
  type InceptionKernels,
  inceptionKernelsAvailable,
  instantiateInceptionKernels,
} from "./wasm/kernels.ts";
import {
  type ConvMethod,
  convMethod,
  packConv,
  PANEL,
  WINOGRAD2D_ALPHA,
  type WinogradVariant,
} from "./wasm/weight_packing.ts";

/** Options of buildFidInceptionWasm. */
export interface WasmInceptionOptions {
  /**
   * OpenBLAS (src/native/openblas.ts) for the matrix products; the WebAssembly kernels still do every
   * transform, copy and pool. Without it the WebAssembly GEMM kernel runs them too.
   */
  blas?: OpenBlas | null;
}

/** A conv's shape: kernel, stride and padding (rows, columns). */
interface Geometry {
  kh: number;
  kw: number;
  stride: number;
  ph: number;
  pw: number;
}

const ONE_BY_ONE: Geometry = { kh: 1, kw: 1, stride: 1, ph: 0, pw: 0 };

/** One conv as a GEMM: the input (byte offset, size), the output shape, weights, epilogue and destination. */
interface ConvGemm {
  x: number;
  inH: number;
  inW: number;
  cin: number;
  y: { n: number; h: number; w: number; c: number };
  geometry: Geometry;
  weights: number;
  bias: number;
  relu: boolean;
  /** Where output row 0 goes, with row stride ldy floats. */
  dst: number;
  ldy: number;
}

/** OpenBLAS and the current address of the network's memory (0 in a dry run, which calls no kernel). */
interface NativeGemm {
  blas: OpenBlas;
  base: number;
}

/** An NHWC activation at byte offset ptr of the network's memory. */
interface Act {
  ptr: number;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** A conv's packed weights (weight_packing.ts) and bias, as byte offsets, and how it runs. */
interface PackedConv {
  spec: ConvSpec;
  weights: number;
  bias: number;
  method: ConvMethod;
}

/** Images per pass through the network: bounds the arenas (~12 MB per image at 299x299). */
export const WASM_INCEPTION_CHUNK = 8;

/** Rows per kernel call (the tile height). */
const STRIP = 6;
/**
 * Panels of one layer computed together over every row: their weights (at most this many bytes, but at least
 * one panel) stay in the core's cache while the rows stream past.
 */
const PANEL_GROUP_BYTES = 256 << 10;
/** Winograd tiles transformed at a time (a multiple of STRIP): bounds the V and M scratch per layer. */
const WINOGRAD_BLOCK_TILES = 48;
/** The same with OpenBLAS, whose per-call packing wants taller matrices than the WebAssembly kernel. */
const NATIVE_WINOGRAD_BLOCK_TILES = 192;
/** Bytes of im2col patch rows per sgemm call (OpenBLAS path; convs that are neither 1x1 nor Winograd). */
const PATCH_BYTES = 4 << 20;
const PAGE = 65536;
const ZERO_FLOATS = 2048; // the widest conv input (Mixed_7c) and the 1008 logits' zero bias

/** True when this engine can run here (WebAssembly with SIMD and relaxed SIMD). */
export function wasmInceptionAvailable(): boolean {
  return inceptionKernelsAvailable();
}

const align = (x: number, to: number) => Math.ceil(x / to) * to;

/** Builds the network on the WebAssembly kernels from folded weights (validated as network.ts does). */
export function buildFidInceptionWasm(
  weights: FoldedWeights,
  opts: WasmInceptionOptions = {},
): FidInceptionNetwork {
  const blas = opts.blas ?? null;
  if (!wasmInceptionAvailable()) {
    throw new UnprocessableError(
      "wasm_simd_unavailable",
      "this runtime's WebAssembly lacks SIMD or relaxed SIMD; set FIDSTREAM_INCEPTION_ENGINE=tfjs",
    );
  }
  // Validate everything before allocating: the same keys and shapes as the tfjs network reads.
  const sources = foldedConvs(weights);
  const fcHwio = fcWeightHwio(weights);

  const k = instantiateInceptionKernels();
  const zero = align(k.heapBase(), 64);
  let top = zero + 4 * ZERO_FLOATS;
  const layout: { spec: ConvSpec; packed: Float32Array; bias: Float32Array | null; at: number }[] = [];
  const place = (spec: ConvSpec, hwio: Float32Array, bias: Float32Array | null) => {
    const packed = packConv(hwio, spec, blas ? "rows" : "panels");
    const at = top;
    top = align(at + 4 * (packed.length + (bias?.length ?? 0)), 64);
    layout.push({ spec, packed, bias, at });
  };
  for (const { spec, w, b } of sources) place(spec, w, b);
  // fc as a 1x1 conv over the pooled features.
  place(FID_INCEPTION_FC_SPEC, fcHwio, null);
  const weightsEnd = top;
  grow(k, weightsEnd);
  const packed = new Map<string, PackedConv>();
  const heap = new Float32Array(k.memory.buffer);
  for (const { spec, packed: data, bias, at } of layout) {
    heap.set(data, at / 4);
    if (bias) heap.set(bias, at / 4 + data.length);
    packed.set(spec.name, {
      spec,
      weights: at,
      bias: bias ? at + 4 * data.length : zero,
      method: convMethod(spec),
    });
  }
  layout.length = 0; // the packed copies now live in the wasm memory; the closures below must not pin them

  let disposed = false;
  let arenaBytes = 0;

  const run = (x: tf.Tensor4D, outputs: readonly FidInceptionOutput[] = FID_INCEPTION_OUTPUTS) => {
    if (disposed) throw new Error("the FID InceptionV3 network was disposed");
    checkNetworkInput(x.shape);
    const want = new Set(outputs);
    const last = lastStageFor(want);
    const [n, h, w] = x.shape;
    const out = new Map<FidInceptionOutput, Float32Array>();
    for (const name of want) out.set(name, new Float32Array(n * FID_INCEPTION_DIMS[name]));
    if (n > 0 && last >= 0) {
      const input = x.dataSync() as Float32Array;
      const chunk = Math.min(n, WASM_INCEPTION_CHUNK);
      // Dry run: the arena size a chunk needs at this input size (the memory only ever grows).
      const dry = blas ? { blas, base: 0 } : null;
      const need = forward(new Engine(k, packed, zero, 0, 0, true, dry), chunk, h, w, last, null, null);
      if (need > arenaBytes) arenaBytes = need;
      const feat = weightsEnd;
      const logits = feat + 4 * chunk * 2048;
      const arena0 = align(logits + 4 * chunk * FID_INCEPTION_CLASSES, 64);
      grow(k, arena0 + 2 * arenaBytes);
      // Taken after the last grow: the memory does not move again during the chunks.
      const native = blas ? { blas, base: memoryAddress(k.memory) } : null;
      for (let start = 0; start < n; start += chunk) {
        const count = Math.min(chunk, n - start);
        const engine = new Engine(k, packed, zero, arena0, arenaBytes, false, native);
        const pixels = input.subarray(start * h * w * 3, (start + count) * h * w * 3);
        forward(engine, count, h, w, last, pixels, { want, out, start, feat, logits });
      }
    }
    const result: FidInceptionFeatures = {};
    for (const [name, data] of out) result[name] = tf.tensor2d(data, [n, FID_INCEPTION_DIMS[name]]);
    return result;
  };

  /**
   * Runs stages 0..last on `count` images and writes the wanted pooled outputs (and logits); with a measuring
   * engine, returns the arena bytes a step needed at most.
   */
  function forward(
    engine: Engine,
    count: number,
    h: number,
    w: number,
    last: number,
    pixels: Float32Array | null,
    sink: {
      want: Set<FidInceptionOutput>;
      out: Map<FidInceptionOutput, Float32Array>;
      start: number;
      feat: number;
      logits: number;
    } | null,
  ): number {
    let cur = engine.input(count, h, w, pixels);
    const stages = fidInceptionStages(engine.ops);
    for (let s = 0; s <= last; s++) {
      for (const step of stages[s]) {
        engine.nextStep();
        cur = step(cur);
      }
      if (!sink) continue;
      const name = FID_INCEPTION_POOLS[s];
      const needLogits = s === 3 && sink.want.has("logits");
      if (!sink.want.has(name) && !needLogits) continue;
      const pooled = engine.channelMeans(cur);
      if (sink.want.has(name)) sink.out.get(name)!.set(pooled, sink.start * cur.c);
      if (needLogits) {
        new Float32Array(k.memory.buffer, sink.feat, pooled.length).set(pooled);
        const feats: Act = { ptr: sink.feat, n: count, h: 1, w: 1, c: 2048 };
        engine.convInto(packed.get("fc")!, feats, sink.logits, FID_INCEPTION_CLASSES, false);
        const logits = new Float32Array(k.memory.buffer, sink.logits, count * FID_INCEPTION_CLASSES);
        sink.out.get("logits")!.set(logits, sink.start * FID_INCEPTION_CLASSES);
      }
    }
    return engine.peak;
  }

  return {
    run,
    dispose() {
      disposed = true;
    },
  };
}

/** Grows the memory to at least `bytes`. */
function grow(k: InceptionKernels, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** One chunk's execution state: the arenas, the bump pointer, and the ops that topology.ts wires. */
class Engine {
  /** Most bytes one step allocated (what the dry run reports). */
  peak = 0;
  readonly ops: InceptionOps<Act>;
  #arena = 1;
  #used = 0;

  constructor(
    readonly k: InceptionKernels,
    readonly packed: Map<string, PackedConv>,
    readonly zero: number,
    readonly arena0: number,
    readonly arenaBytes: number,
    readonly measuring: boolean,
    readonly native: NativeGemm | null,
  ) {
    this.ops = {
      conv: (name, x) => this.conv(name, x),
      avgPool3x3ExcludePad: (x) => this.avgPool(x),
      maxPool3x3Same: (x) => this.maxPool(x, 1, 1),
      maxPool3x3Stride2: (x) => this.maxPool(x, 2, 0),
      concat: (parts) => this.concat(parts),
    };
  }

  /** Switches to the other arena (the current one holds the step's input) and empties it. */
  nextStep(): void {
    this.#arena ^= 1;
    this.#used = 0;
  }

  /** The chunk's input, copied into the arena the first step does not write. */
  input(n: number, h: number, w: number, pixels: Float32Array | null): Act {
    const x = this.#alloc(n, h, w, 3);
    if (pixels) new Float32Array(this.k.memory.buffer, x.ptr, pixels.length).set(pixels);
    return x;
  }

  #alloc(n: number, h: number, w: number, c: number): Act {
    return { ptr: this.#allocBytes(4 * n * h * w * c), n, h, w, c };
  }

  #allocBytes(bytes: number): number {
    const ptr = this.arena0 + this.#arena * this.arenaBytes + this.#used;
    this.#used += align(bytes, 64);
    if (this.#used > this.peak) this.peak = this.#used;
    if (!this.measuring && this.#used > this.arenaBytes) {
      throw new Error("arena overflow: the dry run was wrong");
    }
    return ptr;
  }

  conv(name: string, x: Act): Act {
    const layer = this.packed.get(name);
    if (!layer) throw new Error(`FID InceptionV3 has no conv "${name}"`);
    const { kernel: [kh, kw], stride, padding: [ph, pw], inChannels, outChannels } = layer.spec;
    if (x.c !== inChannels) throw new Error(`${name}: input has ${x.c} channels, not ${inChannels}`);
    const y = this.#alloc(
      x.n,
      Math.floor((x.h + 2 * ph - kh) / stride) + 1,
      Math.floor((x.w + 2 * pw - kw) / stride) + 1,
      outChannels,
    );
    if (layer.method.kind === "winograd2d") this.#runWinograd2d(layer, layer.method.variant, x, y);
    else if (layer.method.kind === "winograd1d") this.#runWinograd1d(layer, layer.method, x, y);
    else {
      const patches = this.native && kh * kw > 1 ? this.#allocBytes(PATCH_BYTES) : 0;
      if (!this.measuring) this.#runConv(layer, x, y, y.ptr, outChannels, true, patches);
    }
    return y;
  }

  /** fc-style use: a conv whose output goes to `dst` with row stride ldy, ReLU optional. */
  convInto(layer: PackedConv, x: Act, dst: number, ldy: number, relu: boolean): void {
    this.#runConv(layer, x, { ptr: dst, n: x.n, h: x.h, w: x.w, c: layer.spec.outChannels }, dst, ldy, relu);
  }

  #runConv(layer: PackedConv, x: Act, y: Act, dst: number, ldy: number, relu: boolean, patches = 0): void {
    const { kernel: [kh, kw], stride, padding: [ph, pw], inChannels } = layer.spec;
    const call: ConvGemm = {
      x: x.ptr,
      inH: x.h,
      inW: x.w,
      cin: inChannels,
      y,
      geometry: { kh, kw, stride, ph, pw },
      weights: layer.weights,
      bias: layer.bias,
      relu,
      dst,
      ldy,
    };
    this.#convGemm(call, patches);
  }

  /** The GEMM of a conv on OpenBLAS when the network has it, else on the WebAssembly kernel. */
  #convGemm(call: ConvGemm, patches = 0): void {
    if (this.native) this.#nativeGemm(this.native, call, patches);
    else this.#gemm(call);
  }

  /**
   * The conv as OpenBLAS sgemm calls: a 1x1 conv multiplies the activation rows in place; a larger kernel's
   * output rows are first laid out as im2col patch rows, PATCH_BYTES at a time. Bias and ReLU follow.
   */
  #nativeGemm({ blas, base }: NativeGemm, call: ConvGemm, patches: number): void {
    const { x, inH, inW, cin, y, weights, bias, relu, dst, ldy } = call;
    const { kh, kw, stride, ph, pw } = call.geometry;
    const m = y.n * y.h * y.w, n = y.c;
    if (kh === 1 && kw === 1 && stride === 1 && ph === 0 && pw === 0) {
      blas.sgemm(m, n, cin, base + x, cin, base + weights, n, base + dst, ldy);
    } else {
      const depth = kh * kw * cin;
      const strip = Math.max(1, Math.floor(PATCH_BYTES / (4 * depth)));
      for (let row0 = 0; row0 < m; row0 += strip) {
        const rows = Math.min(strip, m - row0);
        this.k.im2colRows(x, inH, inW, cin, y.w, y.h * y.w, row0, rows, kh, kw, stride, ph, pw, patches);
        blas.sgemm(
          rows,
          n,
          depth,
          base + patches,
          depth,
          base + weights,
          n,
          base + dst + 4 * row0 * ldy,
          ldy,
        );
      }
    }
    if (bias !== this.zero || relu) this.k.biasAct(dst, m, n, ldy, bias, relu ? 1 : 0);
  }

  /** convStrip over every row of y and every panel, panel groups outermost (their weights stay cached). */
  #gemm(call: ConvGemm): void {
    const { x, inH, inW, cin, y, weights, bias, relu, dst, ldy } = call;
    const { kh, kw, stride, ph, pw } = call.geometry;
    const panels = y.c / PANEL;
    const group = Math.max(1, Math.floor(PANEL_GROUP_BYTES / (kh * kw * cin * PANEL * 4)));
    const m = y.n * y.h * y.w;
    const outHW = y.h * y.w;
    const k = this.k;
    const act = relu ? 1 : 0;
    for (let p0 = 0; p0 < panels; p0 += group) {
      const p1 = Math.min(panels, p0 + group);
      for (let row0 = 0; row0 < m; row0 += STRIP) {
        k.convStrip(
          x,
          inH,
          inW,
          cin,
          y.w,
          outHW,
          m,
          row0,
          kh,
          kw,
          stride,
          ph,
          pw,
          this.zero,
          weights,
          p0,
          p1,
          bias,
          act,
          dst,
          ldy,
        );
      }
    }
  }

  /** A 3x3 or 5x5 stride-1 conv as Winograd F(4x4, 3x3) or F(2x2, 5x5), block by block of tiles. */
  #runWinograd2d(layer: PackedConv, variant: WinogradVariant, x: Act, y: Act): void {
    const { inChannels: cin, padding: [pad] } = layer.spec;
    const m = variant.m;
    const tilesH = Math.ceil(y.h / m), tilesW = Math.ceil(y.w / m);
    const positions = WINOGRAD2D_ALPHA * WINOGRAD2D_ALPHA;
    const tab = this.#allocBytes(positions * 4);
    const tmp = this.#allocBytes(positions * 16);
    const k = this.k;
    const output = m === 4 ? k.winograd4x4Output : k.winograd2x2Output;
    this.#winograd(layer, positions, x.n * tilesH * tilesW, {
      input: (t0, count, v) =>
        k.winograd6x6Input(x.ptr, x.h, x.w, cin, tilesH, tilesW, m, pad, t0, count, this.zero, v, tab, tmp),
      output: (t0, count, mat) =>
        output(mat, count, y.c, t0, tilesH, tilesW, y.h, y.w, layer.bias, 1, y.ptr, y.c, tmp),
    });
  }

  /** A 1x7 / 7x1 / 1x3 / 3x1 stride-1 conv as 1D Winograd along its long axis. */
  #runWinograd1d(
    layer: PackedConv,
    method: { variant: WinogradVariant; alongW: boolean },
    x: Act,
    y: Act,
  ): void {
    const { m, r } = method.variant;
    const alpha = m + r - 1;
    const along = method.alongW ? 1 : 0;
    const tilesH = method.alongW ? y.h : Math.ceil(y.h / m);
    const tilesW = method.alongW ? Math.ceil(y.w / m) : y.w;
    const [ph, pw] = layer.spec.padding;
    const tab = this.#allocBytes(alpha * 4);
    const input = m === 3 ? this.k.winograd3x7Input : this.k.winograd4x3Input;
    const output = m === 3 ? this.k.winograd3x7Output : this.k.winograd4x3Output;
    const cin = layer.spec.inChannels;
    this.#winograd(layer, alpha, x.n * tilesH * tilesW, {
      input: (t0, count, v) =>
        input(x.ptr, x.h, x.w, cin, tilesH, tilesW, along, ph, pw, t0, count, this.zero, v, tab),
      output: (t0, count, mm) =>
        output(mm, count, y.c, t0, tilesH, tilesW, y.h, y.w, along, layer.bias, 1, y.ptr, y.c),
    });
  }

  /**
   * The shared Winograd loop: per block of tiles, the input transform into V, one GEMM per position
   * (M_xi = V_xi U_xi, as a 1x1 conv), then the output transform (bias, ReLU) into y.
   */
  #winograd(
    layer: PackedConv,
    positions: number,
    tiles: number,
    transform: {
      input(t0: number, count: number, v: number): void;
      output(t0: number, count: number, m: number): void;
    },
  ): void {
    const { inChannels: cin, outChannels: cout } = layer.spec;
    const block = Math.min(this.native ? NATIVE_WINOGRAD_BLOCK_TILES : WINOGRAD_BLOCK_TILES, tiles);
    const v = this.#allocBytes(positions * block * cin * 4);
    const m = this.#allocBytes(positions * block * cout * 4);
    if (this.measuring) return;
    for (let t0 = 0; t0 < tiles; t0 += block) {
      const count = Math.min(block, tiles - t0);
      transform.input(t0, count, v);
      const rows = { n: 1, h: 1, w: count, c: cout };
      for (let xi = 0; xi < positions; xi++) {
        const u = layer.weights + xi * cin * cout * 4;
        const vx = v + xi * count * cin * 4;
        const mx = m + xi * count * cout * 4;
        this.#convGemm({
          x: vx,
          inH: 1,
          inW: count,
          cin,
          y: rows,
          geometry: ONE_BY_ONE,
          weights: u,
          bias: this.zero,
          relu: false,
          dst: mx,
          ldy: cout,
        });
      }
      transform.output(t0, count, m);
    }
  }

  avgPool(x: Act): Act {
    const y = this.#alloc(x.n, x.h, x.w, x.c);
    if (!this.measuring) {
      for (let line = 0; line < x.n * x.h; line++) {
        this.k.avgPool3(x.ptr, x.h, x.w, x.c, line, line + 1, y.ptr);
      }
    }
    return y;
  }

  maxPool(x: Act, stride: number, pad: number): Act {
    const outH = Math.floor((x.h + 2 * pad - 3) / stride) + 1;
    const outW = Math.floor((x.w + 2 * pad - 3) / stride) + 1;
    const y = this.#alloc(x.n, outH, outW, x.c);
    if (!this.measuring) {
      for (let line = 0; line < x.n * outH; line++) {
        this.k.maxPool3(x.ptr, x.h, x.w, x.c, outH, outW, stride, pad, line, line + 1, y.ptr, x.c);
      }
    }
    return y;
  }

  concat(parts: Act[]): Act {
    const [first] = parts;
    const c = parts.reduce((sum, p) => sum + p.c, 0);
    const y = this.#alloc(first.n, first.h, first.w, c);
    if (!this.measuring) {
      let offset = 0;
      for (const part of parts) {
        this.k.copyRows(part.ptr, part.n * part.h * part.w, part.c, y.ptr + 4 * offset, c);
        offset += part.c;
      }
    }
    return y;
  }

  /** Per image, the mean of each channel over the spatial positions (float64 sums, float32 result). */
  channelMeans(x: Act): Float32Array {
    const view = new Float32Array(this.k.memory.buffer, x.ptr, x.n * x.h * x.w * x.c);
    const out = new Float32Array(x.n * x.c);
    const sums = new Float64Array(x.c);
    const hw = x.h * x.w;
    for (let i = 0; i < x.n; i++) {
      sums.fill(0);
      for (let p = 0; p < hw; p++) {
        const row = (i * hw + p) * x.c;
        for (let c = 0; c < x.c; c++) sums[c] += view[row + c];
      }
      for (let c = 0; c < x.c; c++) out[i * x.c + c] = sums[c] / hw;
    }
    return out;
  }
}
