/**
 * Choosing the TensorFlow.js backend of this process (or Worker), and keeping WebGPU tensors under the
 * adapter's buffer limit.
 *
 * Policy: FIDSTREAM_BACKEND=webgpu|wasm|cpu (or the `prefer` argument) forces a backend; otherwise WebGPU
 * when navigator.gpu offers a hardware adapter, else WASM, else the (slow) CPU backend. A software adapter
 * (llvmpipe, SwiftShader, anything flagged isFallbackAdapter) is skipped: it is ~10x slower than WASM.
 *
 * Why the split: on WebGPU a tensor bigger than maxStorageBufferBindingSize comes back WRONG WITH NO ERROR
 * (measured on llvmpipe: a 160 MB tf.add result read back as zeros). Every WebGPU computation over a batch
 * must therefore run on slices small enough that no tensor it creates exceeds the limit: maxBatchForLimit
 * sizes the slices and extractInChunks runs them.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { InvalidInputError, UnavailableError, UnprocessableError } from "../../src/errors.ts";
import { concatFeatureRows, sliceBounds, sliceImageBatch } from "../../src/features/batch_slices.ts";
import type { FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import { quietHeadlessGpuProbe } from "./quiet_gpu_probe.ts";
import { BACKEND_NAMES, type BackendName } from "./extraction_settings.ts";

/** The backend a process runs on. */
export interface BackendInfo {
  name: BackendName;
  /** WebGPU only: the largest tensor in bytes that computes correctly (maxStorageBufferBindingSize). */
  maxBufferBytes?: number;
  /** WebGPU only: the adapter's description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  adapter?: string;
}

/** What the auto policy needs to know about the WebGPU adapter (null when there is none). */
export interface GpuAdapterSummary {
  description: string;
  isFallback: boolean;
}

const NAMES = BACKEND_NAMES;

/** True for adapters that run on the CPU (flagged fallback, or a known software rasteriser). */
export function isSoftwareAdapter(a: GpuAdapterSummary): boolean {
  return a.isFallback || /llvmpipe|lavapipe|swiftshader|softpipe|software/i.test(a.description);
}

/** The backend the auto policy picks given the adapter (if any) and whether WASM is usable. */
export function chooseAutoBackend(adapter: GpuAdapterSummary | null, wasmUsable: boolean): BackendName {
  if (adapter && !isSoftwareAdapter(adapter)) return "webgpu";
  return wasmUsable ? "wasm" : "cpu";
}

/** Describes navigator.gpu's high-performance adapter (the one tfjs' webgpu backend requests), or null. */
export async function probeGpuAdapter(): Promise<GpuAdapterSummary | null> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  if (!gpu) return null;
  quietHeadlessGpuProbe();
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return null;
    // The spec moved isFallbackAdapter from GPUAdapter to GPUAdapterInfo; read both.
    const info = adapter.info ?? {};
    return {
      description: String(info.description || info.device || info.vendor || "unknown adapter"),
      isFallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
    };
  } catch {
    return null;
  }
}

let wasmRegistered = false;
let webgpuRegistered = false;

/** URL of the folder holding tfjs-backend-wasm's .wasm files (node_modules with nodeModulesDir auto). */
export function wasmDistUrl(): string {
  const simd = import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm");
  return new URL("./", simd).href;
}

async function registerWasm(): Promise<void> {
  if (wasmRegistered) return;
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  // tfjs sees Deno as Node and would look for the .wasm next to its bundle; point it at the real files.
  wasm.setWasmPaths(wasmDistUrl());
  wasmRegistered = true;
}

async function registerWebgpu(): Promise<void> {
  if (webgpuRegistered) return;
  quietHeadlessGpuProbe();
  await import("@tensorflow/tfjs-backend-webgpu");
  webgpuRegistered = true;
}

