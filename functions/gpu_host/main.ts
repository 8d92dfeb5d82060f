/**
 * `deno task gpu-host`: run on the machine with the GPU, point the service at it with
 * FIDSTREAM_GPU_HOST=http://host:8100 (a comma-separated list for several). PORT (8100), HOST,
 * FIDSTREAM_GPU_HOST_TOKEN, FIDSTREAM_GPU_BATCH (most images per forward; default what the GPU's limits allow, at
 * most 256), FIDSTREAM_WORKERS (CPU workers: decoding, other spaces).
 *
 * fid-inception runs on this process's one WebGPU device (the WGSL engine) when there is a hardware adapter (or
 * FIDSTREAM_INCEPTION_ENGINE=wgsl asks for it on any adapter); otherwise the CPU workers extract it too.
 */
import { createGpuHostApp } from "./app.ts";
import { listen } from "../listener.ts";
import { startGpuHostService } from "./gpu_service.ts";
import { loadFidInception, resolveInceptionEngine } from "../../models/fid-inception/loader.ts";
import { DEFAULT_MAX_BATCH } from "../../models/fid-inception/wgsl/network.ts";
import { ExtractorPool } from "../../models/runtime/worker_pool.ts";

const env = (name: string) => Deno.env.get(name)?.trim() || undefined;
const positive = (name: string) => {
  const raw = env(name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return v;
};

const port = Number(env("PORT") ?? 8100);
const maxBatch = positive("FIDSTREAM_GPU_BATCH");
// The CPU workers never take the GPU: the model there is this process's.
const pool = new ExtractorPool({ backend: "wasm" });
const features = startGpuHostService({
  pool,
  loadModel: async () =>
    (await resolveInceptionEngine()) === "wgsl"
      ? await loadFidInception({ batchSize: maxBatch ?? DEFAULT_MAX_BATCH })
      : null,
  queue: { maxBatch },
});
const app = createGpuHostApp(features, {
  maxBodyBytes: Number(env("FIDSTREAM_MAX_BODY_BYTES") ?? 256 * 1024 * 1024),
  token: env("FIDSTREAM_GPU_HOST_TOKEN"),
});
const listener = await listen(app.fetch, { port, hostname: env("HOST") ?? "0.0.0.0" });
console.log(`fidstream gpu-host listening on ${listener.url}`);

const shutdown = async () => {
  await listener.shutdown();
  await features.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
