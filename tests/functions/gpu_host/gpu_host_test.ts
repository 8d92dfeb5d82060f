/**
 * The GPU host as a real second process on loopback: the service sends extraction there, and falls back to local
 * extraction when the host is down or too slow, without losing the batch.
 */
import assert from "node:assert/strict";
import { openPglite } from "../../../db/pglite/open.ts";
import {
  type FeatureService,
  localFeatureService,
  remoteFeatureService,
} from "../../../functions/pipeline/feature_service.ts";
import { ExtractorPool } from "../../../models/runtime/worker_pool.ts";
import { digitImages, digitsMultipart, digitsNpy } from "../../_support/digits.ts";
import { startServerProcess } from "../../_support/server_process.ts";
import { postJson, postNpy, startTestService } from "../../_support/service.ts";

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

Deno.test({
  name: "the service extracts on a GPU host process and falls back locally when it is down or hangs",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
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
});

Deno.test({
  name: "the GPU host refuses requests without its token and bad images with a 4xx",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
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
  },
});
