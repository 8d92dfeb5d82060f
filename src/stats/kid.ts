/**
 * Kernel Inception Distance as torch-fidelity computes it (metric_kid.py); the definition, the subset draws and
 * the two ways of summing are in src/stats/kid_plan.ts, the products in src/stats/gram_engine.ts.
 */
import type { GramOptions } from "./gram_engine.ts";
import type { KidOptions, KidResult } from "./kid_plan.ts";
import { sampleMetrics } from "./sample_metrics.ts";

export type { KidOptions, KidResult };

/**
 * KID between row-major feature matrices x (nx x dim) and y (ny x dim), torch-fidelity's estimator; `linalg`
 * picks the engine (OpenBLAS when passed in, else WebAssembly / TypeScript).
 */
export function kernelInceptionDistance(
  x: Float32Array | Float64Array,
  nx: number,
  y: Float32Array | Float64Array,
  ny: number,
  dim: number,
  opts: KidOptions = {},
  linalg: GramOptions = {},
): KidResult {
  return sampleMetrics({ x, nx, y, ny, dim, kid: opts }, linalg).kid!;
}
