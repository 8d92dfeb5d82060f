/**
 * OpenBLAS for the CLI's numerics where it loads (src/native/openblas.ts): LAPACK for FID, level-3 BLAS for KID.
 * A command owns the machine while it runs, so its big products use every core.
 */
import type { NativeLinalg } from "../src/native/native_linalg.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import type { PackedComoment } from "../src/stats/moments.ts";

/** The native linear algebra, or null without OpenBLAS (the WebAssembly kernels take over). */
export function cliLinalg(): NativeLinalg | null {
  return loadOpenBlas()?.linalg ?? null;
}

/** OpenBLAS's float64 co-moment kernel, or "auto" (WebAssembly) without it. */
export function cliComoment(): PackedComoment | "auto" {
  return loadOpenBlas()?.packedComoment ?? "auto";
}

/** Runs fn with OpenBLAS on every core (plain fn without OpenBLAS). */
export function onAllCores<T>(fn: () => T): T {
  const linalg = cliLinalg();
  return linalg ? linalg.withThreads(navigator.hardwareConcurrency, fn) : fn();
}
