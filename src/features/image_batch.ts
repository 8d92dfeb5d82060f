/**
 * Turning an uploaded n-dimensional array (.npy) into an ImageBatch (NHWC float32 in [0, 1]).
 *
 * Accepted layouts:
 * - N x H x W: grayscale.
 * - N x H x W x C (NHWC) with C in {1, 3}, or N x C x H x W (NCHW) with C in {1, 3}.
 *   When axis 3 is 1 or 3 and axis 1 is not, the array is NHWC; when axis 1 is 1 or 3 and axis 3 is not, it
 *   is NCHW. When both are (e.g. N x 3 x 32 x 3), the shape is ambiguous: it is read as NHWC unless the
 *   caller passes `layout` (NHWC is what image libraries and tfjs write; a PyTorch NCHW array with a width
 *   of 1 or 3 pixels is the rarer case).
 *
 * Values: uint8 arrays are 0..255 and are divided by 255; float arrays must already lie in [0, 1].
 */

import { UnprocessableError } from "../errors.ts";
import type { NdArray } from "../tensors/ndarray.ts";
import type { ImageBatch } from "./extractor.ts";

/** Where the channel axis of a 4-d image array is. */
export type ImageLayout = "NHWC" | "NCHW";

/** The ImageBatch an array of images holds (see the module comment for the accepted shapes and values). */
export function imageBatchFromNdArray(a: NdArray, layout?: ImageLayout): ImageBatch {
  const { n, height, width, channels, nchw } = checkedImageGeometry(a, layout);
  const scale = a.dtype === "uint8" ? 1 / 255 : 1;
  const hw = height * width;
  const out = new Float32Array(n * hw * channels);
  if (!nchw || channels === 1) {
    // NHWC, N x H x W and N x 1 x H x W all have the same element order as NHWC.
    for (let i = 0; i < out.length; i++) out[i] = a.data[i] * scale;
  } else {
    for (let i = 0; i < n; i++) {
      const base = i * hw * channels;
      for (let c = 0; c < channels; c++) {
        const src = base + c * hw;
        for (let p = 0; p < hw; p++) out[base + p * channels + c] = a.data[src + p] * scale;
      }
    }
  }
  return { n, height, width, channels, data: out };
}

/**
 * The geometry of an image array (shapes as in the module comment), refusing empty arrays and float values
 * outside [0, 1] with typed errors.
 */
export function checkedImageGeometry(a: NdArray, layout?: ImageLayout): ImageGeometry {
  const g = imageGeometry(a.shape, layout);
  if (g.n === 0 || g.height === 0 || g.width === 0) {
    throw new UnprocessableError(
      "images_empty",
      `the image array has shape (${
        a.shape.join(", ")
      }); expected at least one image of at least 1 x 1 pixel`,
    );
  }
  if (a.dtype !== "uint8") checkUnitRange(a.data);
  return g;
}

/** Where an image array's axes are. */
export interface ImageGeometry {
  n: number;
  height: number;
  width: number;
  channels: 1 | 3;
  nchw: boolean;
}

function imageGeometry(shape: readonly number[], layout?: ImageLayout): ImageGeometry {
  const expected =
    "expected N x H x W (grayscale), N x H x W x C (NHWC) or N x C x H x W (NCHW) with C = 1 or 3";
  if (shape.length === 3) return { n: shape[0], height: shape[1], width: shape[2], channels: 1, nchw: false };
  if (shape.length !== 4) {
    throw new UnprocessableError(
      "images_bad_shape",
      `the image array has ${shape.length} dimensions, shape (${shape.join(", ")}); ${expected}`,
    );
  }
  const isChannels = (d: number) => d === 1 || d === 3;
  let nchw: boolean;
  if (layout !== undefined) nchw = layout === "NCHW";
  else nchw = isChannels(shape[1]) && !isChannels(shape[3]);
  const c = nchw ? shape[1] : shape[3];
  if (!isChannels(c)) {
    throw new UnprocessableError(
      "images_bad_channels",
      `the image array has shape (${shape.join(", ")}) and no channel axis of size 1 or 3` +
        (layout ? ` in the ${layout} position` : "") + `; ${expected}`,
    );
  }
  return nchw
    ? { n: shape[0], height: shape[2], width: shape[3], channels: c as 1 | 3, nchw }
    : { n: shape[0], height: shape[1], width: shape[2], channels: c as 1 | 3, nchw };
}

/** Rejects float pixel values outside [0, 1] (or NaN), naming the range found. */
function checkUnitRange(data: ArrayLike<number>): void {
  let min = Infinity, max = -Infinity, bad = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (!(v >= 0 && v <= 1)) bad = true; // also catches NaN
  }
  if (!bad) return;
  const hint = max > 1 && max <= 255 && min >= 0
    ? " (pixel values 0..255 must be sent as uint8, or divided by 255)"
    : "";
  throw new UnprocessableError(
    "images_out_of_range",
    `float pixel values must lie in [0, 1] but range over [${min}, ${max}]` +
      (Array.prototype.some.call(data, Number.isNaN) ? " and include NaN" : "") + hint,
  );
}
