/**
 * The GPU host as a real second process on loopback: the service sends extraction there, and falls back to local
 * extraction when the host is down or too slow, without losing the batch. With fid-inception, two host processes
 * each run the WGSL engine on this machine's WebGPU adapter (Mesa's software Vulkan in CI).
 */
import assert from "node:assert/strict";
import { openPglite } from "../../../db/pglite/open.ts";
import {
  type FeatureService,
  localFeatureService,
  remoteFeatureService,
} from "../../../engine/pipeline/feature_service.ts";
import { ExtractorPool } from "../../../models/runtime/worker_pool.ts";
import { digitImages, digitsMultipart, digitsNpy } from "../../_support/digits.ts";
import { startServerProcess } from "../../../tools/server_process.ts";
import { postJson, postNpy, startTestService } from "../../_support/service.ts";
import { encode as encodePng } from "fast-png";
import type { HostHealth } from "../../../functions/gpu_host/gpu_service.ts";
import { requestAdapter } from "../../../models/fid-inception/wgsl/gpu.ts";
import type { ImageBatch } from "../../../src/features/extractor.ts";
import { parseNpy } from "../../../src/tensors/npy.ts";
import { seededRandom } from "../../../tools/arrays.ts";
import { randomWeights, relErr } from "../../../tools/fid_inception_reference.ts";
import { writeSyntheticFolded } from "../../../tools/synthetic_fid_weights.ts";
import { looseTest } from "../../_support/loose_test.ts";

const GPU_HOST = new URL("../../../functions/gpu_host/main.ts", import.meta.url).pathname;

/** The local service, counting how often it had to be used. */
function countingLocal(pool: ExtractorPool): FeatureService & { calls: number } {
  const inner = localFeatureService(() => pool);
  const counted = {
    calls: 0,
    extract(space: string, images: Parameters<FeatureService["extract"]>[1]) {
      counted.calls++;
      return inner.extract(space, images);
    },
    decodeImages: (files: Uint8Array[]) => inner.decodeImages(files),
    close: () => inner.close(),
  };
  return counted;
}

looseTest(
  "the service extracts on a GPU host process and falls back locally when it is down or hangs",
  async () => {
    const host = await startServerProcess(
      { FIDSTREAM_WORKERS: "1", FIDSTREAM_GPU_HOST_TOKEN: "t0ken" },
      GPU_HOST,
    );
    const pool = new ExtractorPool({ workers: 1 });
    const local = countingLocal(pool);
    const logs: string[] = [];
    const database = await openPglite();
    const s = await startTestService(database, {}, {
      features: remoteFeatureService(host.url, local, {
        token: "t0ken",
        timeoutMs: 60_000,
        log: (m) => logs.push(m),
      }),
    });
    try {
      const ref = await (await postNpy(
        s,
        "/v1/references?name=digits&features=mnist-lenet",
        digitsNpy(digitImages(100)),
      )).json();
      const run = await (await postJson(s, "/v1/runs", { name: "r", reference: ref.id })).json();
      const a = digitImages(20, 3);
      const viaHost = await s.request(`/v1/runs/${run.id}/batches`, {
        method: "POST",
        body: digitsMultipart(a),
      });
      assert.equal(viaHost.status, 200);
      assert.equal(local.calls, 0, "the host did the extraction");

      // The host's features are the local ones.
      const images = {
        n: 20,
        height: 28,
        width: 28,
        channels: 1 as const,
        data: Float32Array.from(a, (v) => v / 255),
      };
      const remote = await remoteFeatureService(host.url, {
        extract: () => Promise.reject(new Error("no fallback")),
        decodeImages: () => Promise.reject(new Error("no local decoding")),
        close: async () => {},
      }, { token: "t0ken" })
        .extract("mnist-lenet", images);
      const mine = await pool.extract("mnist-lenet", images);
      assert.deepEqual([remote.n, remote.dim], [mine.n, mine.dim]);
      remote.data.forEach((v, i) => assert.ok(Math.abs(v - mine.data[i]) < 1e-5));

      await host.stop("SIGKILL");
      const whileDown = await s.request(`/v1/runs/${run.id}/batches`, {
        method: "POST",
        body: digitsMultipart(digitImages(10, 7)),
      });
      assert.equal(whileDown.status, 200, "the batch is not lost when the host is down");
      assert.equal((await whileDown.json()).n, 30);
      assert.equal(local.calls, 1);
      assert.ok(logs.some((m) => m.includes("extracting locally")));

      // A host that accepts connections but never answers: the timeout sends the work home.
      let release = () => {};
      const gate = new Promise<void>((r) => release = r);
      const hanging = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async () => {
        await gate; // answers only when the test is done with it
        return new Response("too late");
      });
      const slow = remoteFeatureService(`http://127.0.0.1:${hanging.addr.port}`, local, {
        timeoutMs: 300,
        log: () => {},
      });
      const rows = await slow.extract("mnist-lenet", images);
      assert.equal(rows.n, 20);
      assert.equal(local.calls, 2);
      release();
      await hanging.shutdown();
    } finally {
      await s.close();
      await pool.close();
      await database.close();
      await host.stop("SIGKILL");
    }
  },
);

