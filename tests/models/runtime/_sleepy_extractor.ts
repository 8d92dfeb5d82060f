/**
 * A test-only extractor ("test-sleepy") loaded inside pool workers. Output "times": per image, the worker's
 * index and the wall-clock start and end (ms since epoch, split into float32-exact high and low parts) of a
 * 400 ms busy wait per call. Output "sums": each image's pixel sum. Output "fail": throws a typed error.
 */
import { UnprocessableError } from "../../../src/errors.ts";
import type { FeatureExtractor, FeatureRows, ImageBatch } from "../../../src/features/extractor.ts";

export const BUSY_MS = 400;

function split(t: number): [number, number] {
  return [Math.floor(t / 65536), t % 65536];
}

export function loadSleepyExtractor(): Promise<FeatureExtractor> {
  return Promise.resolve(sleepy("test-sleepy"));
}

/** The same extractor under the space "test-sleepy-fine" (registered with its own slicing minimum). */
export function loadFineSleepyExtractor(): Promise<FeatureExtractor> {
  return Promise.resolve(sleepy("test-sleepy-fine"));
}

function sleepy(space: string): FeatureExtractor {
  const index = Number((globalThis as { name?: string }).name?.split("-").pop() ?? -1);
  return {
    space,
    dims: { times: 5, sums: 1, fail: 1 },
    extract(images: ImageBatch, output = "times"): Promise<FeatureRows> {
      const per = images.height * images.width * images.channels;
      if (output === "fail") throw new UnprocessableError("test_failure", `failed on ${images.n} images`);
      if (output === "sums") {
        const data = new Float32Array(images.n);
        for (let i = 0; i < images.n; i++) for (let k = 0; k < per; k++) data[i] += images.data[i * per + k];
        return Promise.resolve({ n: images.n, dim: 1, data });
      }
      const start = Date.now();
      while (Date.now() - start < BUSY_MS) { /* busy: holds this worker's thread like a real extraction */ }
      const end = Date.now();
      const data = new Float32Array(images.n * 5);
      for (let i = 0; i < images.n; i++) data.set([index, ...split(start), ...split(end)], i * 5);
      return Promise.resolve({ n: images.n, dim: 5, data });
    },
    dispose() {},
  };
}
