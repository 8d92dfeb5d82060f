/**
 * pytorch-fid's FID InceptionV3 on this project's own WGSL kernels: the WebGPU engine ("wgsl"). Same topology
 * (topology.ts, recorded by graph.ts), same folded weights as the CPU engines, float32 throughout.
 *
 * Everything that can be made once is made once: pipelines at load (planner.ts picks a tile per conv and batch
 * size; the variants a batch size up to the capacity can pick are compiled up front), buffers and every bind
 * group when the capacity (images per forward) is set. A forward writes the pixels and one block of uniforms,
 * encodes every dispatch (preprocess, ~95 convs, pools, means, fc) into one compute pass, copies the feature
 * rows into a mappable buffer, and submits once; the caller awaits one readback. Forwards may overlap: the
 * queue runs them in order, each reads back through its own buffer.
 *
 * No binding may exceed the device's maxStorageBufferBindingSize (a tensor over it is wrong or refused), so
 * maxImagesPerForward bounds the images of one forward by the largest activation slot, the raw pixels and the
 * rows; the extractor splits bigger batches.
 */
import { UnprocessableError } from "../../../src/errors.ts";
import type { PixelBatch } from "../../../src/features/pixel_batch.ts";
import { pixelStrides } from "../../../src/features/pixel_batch.ts";
import type { ConvSpec } from "../blocks.ts";
import { FID_INCEPTION_CLASSES, FID_INCEPTION_MIN_SIZE, type FoldedWeights } from "../network.ts";
import { FID_INCEPTION_INPUT_SIZE } from "../preprocess.ts";
import {
  constantBuffer,
  dispatchGrid,
  ReadbackPool,
  storageBuffer,
  UNIFORM_SLOT_BYTES,
  writePadded,
} from "./buffers.ts";
import type { ConvGeometry, ConvTile } from "./conv_kernel.ts";
import { type GpuContext, openGpu } from "./gpu.ts";
import { type GraphStep, type InceptionGraph, recordGraph } from "./graph.ts";
import { KernelSet } from "./pipelines.ts";
import { chooseTile, GPU_CONCURRENCY, type PlannerDevice, stepDepth } from "./planner.ts";
import { PREPROCESS_WORKGROUP, preprocessParams, unitByteTable } from "./preprocess_kernel.ts";
import { fcCall, FEATURE_ROW, geometryOf, LOGITS_ROW, type StepCall, stepCall } from "./step_calls.ts";
import { INPUT_CHANNELS, type PackedGpuConv, packGpuWeights } from "./weights.ts";

export { FEATURE_OFFSETS, FEATURE_ROW, geometryOf, LOGITS_ROW } from "./step_calls.ts";
/** Most input runs (differently shaped or typed batches) one forward takes. */
export const MAX_SEGMENTS = 16;
/** Default most images per forward on a device whose limits allow more. */
export const DEFAULT_MAX_BATCH = 256;

/** Options of WgslInceptionNetwork.create. */
export interface WgslNetworkOptions {
  /** The device (default: a new one on the high-performance adapter). */
  gpu?: GpuContext;
  /** Images the buffers are sized for at load (default: min(64, maxImagesPerForward)); they grow on demand. */
  capacity?: number;
  /** Most images per forward (default 256, lower where the device's limits say so). */
  maxBatch?: number;
  /** Largest binding to plan with, in bytes (default: the device's limit; tests lower it to force splits). */
  maxBindingBytes?: number;
  /** Every conv on this tile (tests; default: planner.ts's choice per layer and batch size). */
  tile?: ConvTile;
  /** Compute units for the planner (default: 132, an H200's SMs; the core count on a CPU adapter). */
  concurrency?: number;
  /** Side the images are resized to (default 299, pytorch-fid's; tests run smaller networks). */
  inputSize?: number;
}

/** The GPU time of one dispatch, and the multiply-add work (2 x M x N x K) of a conv's. */
export interface DispatchTime {
  label: string;
  ms: number;
  flops: number;
}

/** One forward's results: features rows (FEATURE_ROW floats per image) and logits rows when asked for. */
export interface ForwardResult {
  features: Float32Array;
  logits: Float32Array | null;
  /** With profiling: the GPU time of every dispatch, in order. */
  profile?: DispatchTime[];
}

interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: [number, number];
  /** What the dispatch computes (profiles name their rows with it). */
  label: string;
  /** 2 x M x N x K for a conv, else 0. */
  flops: number;
}

