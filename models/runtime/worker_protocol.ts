/** Messages between the extractor pool (worker_pool.ts) and its workers (extract_worker.ts). */
import type { FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import type { ExtractionSettings } from "./extraction_settings.ts";
import type { ExtractorSource } from "./registry.ts";

/** Pool -> worker. */
export type WorkerRequest =
  | { type: "config"; settings: ExtractionSettings }
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

/** Worker -> pool. */
export type WorkerReply =
  | { type: "result"; id: number; rows: FeatureRows }
  | { type: "images"; id: number; images: ImageBatch }
  | { type: "error"; id: number; error: { name: string; code: string; message: string } };
