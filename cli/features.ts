/**
 * `features IMAGES --model M --out FEATS.npy`: features of a folder of PNG/JPEG images (sorted by name) or of an
 * .npy image array, one float32 row per image in input order, extracted on the worker pool and written as
 * they arrive. Images of different sizes are fine: each is resized by the network's own preprocessing, and
 * chunks are cut wherever the size changes.
 */

import { expectPositionals, parseArgs, UsageError } from "./args.ts";
import {
  EXTRACTION_FLAGS,
  EXTRACTION_USAGE,
  extractionOptions,
  extractSource,
  startExtraction,
} from "./image_extraction.ts";
import { openImageSource } from "./image_inputs.ts";
import { NpyRowWriter } from "./npy_row_writer.ts";
import type { ProcessConfig } from "../functions/config.ts";

/** Usage line of the command. */
export const FEATURES_USAGE = "features IMAGES --model fid-inception|mnist-lenet --out FEATS.npy " +
  `${EXTRACTION_USAGE}   IMAGES: folder of PNG/JPEG or .npy images -> {"n","dim","backend","engine","images_per_s"}`;

/** What `features` prints. */
export interface FeaturesResult {
  n: number;
  dim: number;
  backend: string;
  engine: string;
  images_per_s: number;
  model: string;
  workers: number;
  out: string;
}

/** Run `features` and return its result object. */
export async function featuresCommand(argv: string[], config: ProcessConfig): Promise<FeaturesResult> {
  const args = parseArgs(argv, { ...EXTRACTION_FLAGS, out: "string" });
  const [input] = expectPositionals(args, 1, "one image input: features IMAGES --model M --out FEATS.npy");
  const out = args.flags.get("out") as string | undefined;
  if (!out) throw new UsageError("--out FEATS.npy is required");
  const opts = extractionOptions(args, config.extraction);
  const source = await openImageSource(input);
  for (const file of source.skipped) console.error(`skipped ${file}: only PNG and JPEG are decoded`);
  const ex = await startExtraction(opts);
  const writer = new NpyRowWriter(out, source.count);
  const start = performance.now();
  try {
    const { n, dim } = await extractSource(ex, source, (rows) => writer.write(rows));
    await writer.close();
    const seconds = (performance.now() - start) / 1000;
    return {
      n,
      dim,
      backend: ex.backend,
      engine: ex.engine,
      images_per_s: Number((n / seconds).toFixed(3)),
      model: ex.model,
      workers: ex.workers,
      out,
    };
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    await ex.close();
  }
}
