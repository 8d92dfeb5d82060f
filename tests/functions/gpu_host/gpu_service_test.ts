/**
 * The GPU host's service: while its model loads, fid-inception requests are refused at once (503, not queued
 * behind the load) and other spaces are served by the CPU pool; once loaded, fid-inception runs on the GPU
 * queue and health reports the device; without a GPU model the pool serves fid-inception too.
 */
import assert from "node:assert/strict";
import { startGpuHostService } from "../../../functions/gpu_host/gpu_service.ts";
import { WgslFidInceptionExtractor } from "../../../models/fid-inception/wgsl/extractor.ts";
import { ExtractorPool } from "../../../models/runtime/worker_pool.ts";
import { UnavailableError } from "../../../src/errors.ts";
import type { FeatureRows, ImageBatch } from "../../../src/features/extractor.ts";
import { pixelsOfImages } from "../../../src/features/pixel_batch.ts";
import { digitImages } from "../../_support/digits.ts";
import { randomImg, randomWeights } from "../../../tools/fid_inception_reference.ts";
import { gpuTest } from "../../models/fid-inception/wgsl/_gpu.ts";

const digits = (n: number) =>
  pixelsOfImages({
    n,
    height: 28,
    width: 28,
    channels: 1,
    data: Float32Array.from(digitImages(n), (v) => v / 255),
  });

Deno.test(
  gpuTest(
    "a request never waits for the model to load: 503 until ready, then the GPU serves",
    async (gpu) => {
      const pool = new ExtractorPool({ workers: 1, backend: "wasm" });
      let release!: () => void;
      const gate = new Promise<void>((r) => release = r);
      const logs: string[] = [];
      const service = startGpuHostService({
        pool,
        loadModel: async () => {
          await gate;
          return await WgslFidInceptionExtractor.create(randomWeights(5), {
            gpu,
            inputSize: 75,
            capacity: 2,
          });
        },
        log: (m) => logs.push(m),
      });
      try {
        const img: ImageBatch = {
          n: 1,
          height: 75,
          width: 75,
          channels: 3,
          data: Float32Array.from(randomImg(75, 75, 3, 1, 0, 1).data),
        };
        const images = pixelsOfImages(img);
        await assert.rejects(
          service.extract("fid-inception:2048", images),
          (e: unknown) => e instanceof UnavailableError && e.code === "gpu_host_warming",
        );
        assert.deepEqual([service.health().ready, service.health().gpu.state], [false, "loading"]);
        // Other spaces do not wait either: the CPU pool has them.
        const lenet: FeatureRows = await service.extract("mnist-lenet", digits(3));
        assert.deepEqual([lenet.n, lenet.dim], [3, 128]);

        release();
        await service.loaded;
        const h = service.health();
        assert.deepEqual([h.ready, h.gpu.state, h.gpu.adapter], [true, "ready", gpu.adapter]);
        assert.ok(h.gpu.memoryBytes! > 90e6, `the weights alone are ~95 MB (${h.gpu.memoryBytes})`);
        const rows = await service.extract("fid-inception:768", images);
        assert.deepEqual([rows.n, rows.dim], [1, 768]);
        assert.equal(service.health().images, 1, "it ran on the GPU queue");
        assert.ok(logs.some((m) => m.includes("ready on")));
      } finally {
        await service.close();
      }
    },
  ),
);

Deno.test("without a GPU model the CPU pool extracts every space, and health says so", async () => {
  const calls: string[] = [];
  const pool = new ExtractorPool({ workers: 1, backend: "wasm" });
  const service = startGpuHostService({
    pool: {
      extract: (space, images, output) => (calls.push(space), pool.extract(space, images, output)),
      decodeImages: (files) => pool.decodeImages(files),
      close: () => pool.close(),
    },
    loadModel: () => Promise.resolve(null),
  });
  try {
    await service.loaded;
    assert.deepEqual([service.health().ready, service.health().gpu.state], [true, "off"]);
    await service.extract("mnist-lenet:logits", digits(2));
    await assert.rejects(service.extract("nope", digits(1)), /no feature extractor/);
    // An unknown space is refused by the registry's allow-list before any worker sees it.
    assert.deepEqual(calls, ["mnist-lenet"]);
  } finally {
    await service.close();
  }
});
