/**
 * Bounded memory under hostile bodies, measured on a real server process (VmRSS sampled every 10 ms): the whole
 * .npy/.npz corpus, a zip bomb that inflates to 16 times the body limit, and a reference claiming 12000
 * features (whose statistics would need gigabytes) each get their 4xx without the server's memory growing.
 */
import assert from "node:assert/strict";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { startServerProcess } from "../../../tools/server_process.ts";
import { DIM, npyCorpus, npzCorpus, zipBomb } from "./_corpus.ts";

const LIMIT = 4 << 20;

function rssMb(pid: number): number {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

Deno.test({
  name: "hostile bodies get their 4xx without growing a server process's memory",
  ignore: Deno.build.os !== "linux",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "fidstream-hostile-mem-" });
    const server = await startServerProcess({
      FIDSTREAM_DATA_DIR: dataDir,
      FIDSTREAM_MAX_BODY_BYTES: String(LIMIT),
    });
    try {
      const post = (path: string, body: Uint8Array, type = "application/x-npy") =>
        fetch(`${server.url}${path}`, {
          method: "POST",
          body: body as BodyInit,
          headers: { "content-type": type },
        });
      const ref = await (await post("/v1/references?name=mem", npyOf(randomFeatures(50, DIM, 1), 50, DIM)))
        .json();
      const run = await (await fetch(`${server.url}/v1/runs`, {
        method: "POST",
        body: JSON.stringify({ name: "mem", reference: ref.id }),
        headers: { "content-type": "application/json" },
      })).json();
      // Warm up every code path once with valid bodies before the baseline.
      for (let i = 0; i < 5; i++) {
        await (await post(`/v1/runs/${run.id}/batches`, npyOf(randomFeatures(20, DIM, i), 20, DIM))).text();
      }
      await new Promise((r) => setTimeout(r, 500));
      const baseline = rssMb(server.child.pid);
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.child.pid))), 10);
      try {
        const statuses: number[] = [];
        for (let round = 0; round < 3; round++) {
          for (const c of npyCorpus()) {
            statuses.push((await post(`/v1/runs/${run.id}/batches`, c.body)).status);
          }
          for (const c of npzCorpus()) {
            statuses.push((await post("/v1/references?name=x", c.body, "application/zip")).status);
          }
          statuses.push(
            (await post("/v1/references?name=bomb", zipBomb(16 * LIMIT), "application/zip")).status,
          );
          statuses.push(
            (await post("/v1/references?name=wide", npyOf(new Float32Array(3 * 12_000), 3, 12_000))).status,
          );
        }
        assert.ok(statuses.every((s) => s >= 400 && s < 500), `statuses ${statuses}`);
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        clearInterval(sampler);
      }
      assert.ok(
        peak - baseline < 150,
        `RSS grew from ${baseline.toFixed(0)} MB to a peak of ${peak.toFixed(0)} MB`,
      );
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
