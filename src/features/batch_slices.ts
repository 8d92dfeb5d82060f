/** Cutting an ImageBatch into consecutive slices and joining the feature rows computed for each. */

import { UnprocessableError } from "../errors.ts";
import type { FeatureRows, ImageBatch } from "./extractor.ts";

/** Images [start, end) of a batch; the pixels are a view, not a copy. */
export function sliceImageBatch(images: ImageBatch, start: number, end: number): ImageBatch {
  const per = images.height * images.width * images.channels;
  return { ...images, n: end - start, data: images.data.subarray(start * per, end * per) };
}

/** [start, end) bounds of consecutive slices of n items with at most `maxPerSlice` each, sizes as even as possible. */
export function sliceBounds(n: number, maxPerSlice: number): [number, number][] {
  if (!Number.isInteger(maxPerSlice) || maxPerSlice < 1) {
    throw new UnprocessableError("bad_slice_size", `a slice must hold at least one item, got ${maxPerSlice}`);
  }
  const count = Math.ceil(n / maxPerSlice);
  const bounds: [number, number][] = [];
  for (let s = 0; s < count; s++) {
    bounds.push([Math.floor((s * n) / count), Math.floor(((s + 1) * n) / count)]);
  }
  return bounds;
}

/**
 * Image batches of one size joined in order; when some are RGB and some grayscale, the gray ones are repeated
 * over the three channels (as imageBatchFromImages does within a batch).
 */
export function concatImageBatches(parts: readonly ImageBatch[]): ImageBatch {
  if (parts.length === 1) return parts[0];
  if (parts.length === 0) {
    throw new UnprocessableError("images_empty", "no images were given; expected at least one");
  }
  const { height, width } = parts[0];
  if (parts.some((p) => p.height !== height || p.width !== width)) {
    throw new UnprocessableError("images_size_mismatch", "image batches of different sizes cannot be joined");
  }
  const channels: 1 | 3 = parts.some((p) => p.channels === 3) ? 3 : 1;
  const pixels = height * width;
  const n = parts.reduce((sum, p) => sum + p.n, 0);
  const data = new Float32Array(n * pixels * channels);
  let at = 0;
  for (const p of parts) {
    if (p.channels === channels) data.set(p.data.subarray(0, p.n * pixels * channels), at);
    else {
      for (let k = 0; k < p.n * pixels; k++) data.fill(p.data[k], at + 3 * k, at + 3 * k + 3);
    }
    at += p.n * pixels * channels;
  }
  return { n, height, width, channels, data };
}

/** Feature rows of consecutive slices joined in order; every part must have the same dimension. */
export function concatFeatureRows(parts: readonly FeatureRows[]): FeatureRows {
  if (parts.length === 0) return { n: 0, dim: 0, data: new Float32Array(0) };
  const dim = parts[0].dim;
  let n = 0;
  for (const p of parts) {
    if (p.dim !== dim) {
      throw new UnprocessableError(
        "dimension_mismatch",
        `feature slices have dimensions ${dim} and ${p.dim}`,
      );
    }
    n += p.n;
  }
  if (parts.length === 1) return parts[0];
  const data = new Float32Array(n * dim);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data.subarray(0, p.n * dim), offset);
    offset += p.n * dim;
  }
  return { n, dim, data };
}
