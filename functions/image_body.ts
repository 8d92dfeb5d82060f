/**
 * Reading images from a request: multipart/form-data with one PNG/JPEG file per part, or an .npy image array
 * (uint8 0..255 or float 0..1; N x H x W, NHWC or NCHW with 1 or 3 channels; `?layout=NCHW|NHWC` resolves ambiguity).
 */
import type { Context } from "hono";
import { readMultipartBody } from "./body.ts";
import { sha256Hex } from "../src/sha256_hex.ts";
import { InvalidInputError, PayloadTooLargeError, UnprocessableError } from "../src/errors.ts";
import type { ImageBatch } from "../src/features/extractor.ts";
import { imageBatchFromNdArray, type ImageLayout } from "../src/features/image_batch.ts";
import { checkImageFiles, DEFAULT_MAX_PIXELS } from "../src/images/png_jpeg.ts";
import type { NdArray } from "../src/tensors/ndarray.ts";
import { parseNpy } from "../src/tensors/npy.ts";

/** Most image files accepted in one multipart request. */
export const MAX_IMAGES_PER_REQUEST = 4096;

/** True when an .npy array holds images (N x H x W, or with a channel axis) rather than N x D features. */
export function isImageArray(a: NdArray): boolean {
  return a.shape.length >= 3;
}

/** The optional ?layout= query parameter. */
export function layoutParam(c: Context): ImageLayout | undefined {
  const layout = c.req.query("layout");
  if (layout === undefined) return undefined;
  if (layout !== "NCHW" && layout !== "NHWC") {
    throw new InvalidInputError("bad_layout", `layout must be NCHW or NHWC, got ${JSON.stringify(layout)}`);
  }
  return layout;
}

/**
 * The file parts of the request's multipart/form-data body, in order, read as they arrive: the part count is
 * checked as each part starts, so a body of millions of empty parts is refused after its first few thousand.
 */
export async function readImageParts(c: Context): Promise<Uint8Array[]> {
  const parts = await readMultipartBody(c, {
    maxParts: MAX_IMAGES_PER_REQUEST,
    tooManyParts: (max) =>
      new PayloadTooLargeError(
        "too_many_images",
        `more than ${max} parts in one request; at most ${max} images: split them over several batches`,
      ),
  });
  // As FormData: a part with a filename is a file; plain fields are ignored.
  const files = parts.filter((p) => p.filename !== undefined).map((p) => p.bytes);
  if (files.length === 0) {
    throw new UnprocessableError(
      "no_images",
      "the multipart body has no file parts: send one PNG or JPEG per part",
    );
  }
  return files;
}

/**
 * SHA-256 of what a multipart upload carries (each file's length and bytes), not of its envelope: a client's
 * retry serializes a new random boundary, and must still count as the same body.
 */
export async function multipartContentSha256(files: Uint8Array[]): Promise<string> {
  const total = files.reduce((s, f) => s + 8 + f.byteLength, 0);
  const joined = new Uint8Array(total);
  const view = new DataView(joined.buffer);
  let at = 0;
  for (const f of files) {
    view.setBigUint64(at, BigInt(f.byteLength), true);
    joined.set(f, at + 8);
    at += 8 + f.byteLength;
  }
  return await sha256Hex(joined);
}

/**
 * Most pixels of all images of one request together (4096 x 4096). Decoded and stacked as float32 RGB each pixel
 * takes 12 bytes, and a 50 KB PNG can declare 4096 x 4096: without a total, a few hundred KB of PNGs took the
 * server's memory by gigabytes.
 */
export const MAX_PIXELS_PER_REQUEST = DEFAULT_MAX_PIXELS;

/**
 * Image files checked here from their headers (format, MAX_PIXELS_PER_REQUEST in all, one size), then decoded
 * by `decoder` (the feature service's worker pool): the request thread never spends the decoding time, which
 * is tens of milliseconds per megapixel in pure JavaScript.
 */
export async function decodeUploadedImages(
  files: Uint8Array[],
  decoder: { decodeImages(files: Uint8Array[]): Promise<ImageBatch> },
): Promise<ImageBatch> {
  checkImageFiles(files, MAX_PIXELS_PER_REQUEST);
  return await decoder.decodeImages(files);
}

/** Images of an .npy body that holds an image array. */
export function imagesFromNpy(bytes: Uint8Array, layout?: ImageLayout): ImageBatch {
  return imageBatchFromNdArray(parseNpy(bytes), layout);
}
