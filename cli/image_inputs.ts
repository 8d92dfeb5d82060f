/**
 * Image inputs of the extraction commands (`features`, `deno task fid`): a folder of PNG/JPEG files or an .npy
 * image array, read a chunk at a time so memory stays bounded however many images there are.
 *
 * A folder is read like pytorch-fid reads one: its files (not subfolders) with an image extension, sorted by
 * name. Only PNG and JPEG are decoded here; files with other image extensions (bmp, webp, tif, ...) are
 * counted in `skipped` so the caller can say so. A chunk holds consecutive images of one size: a size change
 * starts a new chunk, since every image is resized by the network's own preprocessing anyway.
 */

import { UnprocessableError } from "../src/errors.ts";
import type { ImageBatch } from "../src/features/extractor.ts";
import { imageBatchFromNdArray } from "../src/features/image_batch.ts";
import { type DecodedImage, decodeImage, imageBatchFromImages } from "../src/images/png_jpeg.ts";
import type { NdArray } from "../src/tensors/ndarray.ts";
import { parseNpy } from "../src/tensors/npy.ts";
import { isZip, readInput } from "./inputs.ts";

/** Extensions decoded (case-insensitive). */
export const DECODED_EXTENSIONS = ["png", "jpg", "jpeg"] as const;
/** Image extensions pytorch-fid also reads but fidstream does not decode: such files are skipped, loudly. */
export const SKIPPED_EXTENSIONS = ["bmp", "pgm", "ppm", "tif", "tiff", "webp", "gif"] as const;

/** Images to extract: how many, and their chunks in order. */
export interface ImageSource {
  path: string;
  kind: "folder" | "npy";
  /** Number of images. */
  count: number;
  /** Image files left out because their format is not decoded (folders only). */
  skipped: string[];
  /** Consecutive chunks of at most `maxImages` images of one size each, in input order. */
  chunks(maxImages: number): AsyncIterable<ImageBatch>;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
}

/** The PNG/JPEG files of a folder sorted by name (code point order, as Python's sorted), and skipped images. */
export async function listImageFiles(dir: string): Promise<{ files: string[]; skipped: string[] }> {
  const files: string[] = [], skipped: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile && !entry.isSymlink) continue;
    const ext = extensionOf(entry.name);
    if ((DECODED_EXTENSIONS as readonly string[]).includes(ext)) files.push(entry.name);
    else if ((SKIPPED_EXTENSIONS as readonly string[]).includes(ext)) skipped.push(entry.name);
  }
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  files.sort(byCodePoint);
  skipped.sort(byCodePoint);
  return { files: files.map((f) => `${dir}/${f}`), skipped: skipped.map((f) => `${dir}/${f}`) };
}

/** Opens a folder of PNG/JPEG files or an .npy image array (N x H x W, NHWC or NCHW) as an ImageSource. */
export async function openImageSource(path: string): Promise<ImageSource> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (info.isDirectory) return await folderSource(path);
  return npySource(path, await readInput(path));
}

async function folderSource(dir: string): Promise<ImageSource> {
  const { files, skipped } = await listImageFiles(dir);
  if (files.length === 0) {
    throw new UnprocessableError(
      "images_empty",
      `${dir} holds no .png, .jpg or .jpeg files` +
        (skipped.length ? ` (${skipped.length} images in other formats: convert them to PNG)` : ""),
    );
  }
  return {
    path: dir,
    kind: "folder",
    count: files.length,
    skipped,
    async *chunks(maxImages: number) {
      let group: DecodedImage[] = [];
      for (const file of files) {
        const bytes = await readInput(file);
        let img: DecodedImage;
        try {
          img = decodeImage(bytes);
        } catch (e) {
          if (e instanceof Error) e.message = `${file}: ${e.message}`;
          throw e;
        }
        const sameSize = group.length === 0 ||
          (group[0].width === img.width && group[0].height === img.height);
        if (!sameSize || group.length >= maxImages) {
          yield imageBatchFromImages(group);
          group = [];
        }
        group.push(img);
      }
      if (group.length) yield imageBatchFromImages(group);
    },
  };
}

function npySource(path: string, bytes: Uint8Array): ImageSource {
  if (isZip(bytes)) {
    throw new UnprocessableError(
      "images_not_npy",
      `${path} is a zip (.npz); images must be a folder of PNG/JPEG files or an .npy image array`,
    );
  }
  let array: NdArray;
  try {
    array = parseNpy(bytes);
  } catch (e) {
    if (e instanceof Error) e.message = `${path}: ${e.message}`;
    throw e;
  }
  if (array.shape.length === 2) {
    throw new UnprocessableError(
      "images_are_features",
      `${path} is a 2-D array (${array.shape.join(" x ")}), which reads as features, not images; ` +
        "images are N x H x W, N x H x W x C or N x C x H x W (for features use `deno task cli fid`)",
    );
  }
  const n = array.shape[0] ?? 0;
  const perImage = array.shape.slice(1).reduce((a, b) => a * b, 1);
  return {
    path,
    kind: "npy",
    count: n,
    skipped: [],
    async *chunks(maxImages: number) {
      if (n === 0) yield imageBatchFromNdArray(array); // throws the "no images" error
      for (let start = 0; start < n; start += maxImages) {
        const end = Math.min(n, start + maxImages);
        const slice: NdArray = {
          dtype: array.dtype,
          shape: [end - start, ...array.shape.slice(1)],
          data: array.data.subarray(start * perImage, end * perImage),
        };
        try {
          yield imageBatchFromNdArray(slice);
        } catch (e) {
          if (e instanceof Error) e.message = `${path} (images ${start}..${end - 1}): ${e.message}`;
          throw e;
        }
      }
    },
  };
}
