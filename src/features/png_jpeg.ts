/**
 * Uploaded image files (PNG or JPEG) to an ImageBatch: decodeImage sniffs the format from the leading bytes
 * and checks the header's pixel count before decoding; imageBatchFromImages stacks equal-sized images.
 */

import { InvalidInputError, UnprocessableError } from "../errors.ts";
import { type DecodedImage, type DecodeImageOptions, DEFAULT_MAX_PIXELS } from "./decoded_image.ts";
import type { ImageBatch } from "./extractor.ts";
import { decodeJpegImage, hasJpegSignature } from "./jpeg_decode.ts";
import { decodePngImage, hasPngSignature } from "./png_decode.ts";

export { type DecodedImage, type DecodeImageOptions, DEFAULT_MAX_PIXELS } from "./decoded_image.ts";

/** Decodes one PNG (1-16 bit, gray, gray+alpha, palette, RGB, RGBA) or JPEG; alpha is dropped. */
export function decodeImage(bytes: Uint8Array, opts: DecodeImageOptions = {}): DecodedImage {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (hasPngSignature(bytes)) return decodePngImage(bytes, maxPixels);
  if (hasJpegSignature(bytes)) return decodeJpegImage(bytes, maxPixels);
  throw new InvalidInputError(
    "image_unknown_format",
    `the file (${bytes.length} bytes) is neither PNG nor JPEG: it starts with neither the PNG signature ` +
      "89 50 4E 47 nor the JPEG marker FF D8 FF",
  );
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
