/**
 * Mergeable running sums for autoencoder reconstruction quality: binary cross-entropy (Keras epsilon
 * convention: predictions clipped to [1e-7, 1 - 1e-7]) and squared error, both over every pixel.
 */

import { UnprocessableError } from "../errors.ts";

/** Keras' backend epsilon: predictions are clipped to [EPS, 1 - EPS] before taking logs. */
const EPS = 1e-7;

/** Float64 running sums over `n` samples of `pixels` values each. */
export interface ReconstructionSums {
  /** Samples seen. */
  n: number;
  /** Values per sample (every batch must agree). */
  pixels: number;
  /** Sum of per-element binary cross-entropy. */
  bceSum: number;
  /** Sum of per-element squared error. */
  mseSum: number;
}

/** Reconstruction metrics; BCE and MSE are means over all elements. */
export interface ReconstructionMetrics {
  recon_bce: number;
  recon_mse: number;
  /** Per-sample BCE summed over pixels, averaged over samples (the usual VAE loss term). */
  recon_bce_sum: number;
}

/** Sums of zero samples with `pixelsPerSample` values each. */
export function emptyReconstruction(pixelsPerSample: number): ReconstructionSums {
  checkPixels(pixelsPerSample);
  return { n: 0, pixels: pixelsPerSample, bceSum: 0, mseSum: 0 };
}

/** Sums for one batch of targets `x` and reconstructions `xHat` (n x pixelsPerSample, values in [0, 1]). */
export function reconstructionBatch(
  x: ArrayLike<number>,
  xHat: ArrayLike<number>,
  n: number,
  pixelsPerSample: number,
): ReconstructionSums {
  checkPixels(pixelsPerSample);
  if (!Number.isInteger(n) || n < 0) {
    throw new UnprocessableError("recon_bad_count", `sample count must be a non-negative integer, got ${n}`);
  }
  const total = n * pixelsPerSample;
  if (x.length !== total || xHat.length !== total) {
    throw new UnprocessableError(
      "recon_bad_shape",
      `targets have ${x.length} values and reconstructions ${xHat.length}; both must be ` +
        `n x pixels = ${n} x ${pixelsPerSample} = ${total}`,
    );
  }
  let bceSum = 0, mseSum = 0;
  for (let i = 0; i < n; i++) {
    // Per-sample partial sums keep the float64 totals accurate over many pixels.
    let bce = 0, se = 0;
    for (let j = i * pixelsPerSample, end = j + pixelsPerSample; j < end; j++) {
      const t = x[j], y = xHat[j];
      if (!(t >= 0 && t <= 1) || !(y >= 0 && y <= 1)) {
        throw new UnprocessableError(
          "recon_value_out_of_range",
          `sample ${i}, pixel ${j - i * pixelsPerSample}: target ${t}, reconstruction ${y}; ` +
            "both must be finite numbers in [0, 1]",
        );
      }
      const p = Math.min(Math.max(y, EPS), 1 - EPS);
      bce -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
      const d = t - y;
      se += d * d;
    }
    bceSum += bce;
    mseSum += se;
  }
  return { n, pixels: pixelsPerSample, bceSum, mseSum };
}

/** Sums over the union of two sample sets; an empty side yields a copy of the other. */
export function mergeReconstruction(a: ReconstructionSums, b: ReconstructionSums): ReconstructionSums {
  if (a.pixels !== b.pixels) {
    throw new UnprocessableError(
      "recon_pixels_mismatch",
      `cannot merge reconstruction sums of ${a.pixels} pixels per sample with ${b.pixels}`,
    );
  }
  if (b.n === 0) return { ...a };
  if (a.n === 0) return { ...b };
  return { n: a.n + b.n, pixels: a.pixels, bceSum: a.bceSum + b.bceSum, mseSum: a.mseSum + b.mseSum };
}

/** BCE and MSE means over all elements, and the per-sample BCE sum averaged over samples. */
export function reconstructionMetrics(s: ReconstructionSums): ReconstructionMetrics {
  if (s.n < 1) {
    throw new UnprocessableError("recon_no_samples", "reconstruction metrics need at least 1 sample, got 0");
  }
  const elements = s.n * s.pixels;
  return { recon_bce: s.bceSum / elements, recon_mse: s.mseSum / elements, recon_bce_sum: s.bceSum / s.n };
}

function checkPixels(pixels: number): void {
  if (!Number.isInteger(pixels) || pixels < 1) {
    throw new UnprocessableError(
      "recon_bad_pixels",
      `pixels per sample must be a positive integer, got ${pixels}`,
    );
  }
}
