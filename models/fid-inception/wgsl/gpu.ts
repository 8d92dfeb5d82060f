/**
 * One WebGPU device for the WGSL engine, with the adapter's own limits requested: a device gets WebGPU's
 * defaults (128 MiB per storage binding, 256 MiB per buffer, 16 KiB workgroup memory) unless it asks for more,
 * and a real GPU offers far more (an H200: 2 GiB per binding, 4 GiB per buffer), which is what lets a batch of
 * hundreds of images run in one forward.
 */
import { UnavailableError } from "../../../src/errors.ts";
import { isSoftwareAdapter } from "../../runtime/backend.ts";

/** The limits the engine plans with (the device's, after requesting the adapter's). */
export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupsPerDimension: number;
  minUniformBufferOffsetAlignment: number;
  minStorageBufferOffsetAlignment: number;
}

/** A device and what the engine needs to know about it. */
export interface GpuContext {
  device: GPUDevice;
  limits: GpuLimits;
  /** The adapter's description, e.g. "NVIDIA H200" or "llvmpipe (LLVM 15.0.6, 256 bits)". */
  adapter: string;
  /** True on a CPU rasteriser (llvmpipe/lavapipe, SwiftShader): correct, but slower than the CPU engines. */
  software: boolean;
}

const LIMIT_NAMES = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupsPerDimension",
  "minUniformBufferOffsetAlignment",
  "minStorageBufferOffsetAlignment",
] as const;

/** The high-performance adapter of navigator.gpu, or null when this runtime has none. */
export async function requestAdapter(): Promise<GPUAdapter | null> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
}

/** Opens a device on the high-performance adapter with its buffer and workgroup limits; typed error if none. */
export async function openGpu(): Promise<GpuContext> {
  const adapter = await requestAdapter();
  if (!adapter) {
    throw new UnavailableError(
      "webgpu_unavailable",
      "no WebGPU adapter here (no GPU, or no Vulkan driver: install libvulkan1 and the GPU's Vulkan driver, " +
        "or Mesa's mesa-vulkan-drivers for a software one)",
    );
  }
  const required: Record<string, number> = {};
  // The two alignments are minimums the device must honour, not capacities: keep the defaults.
  for (const name of LIMIT_NAMES.slice(0, 5)) required[name] = Number(adapter.limits[name]);
  // Timestamps let the bench profile each dispatch; they cost nothing unless a forward asks for them.
  const requiredFeatures: GPUFeatureName[] = adapter.features.has("timestamp-query")
    ? ["timestamp-query"]
    : [];
  const device = await adapter.requestDevice({ requiredLimits: required, requiredFeatures });
  const limits = {} as GpuLimits;
  for (const name of LIMIT_NAMES) limits[name] = Number(device.limits[name]);
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const description = String(info.description || info.device || info.vendor || "unknown adapter");
  const isFallback = Boolean(
    (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
      (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  return {
    device,
    limits,
    adapter: description,
    software: isSoftwareAdapter({ description, isFallback }),
  };
}
