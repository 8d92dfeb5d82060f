/**
 * Requests of the extractor pool (worker_pool.ts) to its workers (extract_worker.ts), carried by the worker RPC
 * (src/workers/): an extract answers FeatureRows, a decode an ImageBatch. Each worker's setup message is the
 * pool's ExtractionSettings.
 */
import type { ImageBatch } from "../../src/features/extractor.ts";
import type { ExtractorSource } from "./registry.ts";

/** Pool -> worker. */
export type WorkerRequest =
  | {
    type: "extract";
    id: number;
    space: string;
    source: ExtractorSource;
    output?: string;
    images: ImageBatch;
  }
  | {
    /** PNG/JPEG files already checked from their headers (src/images/png_jpeg.ts checkImageFiles). */
    type: "decode";
    id: number;
    files: Uint8Array[];
    /** Index of files[0] in the whole upload (for error messages). */
    firstIndex: number;
  };