looseTest("the GPU host refuses requests without its token and bad images with a 4xx", async () => {
  const host = await startServerProcess(
    { FIDSTREAM_WORKERS: "1", FIDSTREAM_GPU_HOST_TOKEN: "t0ken" },
    GPU_HOST,
  );
  try {
    const body = digitsNpy(digitImages(2)) as BodyInit;
    const noToken = await fetch(`${host.url}/v1/features?space=mnist-lenet`, {
      method: "POST",
      body,
      headers: { "content-type": "application/x-npy" },
    });
    assert.equal(noToken.status, 401);
    await noToken.body?.cancel();
    const auth = { authorization: "Bearer t0ken" };
    const unknown = await fetch(`${host.url}/v1/features?space=nope`, {
      method: "POST",
      body: digitsNpy(digitImages(2)) as BodyInit,
      headers: { ...auth, "content-type": "application/x-npy" },
    });
    assert.equal(unknown.status, 422);
    assert.equal((await unknown.json()).error.code, "unknown_feature_space");
    const ok = await fetch(`${host.url}/v1/features?space=mnist-lenet`, {
      method: "POST",
      body: digitsNpy(digitImages(2)) as BodyInit,
      headers: { ...auth, "content-type": "application/x-npy" },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("content-type"), "application/x-npy");
    await ok.body?.cancel();
  } finally {
    await host.stop("SIGKILL");
  }
});

// ---- fid-inception on GPU host processes (the WGSL engine on this machine's WebGPU adapter) ----

const ADAPTER = await requestAdapter();

/** Waits until a host's health says its model is ready. */
async function untilReady(url: string): Promise<HostHealth> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const h = await (await fetch(`${url}/v1/health`)).json() as HostHealth;
    if (h.ready) return h;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became ready`);
}

/** n RGB images of h x w, uint8 values, as an ImageBatch (v / 255). */
function rgbBatch(n: number, h: number, w: number, seed: number): { u8: Uint8Array; images: ImageBatch } {
  const r = seededRandom(seed);
  const u8 = Uint8Array.from({ length: n * h * w * 3 }, () => Math.floor(256 * r()));
  return { u8, images: { n, height: h, width: w, channels: 3, data: Float32Array.from(u8, (v) => v / 255) } };
}

Deno.test({
  name: ADAPTER
    ? "fid-inception: the client spreads batches over two GPU host processes, fails over, and falls back home"
    : "GPU host processes with fid-inception (IGNORED: no WebGPU adapter; CI installs mesa-vulkan-drivers)",
  ignore: !ADAPTER,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir();
    await writeSyntheticFolded(`${dataDir}/models/fid-inception`, randomWeights(3));
    const env = {
      FIDSTREAM_WORKERS: "1",
      FIDSTREAM_DATA_DIR: dataDir,
      FIDSTREAM_INCEPTION_ENGINE: "wgsl",
      FIDSTREAM_GPU_BATCH: "2",
    };
    const hosts = await Promise.all([startServerProcess(env, GPU_HOST), startServerProcess(env, GPU_HOST)]);
    // This process's own pool (the local fallback) reads the same weights.
    const pool = new ExtractorPool({ workers: 1, backend: "wasm", settings: { dataDir } });
    const local = countingLocal(pool);
    const logs: string[] = [];
    try {
      const health = await Promise.all(hosts.map((h) => untilReady(h.url)));
      assert.equal(health[0].gpu.state, "ready");
      assert.equal(health[0].gpu.maxBatch, 2, "FIDSTREAM_GPU_BATCH caps the forward");
      const remote = remoteFeatureService(["http://127.0.0.1:9", ...hosts.map((h) => h.url)], local, {
        log: (m) => logs.push(m),
        healthIntervalMs: 100,
      });
      const a = rgbBatch(1, 64, 48, 1), b = rgbBatch(1, 30, 40, 2);
      // Two batches at once: the first goes to one host, the second to the other (it has less in flight).
      const [ra, rb] = await Promise.all([
        remote.extract("fid-inception", a.images),
        remote.extract("fid-inception:768", b.images),
      ]);
      const served = await Promise.all(
        hosts.map(async (h) => (await (await fetch(`${h.url}/v1/health`)).json()).images),
      );
      assert.deepEqual(served, [1, 1], "one batch on each host");
      assert.equal(local.calls, 0);
      // The rows are the CPU engine's.
      const cpuA = await pool.extract("fid-inception", a.images);
      const cpuB = await pool.extract("fid-inception", b.images, "768");
      assert.ok(relErr(ra.data, cpuA.data) < 1e-5 && relErr(rb.data, cpuB.data) < 1e-5);

      // PNG files straight to a host: decoded by its CPU workers, then the GPU.
      const form = new FormData();
      const png = encodePng({ width: 48, height: 64, channels: 3, depth: 8, data: a.u8 });
      form.append("image", new Blob([png as BlobPart], { type: "image/png" }), "a.png");
      const viaPng = await fetch(`${hosts[1].url}/v1/features?space=fid-inception`, {
        method: "POST",
        body: form,
      });
      assert.equal(viaPng.status, 200);
      const pngRows = parseNpy(new Uint8Array(await viaPng.arrayBuffer()));
      assert.deepEqual(pngRows.data, ra.data, "the same pixels give the same rows");

      await hosts[0].stop("SIGKILL");
      const afterOne = await remote.extract("fid-inception", a.images);
      assert.ok(relErr(afterOne.data, cpuA.data) < 1e-5);
      assert.equal(local.calls, 0, "the surviving host took it");
      await hosts[1].stop("SIGKILL");
      await remote.extract("fid-inception", a.images);
      assert.equal(local.calls, 1, "no host left: extracted locally");
      assert.ok(logs.some((m) => m.includes("extracting locally")));
    } finally {
      for (const h of hosts) await h.stop("SIGKILL");
      await pool.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