async function trySetBackend(name: BackendName): Promise<boolean> {
  if (name === "wasm") await registerWasm();
  if (name === "webgpu") await registerWebgpu();
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/** Describes the active tfjs backend (with WebGPU's buffer limit). */
export function currentBackendInfo(): BackendInfo {
  const name = tf.getBackend() as BackendName;
  if (name !== "webgpu") return { name };
  // deno-lint-ignore no-explicit-any
  const backend = tf.backend() as any;
  return {
    name,
    maxBufferBytes: Number(backend.device.limits.maxStorageBufferBindingSize),
    adapter: backend.adapterInfo?.description || undefined,
  };
}

/**
 * Makes `prefer` (the configured backend), else the auto choice the active tfjs backend of this process.
 * A forced backend that cannot start is an error (UnavailableError); the auto choice falls back to CPU.
 */
export async function initBackend(prefer?: BackendName): Promise<BackendInfo> {
  const forced = prefer;
  if (forced !== undefined) {
    if (!NAMES.includes(forced)) {
      throw new InvalidInputError(
        "backend_unknown",
        `${forced} is not a backend; expected one of ${NAMES.join(", ")}`,
      );
    }
    if (tf.getBackend() !== forced && !(await trySetBackend(forced))) {
      throw new UnavailableError(
        "backend_unavailable",
        `the ${forced} TensorFlow.js backend failed to start here`,
      );
    }
    return await describeBackend();
  }
  const adapter = await probeGpuAdapter();
  const choice = chooseAutoBackend(adapter, true);
  if (tf.getBackend() === choice || (await trySetBackend(choice))) return await describeBackend();
  if (choice === "webgpu" && (await trySetBackend("wasm"))) return await describeBackend();
  if (!(await trySetBackend("cpu"))) {
    throw new UnavailableError("backend_unavailable", "no TensorFlow.js backend could start");
  }
  return await describeBackend();
}

/** The backend already active in this process (any, when `prefer` is not given), else initBackend(prefer). */
export async function ensureBackend(prefer?: BackendName): Promise<BackendInfo> {
  const active = tf.getBackend() as BackendName | null;
  if (active && (prefer === undefined || prefer === active)) return currentBackendInfo();
  return await initBackend(prefer);
}

/** currentBackendInfo, with the adapter's name asked of navigator.gpu when tfjs did not record it. */
async function describeBackend(): Promise<BackendInfo> {
  const info = currentBackendInfo();
  if (info.name === "webgpu" && !info.adapter) info.adapter = (await probeGpuAdapter())?.description;
  return info;
}

/**
 * How many images fit in one WebGPU slice: floor(limitBytes / bytesPerImage), where bytesPerImage is the size
 * of the largest tensor the computation creates, per image. 0 means even one image exceeds the limit.
 */
export function maxBatchForLimit(bytesPerImage: number, limitBytes: number): number {
  if (!(bytesPerImage > 0) || !(limitBytes > 0) || !Number.isFinite(bytesPerImage)) {
    throw new UnprocessableError(
      "bad_buffer_limit",
      `bytes per image and the limit must be positive, got ${bytesPerImage} and ${limitBytes}`,
    );
  }
  return Math.floor(limitBytes / bytesPerImage);
}

/**
 * Images per slice on this backend: `cap` (memory, latency) and, on WebGPU, the buffer limit.
 * Throws UnprocessableError when one image alone is over the WebGPU limit.
 */
export function imagesPerSlice(info: BackendInfo, bytesPerImage: number, cap: number): number {
  if (info.maxBufferBytes === undefined) return cap;
  const fit = maxBatchForLimit(bytesPerImage, info.maxBufferBytes);
  if (fit < 1) {
    throw new UnprocessableError(
      "image_too_large_for_gpu",
      `one image needs a ${bytesPerImage}-byte tensor but this WebGPU adapter computes at most ` +
        `${info.maxBufferBytes} bytes per tensor; send smaller images or set FIDSTREAM_BACKEND=wasm`,
    );
  }
  return Math.min(cap, fit);
}

/** Runs `extract` on consecutive slices of at most `maxImages` images, in order, and joins the rows. */
export async function extractInChunks(
  images: ImageBatch,
  maxImages: number,
  extract: (slice: ImageBatch) => Promise<FeatureRows>,
): Promise<FeatureRows> {
  const parts: FeatureRows[] = [];
  for (const [start, end] of sliceBounds(images.n, maxImages)) {
    parts.push(await extract(sliceImageBatch(images, start, end)));
  }
  return concatFeatureRows(parts);
}
