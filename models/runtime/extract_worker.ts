/**
 * One worker thread of the extractor pool (worker_pool.ts). It loads each feature space's extractor the first
 * time it is asked for it (the loader picks the backend: a tfjs one, or fid-inception's own WebGPU device), and
 * answers extract (and image decode) requests one at a time (tfjs on WASM is single-threaded: parallelism
 * comes from running several of these).
 */
/// <reference lib="deno.worker" />
import { FidstreamError } from "../../src/errors.ts";
import type { FeatureExtractor, FeatureRows } from "../../src/features/extractor.ts";
import { decodeImageFiles } from "../../src/images/png_jpeg.ts";
import type { ExtractionSettings } from "./extraction_settings.ts";
import { type ExtractorSource, loadExtractor, registerExtractor } from "./registry.ts";
import type { WorkerReply, WorkerRequest } from "./worker_protocol.ts";

const extractors = new Map<string, Promise<FeatureExtractor>>();
let settings: ExtractionSettings = {};

function extractorFor(space: string, source: ExtractorSource): Promise<FeatureExtractor> {
  let e = extractors.get(space);
  if (!e) {
    registerExtractor(space, source);
    e = loadExtractor(space, settings);
    extractors.set(space, e);
    e.catch(() => extractors.delete(space)); // a failed load is retried by the next request
  }
  return e;
}

async function handle(req: WorkerRequest): Promise<void> {
  if (req.type === "config") {
    settings = req.settings;
    return;
  }
  let reply: WorkerReply;
  let transfer: Transferable[] = [];
  try {
    if (req.type === "decode") {
      const images = decodeImageFiles(req.files, req.firstIndex);
      reply = { type: "images", id: req.id, images };
      transfer = [images.data.buffer as ArrayBuffer];
    } else {
      const extractor = await extractorFor(req.space, req.source);
      const rows: FeatureRows = await extractor.extract(req.images, req.output);
      reply = { type: "result", id: req.id, rows };
      transfer = [rows.data.buffer as ArrayBuffer];
    }
  } catch (e) {
    const err = e as Error;
    reply = {
      type: "error",
      id: req.id,
      error: {
        name: err.name,
        code: e instanceof FidstreamError ? e.code : "extract_failed",
        message: err.message,
      },
    };
  }
  self.postMessage(reply, transfer);
}

// Requests run strictly in arrival order, one at a time.
let chain = Promise.resolve();
self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  chain = chain.then(() => handle(ev.data));
};
