/** A decoded PNG or JPEG before it joins an ImageBatch, and the pixel cap checked before decoding. */

import { PayloadTooLargeError } from "../errors.ts";

/** Pixels of one decoded image, row-major, channels interleaved, alpha already dropped. */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 = grayscale, 3 = RGB. */
  channels: 1 | 3;
  /** The value that means full intensity: 255 for 8-bit data (also 1/2/4-bit PNGs, scaled up), 65535 for 16-bit. */
  maxValue: 255 | 65535;
  data: Uint8Array | Uint16Array;
}

/** Options of the image decoders. */
export interface DecodeImageOptions {
  /** Largest width x height accepted, checked from the header before any pixel is decoded. */
  maxPixels?: number;
}

/** Default pixel cap: 16.8 megapixels (4096 x 4096), far above what FID networks consume. */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

/** Throws PayloadTooLargeError when a header declares more pixels than the cap (decompression bombs). */
export function checkPixelCount(format: string, width: number, height: number, maxPixels: number): void {
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new PayloadTooLargeError(
      "image_too_many_pixels",
      `the ${format} declares ${width} x ${height} = ${pixels} pixels; the limit is ${maxPixels} pixels per image`,
    );
  }
}
