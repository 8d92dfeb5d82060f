/**
 * OpenBLAS for the CLI's numerics where it loads (src/native/openblas.ts): LAPACK for FID, level-3 BLAS for KID,
 * dsyrk for co-moments. A command owns the machine while it runs, so its big products use every core.
 */
import type { NativeLinalg } from "../src/native/native_linalg.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import type { PackedComoment } from "../src/stats/moments.ts";

/** The native kernels a command uses (the WebAssembly ones where OpenBLAS does not load). */
export interface CliNative {
  /** The native linear algebra, or null (the WebAssembly kernels take over). */
  linalg: NativeLinalg | null;
  /** OpenBLAS's float64 co-moment kernel, or "auto" (WebAssembly). */
  comoment: PackedComoment | "auto";
  /** Runs fn with OpenBLAS on every core (plain fn without OpenBLAS). */
  onAllCores<T>(fn: () => T): T;
}

/** The configured OpenBLAS (`library`; default the system's) as the CLI's native kernels. */
export function cliNative(library?: string): CliNative {
  const blas = loadOpenBlas(library);
  const linalg = blas?.linalg ?? null;
  return {
    linalg,
    comoment: blas?.packedComoment ?? "auto",
    onAllCores: (fn) => linalg ? linalg.withThreads(navigator.hardwareConcurrency, fn) : fn(),
  };
}
