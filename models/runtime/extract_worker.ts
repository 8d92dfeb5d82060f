/**
 * One worker thread of the extractor pool (worker_pool.ts). It loads each feature space's extractor the first
 * time it is asked for it (the loader picks the backend: a tfjs one, or fid-inception's own WebGPU device), and
 * answers extract (and image decode) requests one at a time (tfjs on WASM is single-threaded: parallelism
 * comes from running several of these). Its setup message is the pool's extraction settings.
 */
/// <reference lib="deno.worker" />
import type { FeatureExtractor, FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import { decodeImageFiles } from "../../src/images/png_jpeg.ts";
import { serveRpc } from "../../src/workers/rpc_server.ts";
import type { ExtractionSettings } from "./extraction_settings.ts";
import { type ExtractorSource, loadExtractor, registerExtractor } from "./registry.ts";
import type { WorkerRequest } from "./worker_protocol.ts";

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

serveRpc<WorkerRequest>(async (req): Promise<FeatureRows | ImageBatch> => {
  if (req.type === "decode") return decodeImageFiles(req.files, req.firstIndex);
  const extractor = await extractorFor(req.space, req.source);
  return await extractor.extract(req.images, req.output);
}, {
  // Requests run strictly in arrival order, one at a time.
  serial: true,
  setup: (s) => (settings = s as ExtractionSettings),
  // Rows and decoded pixels are handed over, not copied.
  transfer: (value) => [(value as FeatureRows | ImageBatch).data.buffer as ArrayBuffer],
});
