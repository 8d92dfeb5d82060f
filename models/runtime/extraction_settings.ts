/**
 * How feature extraction runs, decided once by the process's configuration (functions/config.ts) and handed to
 * the worker pool, each of its workers and each loader: nothing below reads the environment itself.
 */
import { InvalidInputError } from "../../src/errors.ts";

/**
 * What runs fid-inception: "wgsl" (this project's WGSL kernels on WebGPU, the GPU path), "tfjs" (tfjs ops on the
 * backend), "simd" (this project's WebAssembly SIMD kernels) or "blas" (the same network with its matrix
 * products in OpenBLAS through FFI).
 */
export type InceptionEngine = "wgsl" | "blas" | "simd" | "tfjs";

/** Every engine name. */
export const INCEPTION_ENGINES: readonly InceptionEngine[] = ["wgsl", "blas", "simd", "tfjs"];

/** Every tfjs backend name. */
export const BACKEND_NAMES = ["webgpu", "wasm", "cpu"] as const;

/** The backends fidstream uses. */
export type BackendName = typeof BACKEND_NAMES[number];

/** Where local state lives when nothing says otherwise (converted weights in <dataDir>/models). */
export const DEFAULT_DATA_DIR = "./.data";

/** Settings of extraction; every field is optional and has the default its comment names. */
export interface ExtractionSettings {
  /** tfjs backend (default: WebGPU on a hardware adapter, else WASM, else CPU). */
  backend?: BackendName;
  /** fid-inception's engine (default: wgsl on a hardware adapter, else blas where OpenBLAS loads, else simd). */
  inceptionEngine?: InceptionEngine;
  /** The OpenBLAS library file (default: the system's libopenblas). */
  openblasLibrary?: string;
  /** FID InceptionV3 weights: pytorch-fid's .pth or a folder of converted weights (default: the data dir's). */
  fidWeights?: string;
  /** Local state (default ./.data): converted weights live in <dataDir>/models. */
  dataDir?: string;
}

/** A setting's value as one of `names` (case-insensitive), or a 400 naming the setting and the choices. */
function oneOf<T extends string>(
  raw: string | undefined,
  names: readonly T[],
  setting: string,
): T | undefined {
  const value = raw?.trim().toLowerCase();
  if (!value) return undefined;
  if (!(names as readonly string[]).includes(value)) {
    throw new InvalidInputError("bad_setting", `${setting}=${raw} is not one of ${names.join(", ")}`);
  }
  return value as T;
}

/** Parses a backend name given as text (undefined when empty). */
export function parseBackendName(raw: string | undefined, setting: string): BackendName | undefined {
  return oneOf(raw, BACKEND_NAMES, setting);
}

/** Parses an engine name given as text (undefined when empty). */
export function parseInceptionEngine(raw: string | undefined, setting: string): InceptionEngine | undefined {
  return oneOf(raw, INCEPTION_ENGINES, setting);
}
