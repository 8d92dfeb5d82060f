/// <reference lib="deno.worker" />
/**
 * The VAE worker thread: loads uploaded decoders and encoders with TensorFlow.js and runs them (and the feature
 * extractor for generated samples) here, so the request thread keeps accepting batches meanwhile.
 * Operations run one at a time, in arrival order.
 */
import { initBackend } from "../../models/runtime/backend.ts";
import { errorReply, type VaeOp, VaeOps } from "./ops.ts";

const ops = new VaeOps();
// FIDSTREAM_BACKEND or the auto choice (a hardware GPU, else WASM).
const ready = initBackend();
let queue: Promise<unknown> = Promise.resolve();

self.onmessage = (e: MessageEvent<VaeOp & { id: number }>) => {
  const req = e.data;
  queue = queue.then(async () => {
    try {
      await ready;
      self.postMessage({ id: req.id, value: await ops.run(req) });
    } catch (err) {
      self.postMessage({ id: req.id, error: errorReply(err) });
    }
  });
};
