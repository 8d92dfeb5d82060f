/**
 * Uploaded image files (PNG or JPEG) to an ImageBatch: decodeImage sniffs the format from the leading bytes
 * and checks the header's pixel count before decoding; imageBatchFromImages stacks equal-sized images;
 * checkImageFiles validates a whole upload from the headers alone, so decoding can happen elsewhere (the
 * service decodes on its worker pool, off the request thread) and decodeImageFiles does it.
 */

import { InvalidInputError, PayloadTooLargeError, UnprocessableError } from "../errors.ts";
import {
  checkPixelCount,
  type DecodedImage,
  type DecodeImageOptions,
  DEFAULT_MAX_PIXELS,
} from "./decoded_image.ts";
import type { ImageBatch } from "../features/extractor.ts";
import { decodeJpegImage, hasJpegSignature, readJpegHeader } from "./jpeg_decode.ts";
import { decodePngImage, hasPngSignature, readPngHeader } from "./png_decode.ts";

export { type DecodedImage, type DecodeImageOptions, DEFAULT_MAX_PIXELS } from "./decoded_image.ts";

/** Decodes one PNG (1-16 bit, gray, gray+alpha, palette, RGB, RGBA) or JPEG; alpha is dropped. */
export function decodeImage(bytes: Uint8Array, opts: DecodeImageOptions = {}): DecodedImage {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (hasPngSignature(bytes)) return decodePngImage(bytes, maxPixels);
  if (hasJpegSignature(bytes)) return decodeJpegImage(bytes, maxPixels);
  return unknownFormat(bytes);
}

function unknownFormat(bytes: Uint8Array): never {
  throw new InvalidInputError(
    "image_unknown_format",
    `the file (${bytes.length} bytes) is neither PNG nor JPEG: it starts with neither the PNG signature ` +
      "89 50 4E 47 nor the JPEG marker FF D8 FF",
  );
}

/** Format and size of a PNG or JPEG from its header alone (nothing is decoded). */
export function readImageSize(bytes: Uint8Array): { format: "PNG" | "JPEG"; width: number; height: number } {
  if (hasPngSignature(bytes)) return { format: "PNG", ...readPngHeader(bytes) };
  if (hasJpegSignature(bytes)) return { format: "JPEG", ...readJpegHeader(bytes) };
  return unknownFormat(bytes);
}

/** Runs fn on each file, prefixing a failure's message with "image i: " (i counted from firstIndex). */
function eachImage<T>(
  files: readonly Uint8Array[],
  firstIndex: number,
  fn: (f: Uint8Array, i: number) => T,
): T[] {
  return files.map((f, k) => {
    const i = firstIndex + k;
    try {
      return fn(f, i);
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith("image ")) e.message = `image ${i}: ${e.message}`;
      throw e;
    }
  });
}

/**
 * Validates an upload's image files from their headers alone: known format, at most DEFAULT_MAX_PIXELS each and
 * `maxTotalPixels` together (decompression bombs), one size for all. Throws what decoding them would.
 */
export function checkImageFiles(files: readonly Uint8Array[], maxTotalPixels: number): void {
  let budget = maxTotalPixels;
  let first: { width: number; height: number } | undefined;
  eachImage(files, 0, (f, i) => {
    const { format, width, height } = readImageSize(f);
    // Over what is left after earlier images: say so (a per-image cap error would mislead).
    if (width * height > budget && budget < maxTotalPixels) {
      throw new PayloadTooLargeError(
        "images_too_many_pixels",
        `image ${i}: the images of one request may hold ${maxTotalPixels} pixels together, and ` +
          `${maxTotalPixels - budget} are taken by images 0..${i - 1}: send fewer images per batch`,
      );
    }
    checkPixelCount(format, width, height, Math.min(DEFAULT_MAX_PIXELS, budget));
    budget -= width * height;
    first ??= { width, height };
    if (width !== first.width || height !== first.height) {
      throw new UnprocessableError(
        "images_size_mismatch",
        `image ${i} is ${width} x ${height} pixels but image 0 is ${first.width} x ${first.height}; ` +
          "all images of a batch must have the same size",
      );
    }
  });
}

/** Decodes image files (checked by checkImageFiles) and stacks them; errors name "image firstIndex + k". */
export function decodeImageFiles(files: readonly Uint8Array[], firstIndex = 0): ImageBatch {
  return imageBatchFromImages(eachImage(files, firstIndex, (f) => decodeImage(f)));
}

/**
 * Stacks decoded images into one NHWC batch with values in [0, 1]. All images must share width and height;
 * when some are RGB and some grayscale, the gray ones are repeated over the three channels.
 */
export function imageBatchFromImages(images: readonly DecodedImage[]): ImageBatch {
  if (images.length === 0) {
    throw new UnprocessableError("images_empty", "no images were given; expected at least one");
  }
  const { width, height } = images[0];
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height) {
      throw new UnprocessableError(
        "images_size_mismatch",
        `image ${i} is ${img.width} x ${img.height} pixels but image 0 is ${width} x ${height}; ` +
          "all images of a batch must have the same size",
      );
    }
  });
  const channels: 1 | 3 = images.some((img) => img.channels === 3) ? 3 : 1;
  const pixels = width * height;
  const data = new Float32Array(images.length * pixels * channels);
  images.forEach((img, i) => {
    const scale = 1 / img.maxValue, base = i * pixels * channels;
    if (img.channels === channels) {
      for (let k = 0; k < pixels * channels; k++) data[base + k] = img.data[k] * scale;
    } else {
      for (let p = 0; p < pixels; p++) {
        const v = img.data[p] * scale;
        data[base + 3 * p] = v;
        data[base + 3 * p + 1] = v;
        data[base + 3 * p + 2] = v;
      }
    }
  });
  return { n: images.length, height, width, channels, data };
}
