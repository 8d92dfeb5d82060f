/**
 * What the GPU host extracts with: one WebGPU device and one fid-inception model in this process, fed by
 * GpuBatchQueue (concurrent requests merged into device-sized forwards), and the CPU worker pool for everything
 * else: decoding uploaded PNG/JPEG files (so decoding overlaps the GPU's work instead of blocking it), other
 * feature spaces, and fid-inception when this machine has no GPU engine.
 *
 * The model loads in the background when the host starts. Until it is ready, fid-inception requests are refused
 * at once with a 503 (gpu_host_warming) and /v1/health says not ready, so a client sends them to another host
 * or extracts locally: no request waits behind a cold start.
 */
import { UnavailableError } from "../../src/errors.ts";
import type { FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import { imagesOfPixels, type PixelBatch } from "../../src/features/pixel_batch.ts";
import type { FeatureExtractor } from "../../src/features/extractor.ts";
import { WgslFidInceptionExtractor } from "../../models/fid-inception/wgsl/extractor.ts";
import { parseFeatureSpace } from "../../engine/feature_spaces.ts";
import { type BatchQueueOptions, GpuBatchQueue, type QueueStats } from "./batch_queue.ts";

/** The GPU model's state: no GPU engine here, loading, serving, or failed to load (the CPU pool serves). */
export type GpuState = "off" | "loading" | "ready" | "failed";

/** GET /v1/health's body. */
export interface HostHealth extends QueueStats {
  ok: true;
  /** True when fid-inception requests are served now (by the GPU, or by the CPU pool when there is none). */
  ready: boolean;
  gpu: { state: GpuState; adapter?: string; error?: string; memoryBytes?: number; maxBatch?: number };
}

/** The CPU side: the worker pool's extraction and decoding. */
export interface CpuPool {
  extract(space: string, images: ImageBatch, output?: string): Promise<FeatureRows>;
  decodeImages(files: Uint8Array[]): Promise<ImageBatch>;
  close(): Promise<void>;
}

/** Options of startGpuHostService. */
export interface GpuHostServiceOptions {
  pool: CpuPool;
  /**
   * Loads the fid-inception model for the GPU, or resolves to null when this machine has no GPU engine (the
   * pool then extracts fid-inception too).
   */
  loadModel: () => Promise<FeatureExtractor | null>;
  queue?: BatchQueueOptions;
  log?: (message: string) => void;
}

const GPU_SPACE = "fid-inception";

/** The host's extraction service. */
export interface GpuHostService {
  /** Features of a space ("fid-inception:768") for images as uploaded. */
  extract(space: string, pixels: PixelBatch): Promise<FeatureRows>;
  decodeImages(files: Uint8Array[]): Promise<ImageBatch>;
  health(): HostHealth;
  /** Resolves once the model has loaded (or failed to, or there is none). */
  readonly loaded: Promise<void>;
  close(): Promise<void>;
}

/** Starts loading the GPU model in the background and returns the service at once. */
export function startGpuHostService(opts: GpuHostServiceOptions): GpuHostService {
  const log = opts.log ?? ((m: string) => console.error(m));
  let state: GpuState = "loading";
  let error: string | undefined;
  let model: WgslFidInceptionExtractor | null = null;
  let queue: GpuBatchQueue | null = null;
  let closed = false;

  const loaded = (async () => {
    try {
      const m = await opts.loadModel();
      if (closed) {
        m?.dispose();
        return;
      }
      if (m === null) {
        state = "off";
        return;
      }
      if (!(m instanceof WgslFidInceptionExtractor)) {
        m.dispose();
        state = "off";
        log("the GPU host's fid-inception model is not the WGSL engine: the CPU pool extracts it");
        return;
      }
      // One image through every kernel before the first request: drivers may finish compiling lazily.
      await m.extractMany({ n: 1, height: 8, width: 8, channels: 3, data: new Float32Array(192) }, [
        "logits",
      ]);
      model = m;
      queue = new GpuBatchQueue(m.network, opts.queue);
      state = "ready";
      log(`GPU host: fid-inception ready on ${m.network.gpu.adapter}`);
    } catch (e) {
      state = "failed";
      error = e instanceof Error ? e.message : String(e);
      log(`GPU host: the GPU model failed to load (${error}); the CPU pool extracts fid-inception`);
    }
  })();

  return {
    loaded,
    async extract(space, pixels) {
      const { extractor, output } = parseFeatureSpace(space);
      if (extractor === GPU_SPACE && state === "loading") {
        throw new UnavailableError(
          "gpu_host_warming",
          "the GPU host is still loading its model; send this batch elsewhere or retry in a few seconds",
        );
      }
      if (extractor === GPU_SPACE && queue) {
        return await queue.extract(pixels, output ?? model!.defaultOutput);
      }
      return await opts.pool.extract(extractor, imagesOfPixels(pixels), output);
    },
    decodeImages: (files) => opts.pool.decodeImages(files),
    health() {
      const stats = queue?.stats() ??
        { queuedImages: 0, inFlightImages: 0, forwards: 0, images: 0, largestForward: 0 };
      const net = model?.network;
      return {
        ok: true,
        ready: state !== "loading",
        gpu: {
          state,
          ...(net
            ? {
              adapter: net.gpu.adapter,
              memoryBytes: net.memoryBytes(),
              maxBatch: queue!.maxBatch,
            }
            : {}),
          ...(error ? { error } : {}),
        },
        ...stats,
      };
    },
    async close() {
      closed = true;
      model?.dispose();
      await opts.pool.close();
    },
  };
}
