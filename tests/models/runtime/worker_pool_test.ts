import assert from "node:assert/strict";
import { InvalidInputError, UnprocessableError } from "../../../src/errors.ts";
import { decodeImageFiles } from "../../../src/images/png_jpeg.ts";
import { encode as encodePng } from "fast-png";
import { seededRandom } from "../../../tools/arrays.ts";
import type { ImageBatch } from "../../../src/features/extractor.ts";
import { initBackend } from "../../../models/runtime/backend.ts";
import { loadExtractor, registerExtractor } from "../../../models/runtime/registry.ts";
import { defaultPoolSize, ExtractorPool } from "../../../models/runtime/worker_pool.ts";
import { splitDigits } from "../../../models/mnist-lenet/digits.ts";
import { BUSY_MS } from "./_sleepy_extractor.ts";
import { configFromEnv } from "../../../functions/config.ts";

registerExtractor("test-sleepy", {
  module: new URL("./_sleepy_extractor.ts", import.meta.url).href,
  exportName: "loadSleepyExtractor",
});

/** n grayscale 2 x 2 images; image i's pixels are i, i+1, i+2, i+3 (divided by 1000). */
function rampImages(n: number): ImageBatch {
  return {
    n,
    height: 2,
    width: 2,
    channels: 1,
    data: Float32Array.from({ length: 4 * n }, (_, k) => (Math.floor(k / 4) + (k % 4)) / 1000),
  };
}

Deno.test("pool extraction equals in-thread extraction bit for bit, rows in input order", async () => {
  const { heldOut } = splitDigits();
  const n = 300;
  const images: ImageBatch = {
    n,
    height: 28,
    width: 28,
    channels: 1,
    data: heldOut.images.subarray(0, n * 784),
  };
  await initBackend("wasm");
  const local = await loadExtractor("mnist-lenet", { backend: "wasm" });
  const pool = new ExtractorPool({ workers: 2, backend: "wasm" });
  try {
    for (const output of ["features", "logits"]) {
      const want = await local.extract(images, output);
      const got = await pool.extract("mnist-lenet", images, output);
      assert.deepEqual([got.n, got.dim], [want.n, want.dim]);
      assert.deepEqual(got.data, want.data, `output ${output}`);
    }
  } finally {
    local.dispose();
    await pool.close();
  }
});

Deno.test("two workers run their slices at the same time", async () => {
  const pool = new ExtractorPool({ workers: 2, minImagesPerTask: 1 });
  try {
    await pool.extract("test-sleepy", rampImages(2), "sums"); // warm up: both workers load the module
    await pool.extract("test-sleepy", rampImages(2), "sums");
    const started = Date.now();
    const rows = await pool.extract("test-sleepy", rampImages(2), "times");
    const wall = Date.now() - started;
    const at = (i: number, k: number) => rows.data[i * 5 + k];
    const interval = (i: number) => [at(i, 1) * 65536 + at(i, 2), at(i, 3) * 65536 + at(i, 4)];
    const [a, b] = [interval(0), interval(1)];
    assert.notEqual(at(0, 0), at(1, 0), "the two slices ran on different workers");
    assert.ok(a[0] < b[1] && b[0] < a[1], `busy intervals overlap: [${a}] and [${b}]`);
    assert.ok(wall < 1.75 * BUSY_MS, `two ${BUSY_MS} ms slices took ${wall} ms in all`);
  } finally {
    await pool.close();
  }
});

Deno.test("a space's registered minImagesPerTask decides how a batch is cut unless the pool sets one", async () => {
  registerExtractor("test-sleepy-fine", {
    module: new URL("./_sleepy_extractor.ts", import.meta.url).href,
    exportName: "loadFineSleepyExtractor",
    minImagesPerTask: 1,
  });
  const workerOf = (rows: { data: Float32Array }, i: number) => rows.data[i * 5];
  const pool = new ExtractorPool({ workers: 2 });
  const coarse = new ExtractorPool({ workers: 2, minImagesPerTask: 16 });
  try {
    const fine = await pool.extract("test-sleepy-fine", rampImages(2), "times");
    assert.notEqual(workerOf(fine, 0), workerOf(fine, 1), "1-image slices on both workers");
    const whole = await pool.extract("test-sleepy", rampImages(2), "times");
    assert.equal(workerOf(whole, 0), workerOf(whole, 1), "default minimum 16: one slice");
    const forced = await coarse.extract("test-sleepy-fine", rampImages(2), "times");
    assert.equal(workerOf(forced, 0), workerOf(forced, 1), "the pool's own minimum wins");
  } finally {
    await pool.close();
    await coarse.close();
  }
});

