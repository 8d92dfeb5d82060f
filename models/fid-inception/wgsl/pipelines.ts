/**
 * The WGSL engine's compute pipelines and their bind group layouts. Layouts are explicit (not "auto") so that
 * one bind group serves every conv pipeline: the tile shape is chosen per batch size at encode time, while the
 * bind groups are made once when the buffers are.
 */
import { type ConvGeometry, convShader, type ConvTile, tileKey } from "./conv_kernel.ts";
import { meanShader } from "./mean_kernel.ts";
import { poolShader } from "./pool_kernels.ts";
import { type PixelType, preprocessShader } from "./preprocess_kernel.ts";

/** The bind group layouts of the engine's kernels. */
export interface KernelLayouts {
  /** params, input, weights, output (conv). */
  conv: GPUBindGroupLayout;
  /** params, input, output (pools, means). */
  unary: GPUBindGroupLayout;
  /** params, raw pixels, byte table, output (preprocess). */
  preprocess: GPUBindGroupLayout;
}

function layout(device: GPUDevice, reads: number): GPUBindGroupLayout {
  const entries: GPUBindGroupLayoutEntry[] = [
    { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } },
  ];
  for (let i = 1; i <= reads; i++) {
    entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: "read-only-storage" } });
  }
  entries.push({ binding: reads + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } });
  return device.createBindGroupLayout({ entries });
}

/** Compiles a shader into a pipeline, turning WGSL errors into an Error that quotes them. */
async function compile(device: GPUDevice, code: string, bindLayout: GPUBindGroupLayout, label: string) {
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === "error");
  if (errors.length) {
    throw new Error(
      `WGSL kernel ${label} failed to compile: ${errors.map((e) => `${e.lineNum}:${e.message}`).join("; ")}`,
    );
  }
  return await device.createComputePipelineAsync({
    label,
    layout: device.createPipelineLayout({ bindGroupLayouts: [bindLayout] }),
    compute: { module, entryPoint: "main" },
  });
}

/** Every pipeline of the engine; conv pipelines per tile shape and geometry, compiled on request. */
export class KernelSet {
  readonly layouts: KernelLayouts;
  readonly #device: GPUDevice;
  readonly #convs = new Map<string, Promise<GPUComputePipeline>>();
  readonly #ready = new Map<string, GPUComputePipeline>();
  avgPool!: GPUComputePipeline;
  maxPool!: GPUComputePipeline;
  mean!: GPUComputePipeline;
  preprocess!: Record<PixelType, GPUComputePipeline>;

  private constructor(device: GPUDevice) {
    this.#device = device;
    this.layouts = { conv: layout(device, 2), unary: layout(device, 1), preprocess: layout(device, 2) };
  }

  /** Compiles the fixed kernels (pools, mean, preprocess) and the given conv variants, in parallel. */
  static async create(
    device: GPUDevice,
    convs: Iterable<[ConvTile, ConvGeometry]>,
  ): Promise<KernelSet> {
    const k = new KernelSet(device);
    const { unary, preprocess } = k.layouts;
    const [avgPool, maxPool, mean, u8, f32] = await Promise.all([
      compile(device, poolShader("avg"), unary, "avgpool"),
      compile(device, poolShader("max"), unary, "maxpool"),
      compile(device, meanShader(), unary, "mean"),
      compile(device, preprocessShader("uint8"), preprocess, "preprocess-uint8"),
      compile(device, preprocessShader("float32"), preprocess, "preprocess-float32"),
      k.prepareConvs(convs),
    ]);
    Object.assign(k, { avgPool, maxPool, mean, preprocess: { uint8: u8, float32: f32 } });
    return k;
  }

  /** Compiles the conv variants not compiled yet (all at once). */
  async prepareConvs(convs: Iterable<[ConvTile, ConvGeometry]>): Promise<void> {
    const pending: Promise<GPUComputePipeline>[] = [];
    for (const [tile, geometry] of convs) {
      const key = tileKey(tile, geometry);
      let p = this.#convs.get(key);
      if (!p) {
        p = compile(this.#device, convShader(tile, geometry), this.layouts.conv, `conv-${key}`);
        p.then((pipeline) => this.#ready.set(key, pipeline), () => this.#convs.delete(key));
        this.#convs.set(key, p);
      }
      pending.push(p);
    }
    await Promise.all(pending);
  }

  /** A compiled conv pipeline (prepareConvs must have finished for it). */
  conv(tile: ConvTile, geometry: ConvGeometry): GPUComputePipeline {
    const p = this.#ready.get(tileKey(tile, geometry));
    if (!p) throw new Error(`conv pipeline ${tileKey(tile, geometry)} was not compiled`);
    return p;
  }
}