function encodeDispatch(pass: GPUComputePassEncoder, d: Dispatch): void {
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(...d.grid);
}

/** The dispatches of a forward over n images, and the uniform words of its steps (slots after the segments). */
interface Program {
  steps: Dispatch[];
  fc: Dispatch;
  words: Uint32Array<ArrayBuffer>;
}

/** The buffers and bind groups of one capacity. */
interface Allocation {
  capacity: number;
  slots: GPUBuffer[];
  features: GPUBuffer;
  logits: GPUBuffer;
  stepGroups: GPUBindGroup[];
  fcGroup: GPUBindGroup;
  readback: ReadbackPool;
  bytes: number;
}

const SLOT_WORDS = UNIFORM_SLOT_BYTES / 4;

/** The WGSL FID InceptionV3 on one device. */
export class WgslInceptionNetwork {
  readonly gpu: GpuContext;
  readonly graph: InceptionGraph;
  /** Side the images are resized to. */
  readonly inputSize: number;
  readonly #kernels: KernelSet;
  readonly #convs: Map<string, PackedGpuConv>;
  readonly #fc: PackedGpuConv;
  readonly #weights: Map<string, GPUBuffer>;
  readonly #table: GPUBuffer;
  readonly #params: GPUBuffer;
  readonly #planner: PlannerDevice;
  readonly #tile?: ConvTile;
  readonly #maxBinding: number;
  readonly #maxBatch: number;
  #alloc: Allocation | null = null;
  #raw: GPUBuffer | null = null;
  #rawGroups: GPUBindGroup[] = [];
  #programs = new Map<number, Program>();
  #paramsFor = -1;
  #inFlight = new Set<Promise<unknown>>();
  #growing: Promise<void> | null = null;
  #disposed = false;
  #ownsDevice: boolean;