Deno.test("a batch split into many slices and concurrent callers all get their rows in order", async () => {
  const pool = new ExtractorPool({ workers: 3, minImagesPerTask: 1 });
  try {
    const sizes = [10, 7, 1, 25];
    const results = await Promise.all(sizes.map((n) => pool.extract("test-sleepy", rampImages(n), "sums")));
    results.forEach((rows, j) => {
      assert.equal(rows.n, sizes[j]);
      for (let i = 0; i < sizes[j]; i++) {
        assert.ok(Math.abs(rows.data[i] - (4 * i + 6) / 1000) < 1e-6, `caller ${j} row ${i}`);
      }
    });
  } finally {
    await pool.close();
  }
});

Deno.test("typed errors thrown in a worker reach the caller with their class and code", async () => {
  const pool = new ExtractorPool({ workers: 1 });
  try {
    await assert.rejects(pool.extract("test-sleepy", rampImages(3), "fail"), (e: unknown) => {
      assert.ok(e instanceof UnprocessableError);
      assert.equal(e.code, "test_failure");
      return true;
    });
    await assert.rejects(pool.extract("no-such-space", rampImages(1)), (e: unknown) => {
      assert.ok(e instanceof UnprocessableError);
      assert.equal(e.code, "unknown_feature_space");
      assert.match(e.message, /mnist-lenet/);
      return true;
    });
    // The worker still serves after an error.
    assert.equal((await pool.extract("test-sleepy", rampImages(2), "sums")).n, 2);
  } finally {
    await pool.close();
  }
});

Deno.test("the pool size comes from the configured FIDSTREAM_WORKERS, else the number of cores", () => {
  assert.equal(defaultPoolSize(), navigator.hardwareConcurrency);
  // FIDSTREAM_WORKERS is read by the configuration, once, and given to the pool as `workers`.
  assert.equal(
    configFromEnv((n) => ({ FIDSTREAM_WORKERS: "5" } as Record<string, string>)[n]).extraction.workers,
    5,
  );
  assert.equal(configFromEnv(() => undefined).extraction.workers, undefined);
  assert.throws(
    () => configFromEnv((n) => n === "FIDSTREAM_WORKERS" ? "zero" : undefined),
    /FIDSTREAM_WORKERS/,
  );
  assert.throws(() => new ExtractorPool({ workers: 0 }), InvalidInputError);
});

Deno.test("decodeImages decodes on the workers exactly as in-thread, in order, errors typed and named by index", async () => {
  const r = seededRandom(5);
  const files = Array.from({ length: 5 }, (_, i) => {
    const data = Uint8Array.from({ length: 6 * 4 * (i % 2 ? 1 : 3) }, () => Math.floor(256 * r()));
    return encodePng({ width: 6, height: 4, data, channels: i % 2 ? 1 : 3, depth: 8 });
  });
  const pool = new ExtractorPool({ workers: 2 });
  try {
    const decoded = await pool.decodeImages(files);
    // Gray files decoded by one worker and RGB ones by another still come out as one RGB batch.
    assert.deepEqual(decoded, decodeImageFiles(files));
    const broken = [...files.slice(0, 3), files[3].slice(0, 40), files[4]];
    await assert.rejects(
      () => pool.decodeImages(broken),
      (e: unknown) =>
        e instanceof InvalidInputError && e.code === "image_corrupt" && /^image 3: /.test(e.message),
    );
    await assert.rejects(() => pool.decodeImages([]), UnprocessableError);
  } finally {
    await pool.close();
  }
});
