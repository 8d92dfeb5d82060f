/**
 * Laying a batch of images out as one picture: a rows x cols grid with a border of `pad` pixels around and
 * between the tiles, values mapped from [0, 1] to bytes. Pure and deterministic (same input, same bytes).
 */

import { InvalidInputError } from "../errors.ts";
import type { ImageBatch } from "../features/extractor.ts";

/** An 8-bit raster, row-major, `channels` bytes per pixel. */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Layout options of a grid. */
export interface GridOptions {
  /** Border and gap width in pixels (default 2). */
  pad?: number;
  /** Border byte value (default 96: a dark gray that separates white-on-black digits). */
  background?: number;
}

/** A value in [0, 1] as a byte: round(clamp(v, 0, 1) * 255); NaN becomes 0. */
export function unitToByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/** The images laid out row-major in `cols` columns (rows = ceil(n / cols); empty cells are background). */
export function tileImages(images: ImageBatch, cols: number, opts: GridOptions = {}): RasterImage {
  const pad = opts.pad ?? 2;
  const background = opts.background ?? 96;
  const { n, height: h, width: w, channels: c } = images;
  if (!Number.isInteger(cols) || cols < 1 || n < 1) {
    throw new InvalidInputError("grid_bad_layout", `a grid needs at least one image and one column`);
  }
  const rows = Math.ceil(n / cols);
  const width = cols * w + (cols + 1) * pad;
  const height = rows * h + (rows + 1) * pad;
  const data = new Uint8Array(width * height * c).fill(background);
  for (let i = 0; i < n; i++) {
    const top = pad + Math.floor(i / cols) * (h + pad);
    const left = pad + (i % cols) * (w + pad);
    for (let y = 0; y < h; y++) {
      const src = ((i * h + y) * w) * c;
      const dst = ((top + y) * width + left) * c;
      for (let k = 0; k < w * c; k++) data[dst + k] = unitToByte(images.data[src + k]);
    }
  }
  return { width, height, channels: c, data };
}
