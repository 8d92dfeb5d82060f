/**
 * CMMD (Jayasumana et al., "Rethinking FID: Towards a Better Evaluation Metric for Image Generation", CVPR 2024):
 * the squared MMD between two sets of CLIP embeddings under a Gaussian kernel, as google-research/cmmd's
 * published estimator computes it:
 *
 *   K(a, b) = exp(-||a - b||^2 / (2 sigma^2)), sigma = 10
 *   cmmd = 1000 (mean K(x, x') + mean K(y, y') - 2 mean K(x, y))
 *
 * each mean over ALL pairs of its two sets, i = j included (the biased V-statistic, not KID's unbiased one).
 * Sums are float64. Distances come from the shared Gram products of src/stats/sample_metrics.ts (OpenBLAS
 * dgemm, or WebAssembly, or TypeScript), which computes CMMD together with the other sample metrics.
 */
import type { FeatureRows } from "./feature_rows.ts";
import { gramSquaredDistance } from "./feature_rows.ts";
import type { GramOptions, GramPanelVisitor } from "./gram_engine.ts";
import type { CentredRows } from "./prdc_counts.ts";
import { sampleMetrics } from "./sample_metrics.ts";

/** The kernel bandwidth of the published estimator. */
export const CMMD_SIGMA = 10;
/** The published estimator reports 1000 x MMD^2. */
export const CMMD_SCALE = 1000;

/** Options of cmmd. */
export interface CmmdOptions {
  /** Rows per side at most; a larger side is subsampled without replacement (default 10,000). */
  maxSamples?: number;
  /**
   * Seed of numpy's RandomState for those subsamples: one generator, choice(n, maxSamples, replace=False)
   * for the generated side (x) first, then the reference side (y), each only when over the limit (default 2020).
   */
  seed?: number;
}

/** CMMD and the rows it used per side. */
export interface CmmdResult {
  value: number;
  xSamples: number;
  ySamples: number;
}

/** CMMD between generated rows x (n x dim) and reference rows y (m x dim), float64 sums (see above). */
export function cmmd(
  x: FeatureRows,
  nx: number,
  y: FeatureRows,
  ny: number,
  dim: number,
  opts: CmmdOptions = {},
  linalg: GramOptions = {},
): CmmdResult {
  return sampleMetrics({ x, nx, y, ny, dim, cmmd: opts }, linalg).cmmd!;
}

/** exp(-d2 / (2 sigma^2)) for a squared distance d2. */
export function cmmdKernel(d2: number): number {
  return Math.exp(-d2 / (2 * CMMD_SIGMA * CMMD_SIGMA));
}

/**
 * Sums K over the pairs of one Gram block: with `symmetric` (a set against itself) each unordered pair i < j
 * once, doubled, plus the n diagonal terms K(a, a) = 1; otherwise every pair. Per panel partial sums keep the
 * float64 total accurate over 10^8 pairs.
 */
export function kernelSumCollector(a: CentredRows, b: CentredRows, symmetric: boolean) {
  let total = 0;
  const visit: GramPanelVisitor = (i0, rows, j0, cols, panel, ld) => {
    let part = 0;
    for (let r = 0; r < rows; r++) {
      const ni = a.norms[i0 + r], base = r * ld;
      for (let c = symmetric ? i0 + r - j0 + 1 : 0; c < cols; c++) {
        part += cmmdKernel(gramSquaredDistance(ni, b.norms[j0 + c], panel[base + c]));
      }
    }
    total += part;
  };
  return { visit, sum: () => (symmetric ? 2 * total + a.n : total) };
}

/** 1000 (kxx / nx^2 + kyy / ny^2 - 2 kxy / (nx ny)) from the three kernel sums. */
export function cmmdFromSums(kxx: number, kyy: number, kxy: number, nx: number, ny: number): number {
  return CMMD_SCALE * (kxx / (nx * nx) + kyy / (ny * ny) - (2 * kxy) / (nx * ny));
}
