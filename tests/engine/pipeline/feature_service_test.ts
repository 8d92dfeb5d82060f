/**
 * The GPU host client: a warming host (the real GPU host app whose model has not loaded) is skipped without
 * waiting and without being asked again until its health says ready; images travel as uint8 when lossless.
 */
import assert from "node:assert/strict";
import { createGpuHostApp } from "../../../functions/gpu_host/app.ts";
import { startGpuHostService } from "../../../functions/gpu_host/gpu_service.ts";
import { imagesToNpy, remoteFeatureService } from "../../../engine/pipeline/feature_service.ts";
import { ExtractorPool } from "../../../models/runtime/worker_pool.ts";
import type { FeatureRows, ImageBatch } from "../../../src/features/extractor.ts";
import { parseNpy } from "../../../src/tensors/npy.ts";

const images: ImageBatch = {
  n: 1,
  height: 2,
  width: 2,
  channels: 1,
  data: Float32Array.from([0, 1, 2, 255], (v) => v / 255),
};

Deno.test("images whose values are multiples of 1/255 travel as uint8, others as float32", () => {
  const u8 = parseNpy(imagesToNpy(images));
  assert.equal(u8.dtype, "uint8");
  assert.deepEqual([...u8.data], [0, 1, 2, 255]);
  assert.deepEqual(u8.shape, [1, 2, 2, 1]);
  const half = { ...images, data: Float32Array.from([0, 0.5, 1, 1]) };
  assert.equal(parseNpy(imagesToNpy(half)).dtype, "float32");
});

/** A GPU host app (the real one) on loopback, whose model loads with `loadModel`; counts the POSTs it gets. */
function serveHost(pool: ExtractorPool, loadModel: () => Promise<null>, port = 0) {
  const service = startGpuHostService({ pool, loadModel, log: () => {} });
  const app = createGpuHostApp(service, { maxBodyBytes: 1 << 20 });
  const posts: string[] = [];
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    if (req.method === "POST") posts.push(new URL(req.url).searchParams.get("space")!);
    return app.fetch(req);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, port: server.addr.port, posts, server };
}

Deno.test({
  name:
    "a warming GPU host answers 503 at once; the client goes home and skips it until its health says ready",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const pool = new ExtractorPool({ workers: 1, backend: "wasm" });
    let localCalls = 0;
    const logs: string[] = [];
    const local = {
      extract: (_space: string, im: ImageBatch): Promise<FeatureRows> => {
        localCalls++;
        return Promise.resolve({ n: im.n, dim: 1, data: new Float32Array(im.n) });
      },
      decodeImages: () => Promise.reject(new Error("unused")),
      close: () => Promise.resolve(),
    };
    const digits: ImageBatch = { n: 1, height: 28, width: 28, channels: 1, data: new Float32Array(784) };
    // A host without a GPU model is ready at once (its CPU workers serve): the client's first health check
    // sees it ready, and mnist-lenet is extracted there.
    const first = serveHost(pool, () => Promise.resolve(null));
    const remote = remoteFeatureService(first.url, local, {
      log: (m) => logs.push(m),
      healthIntervalMs: 60_000,
    });
    try {
      assert.equal((await remote.extract("mnist-lenet", digits)).dim, 128);
      assert.deepEqual([localCalls, first.posts], [0, ["mnist-lenet"]]);
      // The host restarts on the same port and its model is loading: the client still believes it ready.
      await first.server.shutdown();
      const warming = serveHost(pool, () => new Promise(() => {}), first.port);
      try {
        const health = await (await fetch(`${warming.url}/v1/health`)).json();
        assert.deepEqual([health.ready, health.gpu.state], [false, "loading"]);
        const t0 = performance.now();
        await remote.extract("fid-inception", images);
        assert.ok(performance.now() - t0 < 5000, "the 503 came at once, not after the model");
        assert.deepEqual([localCalls, warming.posts], [1, ["fid-inception"]]);
        // Marked not ready: the next batch goes home without asking the host again.
        await remote.extract("fid-inception", images);
        assert.deepEqual([localCalls, warming.posts.length], [2, 1]);
        assert.ok(
          logs.some((m) => m.includes("not ready (503)")) &&
            logs.some((m) => m.includes("extracting locally")),
        );
        // A new client asks health first and never posts to the warming host.
        const fresh = remoteFeatureService(warming.url, local, { log: () => {} });
        await fresh.extract("fid-inception", images);
        assert.deepEqual([localCalls, warming.posts.length], [3, 1]);
      } finally {
        await warming.server.shutdown();
      }
    } finally {
      await pool.close();
    }
  },
});
