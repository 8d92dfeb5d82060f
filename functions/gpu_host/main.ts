/**
 * `deno task gpu-host`: run on the machine with the GPU (WebGPU is picked there automatically), point the service
 * at it with FIDSTREAM_GPU_HOST=http://host:8100. PORT (8100), HOST, FIDSTREAM_GPU_HOST_TOKEN, FIDSTREAM_WORKERS.
 */
import { createGpuHostApp } from "./app.ts";
import { localFeatureService } from "../pipeline/feature_service.ts";
import { listen } from "../listener.ts";

const port = Number(Deno.env.get("PORT") ?? 8100);
const features = localFeatureService();
const app = createGpuHostApp(features, {
  maxBodyBytes: Number(Deno.env.get("FIDSTREAM_MAX_BODY_BYTES") ?? 256 * 1024 * 1024),
  token: Deno.env.get("FIDSTREAM_GPU_HOST_TOKEN") || undefined,
});
const listener = await listen(app.fetch, {
  port,
  hostname: Deno.env.get("HOST") ?? "0.0.0.0",
});
console.log(`fidstream gpu-host listening on ${listener.url}`);
