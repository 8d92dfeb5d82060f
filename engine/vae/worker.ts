/// <reference lib="deno.worker" />
/**
 * The VAE worker thread: loads uploaded decoders and encoders with TensorFlow.js and runs them (and the feature
 * extractor for generated samples) here, so the request thread keeps accepting batches meanwhile.
 * Operations run one at a time, in arrival order, after the setup message has chosen the backend.
 */
import { initBackend } from "../../models/runtime/backend.ts";
import { serveRpc } from "../../src/workers/rpc_server.ts";
import { type VaeOp, VaeOps } from "./ops.ts";
import type { VaeWorkerSetup } from "./runner.ts";

const ops = new VaeOps();

serveRpc<VaeOp>((req) => ops.run(req), {
  serial: true,
  // The configured backend (FIDSTREAM_BACKEND), else the auto choice (a hardware GPU, else WASM).
  setup: (setup) => initBackend((setup as VaeWorkerSetup).backend),
});