  private constructor(
    gpu: GpuContext,
    ownsDevice: boolean,
    kernels: KernelSet,
    packed: ReturnType<typeof packGpuWeights>,
    opts: WgslNetworkOptions,
  ) {
    this.gpu = gpu;
    this.#ownsDevice = ownsDevice;
    this.#kernels = kernels;
    this.#convs = packed.convs;
    this.#fc = packed.fc;
    const specs = new Map<string, ConvSpec>([...packed.convs].map(([name, p]) => [name, p.spec]));
    this.inputSize = opts.inputSize ?? FID_INCEPTION_INPUT_SIZE;
    if (!(Number.isInteger(this.inputSize) && this.inputSize >= FID_INCEPTION_MIN_SIZE)) {
      throw new UnprocessableError(
        "inception_input_too_small",
        `InceptionV3 needs inputs of at least ${FID_INCEPTION_MIN_SIZE}x${FID_INCEPTION_MIN_SIZE}, got ${this.inputSize}`,
      );
    }
    this.graph = recordGraph(this.inputSize, this.inputSize, INPUT_CHANNELS, specs);
    const device = gpu.device;
    this.#weights = new Map();
    for (const [name, p] of [...packed.convs, ["fc", packed.fc] as const]) {
      this.#weights.set(name, constantBuffer(device, p.data, name));
    }
    this.#table = constantBuffer(device, unitByteTable(), "byte table");
    this.#params = device.createBuffer({
      label: "params",
      size: (MAX_SEGMENTS + this.graph.steps.length + 1) * UNIFORM_SLOT_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.#planner = plannerDevice(gpu, opts.concurrency);
    this.#tile = opts.tile;
    this.#maxBinding = Math.min(
      opts.maxBindingBytes ?? Infinity,
      gpu.limits.maxStorageBufferBindingSize,
      gpu.limits.maxBufferSize,
    );
    this.#maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
  }

  /** Opens the device (unless given), uploads the weights, compiles the kernels and sizes the buffers. */
  static async create(weights: FoldedWeights, opts: WgslNetworkOptions = {}): Promise<WgslInceptionNetwork> {
    const packed = packGpuWeights(weights); // validates every key and shape before touching the GPU
    const gpu = opts.gpu ?? await openGpu();
    const device = gpu.device;
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    let net: WgslInceptionNetwork | null = null;
    let failure: unknown = null;
    try {
      const kernels = await KernelSet.create(device, []);
      net = new WgslInceptionNetwork(gpu, !opts.gpu, kernels, packed, opts);
      const most = net.maxImagesPerForward(0);
      const capacity = Math.min(opts.capacity ?? 64, most);
      await kernels.prepareConvs(net.#convVariants(capacity));
      net.#allocate(capacity);
    } catch (e) {
      failure = e;
    }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const scope = validation ?? oom;
    if (failure || scope) {
      // Nothing half-made stays on the device; a device this call opened is closed.
      if (net) net.dispose();
      else if (!opts.gpu) device.destroy();
      throw failure ?? new Error(`the WGSL engine could not be set up on ${gpu.adapter}: ${scope!.message}`);
    }
    return net!;
  }

  /** Images per forward this device allows for inputs of `rawBytesPerImage` bytes each (at most maxBatch). */
  maxImagesPerForward(rawBytesPerImage: number): number {
    const perImage = Math.max(
      ...this.graph.slotBytesPerImage,
      4 * FEATURE_ROW,
      4 * LOGITS_ROW,
      rawBytesPerImage,
    );
    return Math.min(this.#maxBatch, Math.floor(this.#maxBinding / perImage));
  }

  /** Largest binding the engine plans with, in bytes (the device's limit, or the option). */
  get maxBindingBytes(): number {
    return this.#maxBinding;
  }

  /** Bytes of GPU memory the engine holds now: weights, activation slots, rows, raw pixels, readback. */
  memoryBytes(): number {
    let bytes = this.#raw?.size ?? 0;
    for (const b of this.#weights.values()) bytes += b.size;
    return bytes + (this.#alloc?.bytes ?? 0);
  }

  /**
   * Bytes of GPU memory the engine would hold with buffers for `capacity` images of uint8 299x299 RGB: weights,
   * activation slots, rows, two readback buffers, the pixels (what memoryBytes reports after such a load).
   */
  plannedMemoryBytes(capacity: number): number {
    const a16 = (b: number) => Math.max(16, Math.ceil(b / 16) * 16);
    let bytes = 0;
    for (const b of this.#weights.values()) bytes += b.size;
    for (const b of this.graph.slotBytesPerImage) bytes += a16(capacity * b);
    bytes += a16(4 * capacity * FEATURE_ROW) + a16(4 * capacity * LOGITS_ROW);
    bytes += 2 * 4 * capacity * (FEATURE_ROW + LOGITS_ROW);
    return bytes + a16(capacity * this.inputSize ** 2 * 3);
  }

  /** Images the buffers are currently sized for. */
  get capacity(): number {
    return this.#alloc?.capacity ?? 0;
  }

  /**
   * Runs the network on up to MAX_SEGMENTS runs of images (together at most maxImagesPerForward), through
   * stage `lastStage` (0..3), plus the logits when asked; resolves to the rows in input order.
   */
  async forward(
    segments: readonly PixelBatch[],
    lastStage: number,
    logits: boolean,
    profile = false,
  ): Promise<ForwardResult> {
    if (this.#disposed) throw new Error("the WGSL FID InceptionV3 network was disposed");
    const n = segments.reduce((s, p) => s + p.n, 0);
    if (segments.length > MAX_SEGMENTS) throw new Error(`a forward takes at most ${MAX_SEGMENTS} runs`);
    const rawBytes = segments.reduce((s, p) => s + align16(p.data.byteLength), 0);
    if (n === 0 || lastStage < 0) {
      return {
        features: new Float32Array(n * FEATURE_ROW),
        logits: logits ? new Float32Array(n * LOGITS_ROW) : null,
      };
    }
    const limit = this.maxImagesPerForward(0);
    if (n > limit || rawBytes > this.#maxBinding) {
      throw new UnprocessableError(
        "image_too_large_for_gpu",
        `${n} images of ${rawBytes} bytes exceed what one forward on ${this.gpu.adapter} can bind ` +
          `(${limit} images, ${this.#maxBinding} bytes per binding); split the batch`,
      );
    }
    // A batch size between the compiled ones may pick a tile nothing compiled yet (rare; a no-op otherwise).
    if (!this.#programs.has(n)) await this.#kernels.prepareConvs(this.#variantsFor(n));
    // A forward never encodes while buffers are being replaced: it waits for the growth, then rechecks.
    while (this.#growing || n > this.capacity || rawBytes > (this.#raw?.size ?? 0)) {
      this.#growing ??= this.#grow(n, rawBytes).finally(() => this.#growing = null);
      await this.#growing;
    }
    const device = this.gpu.device;
    const alloc = this.#alloc!;
    const prog = this.#program(n);

    // Pixels and uniforms, then every dispatch in one pass, then the rows into a mappable buffer: one submit.
    device.pushErrorScope("validation");
    const segWords = new Uint32Array(segments.length * SLOT_WORDS);
    let at = 0, first = 0;
    segments.forEach((p, i) => {
      const bytes = new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength);
      writePadded(device.queue, this.#raw!, at, bytes);
      const elementOffset = p.data instanceof Uint8Array ? at : at / 4;
      segWords.set(
        preprocessParams({
          n: p.n,
          height: p.height,
          width: p.width,
          channels: p.channels,
          strides: pixelStrides(p),
          srcOffset: elementOffset,
          firstImage: first,
          size: this.inputSize,
        }),
        i * SLOT_WORDS,
      );
      at += align16(p.data.byteLength);
      first += p.n;
    });
    device.queue.writeBuffer(this.#params, 0, segWords);
    if (this.#paramsFor !== n) {
      device.queue.writeBuffer(this.#params, MAX_SEGMENTS * UNIFORM_SLOT_BYTES, prog.words);
      this.#paramsFor = n;
    }
    const dispatches: Dispatch[] = segments.map((p, i) => ({
      pipeline: this.#kernels.preprocess[p.data instanceof Uint8Array ? "uint8" : "float32"],
      bindGroup: this.#rawGroups[i],
      grid: dispatchGrid(
        Math.ceil((p.n * this.inputSize ** 2) / PREPROCESS_WORKGROUP),
        this.gpu.limits.maxComputeWorkgroupsPerDimension,
      ),
      label: "preprocess",
      flops: 0,
    }));
    dispatches.push(...prog.steps.slice(0, this.graph.stageEnds[lastStage]));
    if (logits) dispatches.push(prog.fc);
    const encoder = device.createCommandEncoder();
    const timing = profile ? this.#timestamps(dispatches.length) : null;
    if (timing) {
      // One pass per dispatch, each timed at its start and end (profiling only: the passes cost time).
      dispatches.forEach((d, i) => {
        const pass = encoder.beginComputePass({
          timestampWrites: {
            querySet: timing.querySet,
            beginningOfPassWriteIndex: 2 * i,
            endOfPassWriteIndex: 2 * i + 1,
          },
        });
        encodeDispatch(pass, d);
        pass.end();
      });
    } else {
      const pass = encoder.beginComputePass();
      for (const d of dispatches) encodeDispatch(pass, d);
      pass.end();
    }
    const featureBytes = 4 * n * FEATURE_ROW;
    const logitBytes = logits ? 4 * n * LOGITS_ROW : 0;
    const readback = alloc.readback.take();
    encoder.copyBufferToBuffer(alloc.features, 0, readback, 0, featureBytes);
    if (logits) encoder.copyBufferToBuffer(alloc.logits, 0, readback, featureBytes, logitBytes);
    if (timing) {
      encoder.resolveQuerySet(timing.querySet, 0, 2 * dispatches.length, timing.resolve, 0);
      encoder.copyBufferToBuffer(timing.resolve, 0, timing.read, 0, timing.resolve.size);
    }
    device.queue.submit([encoder.finish()]);
    const scope = device.popErrorScope();

    const done = (async () => {
      const [mapped, error] = await Promise.allSettled([
        readback.mapAsync(GPUMapMode.READ, 0, featureBytes + logitBytes),
        scope,
      ]);
      const e = error.status === "fulfilled" ? error.value : error.reason;
      if (e || mapped.status === "rejected") {
        // A buffer that failed to map is not reused: its state is unknown.
        const why = e?.message ?? (mapped as PromiseRejectedResult).reason;
        throw new Error(`the WGSL engine's forward failed on ${this.gpu.adapter}: ${why}`);
      }
      const range = readback.getMappedRange(0, featureBytes + logitBytes);
      const features = new Float32Array(range.slice(0, featureBytes));
      const logitRows = logits ? new Float32Array(range.slice(featureBytes)) : null;
      readback.unmap();
      alloc.readback.give(readback);
      if (!timing) return { features, logits: logitRows };
      await timing.read.mapAsync(GPUMapMode.READ);
      const ns = new BigUint64Array(timing.read.getMappedRange().slice(0));
      const steps = dispatches.map((d, i) => ({
        label: d.label,
        ms: Number(ns[2 * i + 1] - ns[2 * i]) / 1e6,
        flops: d.flops,
      }));
      for (const b of [timing.read, timing.resolve]) b.destroy();
      timing.querySet.destroy();
      return { features, logits: logitRows, profile: steps };
    })();
    this.#inFlight.add(done);
    done.finally(() => this.#inFlight.delete(done)).catch(() => {});
    return await done;
  }

  /** Frees every GPU buffer (and the device, when the network opened it). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#release();
    for (const b of this.#weights.values()) b.destroy();
    this.#table.destroy();
    this.#params.destroy();
    if (this.#ownsDevice) this.gpu.device.destroy();
  }

  /** A query set and buffers for `count` timed passes; a typed error when the device cannot time. */
  #timestamps(count: number) {
    const device = this.gpu.device;
    if (!device.features.has("timestamp-query")) {
      throw new UnprocessableError(
        "gpu_profiling_unavailable",
        `${this.gpu.adapter} has no timestamp queries`,
      );
    }
    const bytes = 16 * count;
    return {
      querySet: device.createQuerySet({ type: "timestamp", count: 2 * count }),
      resolve: device.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      }),
      read: device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    };
  }

  /** The tile each conv step runs with for n images. */
  tileOf(step: Extract<GraphStep, { kind: "conv" }>, n: number): ConvTile {
    const s = step.spec;
    if (this.#tile) return { ...this.#tile, bk: stepDepth(this.#tile.bk, s.inChannels) };
    const m = n * step.y.h * step.y.w;
    return chooseTile(
      m,
      s.outChannels,
      s.kernel[0] * s.kernel[1] * s.inChannels,
      s.inChannels,
      this.#planner,
    );
  }

  #fcTile(n: number): ConvTile {
    if (this.#tile) return { ...this.#tile, bk: stepDepth(this.#tile.bk, 2048) };
    return chooseTile(n, FID_INCEPTION_CLASSES, 2048, 2048, this.#planner);
  }

  /** The conv variants batch sizes up to `capacity` can pick (powers of two and the capacity itself). */
  #convVariants(capacity: number): [ConvTile, ConvGeometry][] {
    const sizes = new Set<number>([capacity]);
    for (let n = 1; n < capacity; n *= 2) sizes.add(n);
    return [...sizes].flatMap((n) => this.#variantsFor(n));
  }

  /** The conv variants a forward over n images runs. */
  #variantsFor(n: number): [ConvTile, ConvGeometry][] {
    const out: [ConvTile, ConvGeometry][] = [];
    for (const step of this.graph.steps) {
      if (step.kind === "conv") out.push([this.tileOf(step, n), geometryOf(step.spec)]);
    }
    out.push([this.#fcTile(n), "pointwise"]);
    return out;
  }

  /** Waits for the forwards in flight, then sizes the buffers for at least n images and rawBytes of pixels. */
  async #grow(n: number, rawBytes: number): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    if (n > this.capacity) {
      const capacity = Math.min(this.maxImagesPerForward(0), Math.max(n, 2 * this.capacity));
      await this.#kernels.prepareConvs(this.#convVariants(capacity));
      this.#release();
      this.#allocate(capacity);
    }
    if (rawBytes > (this.#raw?.size ?? 0)) this.#allocateRaw(rawBytes);
  }

  #release(): void {
    const a = this.#alloc;
    if (a) {
      for (const b of a.slots) b.destroy();
      a.features.destroy();
      a.logits.destroy();
      a.readback.destroy();
    }
    this.#raw?.destroy();
    this.#alloc = null;
    this.#raw = null;
    this.#rawGroups = [];
    this.#programs.clear();
    this.#paramsFor = -1;
  }

  /** Buffers and bind groups for `capacity` images (raw pixels for 299x299 RGB uint8 at first). */
  #allocate(capacity: number): void {
    const device = this.gpu.device;
    const slots = this.graph.slotBytesPerImage.map((b, i) =>
      storageBuffer(device, capacity * b, `slot ${i}`)
    );
    const features = storageBuffer(device, 4 * capacity * FEATURE_ROW, "features");
    const logits = storageBuffer(device, 4 * capacity * LOGITS_ROW, "logits");
    const uniform = (slot: number): GPUBindingResource => ({
      buffer: this.#params,
      offset: slot * UNIFORM_SLOT_BYTES,
      size: UNIFORM_SLOT_BYTES,
    });
    const group = (layout: GPUBindGroupLayout, slot: number, buffers: GPUBuffer[]) =>
      device.createBindGroup({
        layout,
        entries: [
          { binding: 0, resource: uniform(slot) },
          ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
        ],
      });
    const { conv, unary } = this.#kernels.layouts;
    const slotOf = (t: Parameters<InceptionGraph["place"]>[0]) => slots[this.graph.place(t).slot];
    const stepGroups = this.graph.steps.map((step, i) => {
      const slot = MAX_SEGMENTS + i;
      if (step.kind === "conv") {
        return group(conv, slot, [slotOf(step.x), this.#weights.get(step.spec.name)!, slotOf(step.y)]);
      }
      if (step.kind === "mean") return group(unary, slot, [slotOf(step.x), features]);
      return group(unary, slot, [slotOf(step.x), slotOf(step.y)]);
    });
    const fcGroup = group(conv, MAX_SEGMENTS + this.graph.steps.length, [
      features,
      this.#weights.get("fc")!,
      logits,
    ]);
    const readbackBytes = 4 * capacity * (FEATURE_ROW + LOGITS_ROW);
    const bytes = slots.reduce((s, b) => s + b.size, 0) + features.size + logits.size + 2 * readbackBytes;
    this.#alloc = {
      capacity,
      slots,
      features,
      logits,
      stepGroups,
      fcGroup,
      readback: new ReadbackPool(device, readbackBytes),
      bytes,
    };
    this.#allocateRaw(capacity * this.inputSize ** 2 * 3);
  }

  /** The raw pixel buffer for at least `bytes` and the preprocess bind groups over it. */
  #allocateRaw(bytes: number): void {
    const device = this.gpu.device;
    this.#raw?.destroy();
    const size = Math.min(this.#maxBinding, Math.max(bytes, 2 * (this.#raw?.size ?? 0)));
    const raw = storageBuffer(device, Math.max(size, bytes), "pixels");
    this.#raw = raw;
    const input = this.#alloc!.slots[this.graph.place(this.graph.input).slot];
    // One bind group per segment's uniform slot; the uint8 and float32 pipelines share the layout.
    this.#rawGroups = Array.from({ length: MAX_SEGMENTS }, (_, i) =>
      device.createBindGroup({
        layout: this.#kernels.layouts.preprocess,
        entries: [
          {
            binding: 0,
            resource: { buffer: this.#params, offset: i * UNIFORM_SLOT_BYTES, size: UNIFORM_SLOT_BYTES },
          },
          { binding: 1, resource: { buffer: raw } },
          { binding: 2, resource: { buffer: this.#table } },
          { binding: 3, resource: { buffer: input } },
        ],
      }));
  }

  /** The dispatches and uniforms of a forward over n images (cached per n). */
  #program(n: number): Program {
    const cached = this.#programs.get(n);
    if (cached) return cached;
    const alloc = this.#alloc!;
    const words = new Uint32Array((this.graph.steps.length + 1) * SLOT_WORDS);
    const wRowOf = (name: string) => this.#convs.get(name)!.wRow;
    const steps = this.graph.steps.map((step, i) => {
      const call = stepCall(this.graph, step, n, (s) => this.tileOf(s, n), wRowOf);
      words.set(call.params, i * SLOT_WORDS);
      return this.#dispatch(call, alloc.stepGroups[i]);
    });
    const fc = fcCall(n, this.#fcTile(n), this.#fc.wRow);
    words.set(fc.params, this.graph.steps.length * SLOT_WORDS);
    const prog = { steps, fc: this.#dispatch(fc, alloc.fcGroup), words };
    if (this.#programs.size > 8) this.#programs.clear();
    this.#programs.set(n, prog);
    return prog;
  }

  /** A step call as a dispatch: its kernel's pipeline, the bind group, the grid. */
  #dispatch(call: StepCall, bindGroup: GPUBindGroup): Dispatch {
    const k = call.kernel;
    const pipeline = k.kind === "conv"
      ? this.#kernels.conv(k.tile, k.geometry)
      : k.kind === "mean"
      ? this.#kernels.mean
      : k.kind === "maxpool"
      ? this.#kernels.maxPool
      : this.#kernels.avgPool;
    const grid = dispatchGrid(call.workgroups, this.gpu.limits.maxComputeWorkgroupsPerDimension);
    return { pipeline, bindGroup, grid, label: call.label, flops: call.flops };
  }
}

function plannerDevice(gpu: GpuContext, concurrency?: number): PlannerDevice {
  return {
    concurrency: concurrency ??
      (gpu.software ? Math.max(1, navigator.hardwareConcurrency || 1) : GPU_CONCURRENCY),
    maxComputeInvocationsPerWorkgroup: gpu.limits.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupStorageSize: gpu.limits.maxComputeWorkgroupStorageSize,
  };
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}
