/**
 * Test helpers for the image commands (features, deno task fid): images as pixel arrays written to PNG files,
 * and an independent in-thread extraction of the same pixels through the registry (no worker pool, no files).
 */
import { encode as encodePng } from "fast-png";
import { loadExtractor } from "../../models/runtime/registry.ts";
import type { FeatureExtractor } from "../../src/features/extractor.ts";

/** One 8-bit image: row-major, channels interleaved. */
export interface TestImage {
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Uint8Array;
}

/** Writes `img` as an 8-bit PNG. */
export async function writePng(path: string, img: TestImage): Promise<void> {
  const { width, height, channels, pixels } = img;
  await Deno.writeFile(path, encodePng({ width, height, channels, depth: 8, data: pixels }));
}

/** A digit (28 x 28 gray uint8) as a TestImage, or, with `rgb`, its pixels spread over tinted RGB channels. */
export function digitImage(pixels: Uint8Array, rgb = false): TestImage {
  if (!rgb) return { width: 28, height: 28, channels: 1, pixels };
  const out = new Uint8Array(28 * 28 * 3);
  for (let p = 0; p < 784; p++) {
    out[3 * p] = pixels[p];
    out[3 * p + 1] = Math.round(pixels[p] * 0.6);
    out[3 * p + 2] = 255 - pixels[p];
  }
  return { width: 28, height: 28, channels: 3, pixels: out };
}

const inThread = new Map<string, Promise<FeatureExtractor>>();

/** Features of each image on its own, computed in this thread on wasm via the registry: the test's oracle. */
export async function featuresInThread(
  space: string,
  images: readonly TestImage[],
  output?: string,
  dataDir?: string,
): Promise<Float32Array[]> {
  const key = `${space} ${dataDir}`;
  if (!inThread.has(key)) inThread.set(key, loadExtractor(space, { backend: "wasm", dataDir }));
  const ex = await inThread.get(key)!;
  const rows: Float32Array[] = [];
  for (const img of images) {
    const data = new Float32Array(img.pixels.length);
    for (let i = 0; i < data.length; i++) data[i] = img.pixels[i] / 255;
    const r = await ex.extract(
      { n: 1, height: img.height, width: img.width, channels: img.channels, data },
      output,
    );
    rows.push(r.data.slice());
  }
  return rows;
}
