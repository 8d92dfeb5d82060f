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
import { configFromEnv } from "../config.ts";
import { listen } from "../listener.ts";
import { startGpuHostService } from "./gpu_service.ts";
import { loadFidInception, resolveInceptionEngine } from "../../models/fid-inception/loader.ts";
import { DEFAULT_MAX_BATCH } from "../../models/fid-inception/wgsl/network.ts";
import { ExtractorPool } from "../../models/runtime/worker_pool.ts";

// Read once; FIDSTREAM_AUTH is the service's (the host has its own token), so it does not apply here.
const config = configFromEnv((n) => n === "FIDSTREAM_AUTH" ? "on" : Deno.env.get(n), { defaultPort: 8100 });
const maxBatch = config.gpuHostServer.maxBatch;
// The CPU workers never take the GPU: the model there is this process's.
const pool = new ExtractorPool({
  workers: config.extraction.workers,
  settings: config.extraction,
  backend: "wasm",
});
const features = startGpuHostService({
  pool,
  loadModel: async () =>
    (await resolveInceptionEngine(config.extraction)) === "wgsl"
      ? await loadFidInception({ ...config.extraction, batchSize: maxBatch ?? DEFAULT_MAX_BATCH })
      : null,
  queue: { maxBatch },
});
const app = createGpuHostApp(features, {
  maxBodyBytes: config.service.maxBodyBytes,
  token: config.gpuHostServer.token,
});
const listener = await listen(app.fetch, {
  port: config.port,
  hostname: config.hostname,
  limits: config.listener,
});
console.log(`fidstream gpu-host listening on ${listener.url}`);

const shutdown = async () => {
  await listener.shutdown();
  await features.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", shutdown);
Deno.addSignalListener("SIGTERM", shutdown);
