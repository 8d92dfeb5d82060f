/**
 * What the extraction commands (`features`, `deno task fid`) share: the model options (--model, --dims,
 * --weights, --backend, --workers, --batch-size), a worker pool, and a pipeline that keeps the pool busy while
 * this thread reads and decodes the next chunk, delivering rows in input order.
 */

import {
  backendFromEnv,
  type BackendName,
  chooseAutoBackend,
  probeGpuAdapter,
} from "../models/runtime/backend.ts";
import {
  FID_WEIGHTS_ENV,
  type InceptionEngine,
  inceptionEngine,
  resolveFidInceptionWeights,
} from "../models/fid-inception/loader.ts";
import { knownSpaces } from "../models/runtime/registry.ts";
import { defaultPoolSize, ExtractorPool } from "../models/runtime/worker_pool.ts";
import type { FeatureRows } from "../src/features/extractor.ts";
import { type FlagKind, intFlag, type ParsedArgs, UsageError } from "./args.ts";
import { ImageProgress } from "./image_progress.ts";
import type { ImageSource } from "./image_inputs.ts";

/** The flags every extraction command takes. */
export const EXTRACTION_FLAGS: Record<string, FlagKind> = {
  model: "string",
  dims: "string",
  weights: "string",
  backend: "string",
  workers: "int",
  "batch-size": "int",
};

/** Usage text of the shared flags. */
export const EXTRACTION_USAGE =
  "[--dims OUTPUT] [--weights FILE.pth] [--backend webgpu|wasm|cpu] [--workers N] [--batch-size N]";

const BACKENDS: readonly BackendName[] = ["webgpu", "wasm", "cpu"];

/** The validated extraction flags. */
export interface ExtractionOptions {
  model: string;
  /** Output name (--dims), or undefined for the model's default. */
  output?: string;
  /** --backend, when given (else each worker picks like initBackend). */
  backend?: BackendName;
  /** --weights, a .pth or converted folder for fid-inception. */
  weights?: string;
  workers: number;
  /** Images read per chunk (split across the workers). */
  batchSize: number;
}

/** A model ready to extract on a pool; close() it. */
export interface Extraction extends ExtractionOptions {
  /** The backend the workers run on. */
  backend: BackendName;
  /** What runs the network (fid-inception: see inceptionEngine; other models: tfjs ops). */
  engine: InceptionEngine;
  pool: ExtractorPool;
  close(): Promise<void>;
}

/** Reads and checks the shared flags (UsageError on a bad one) without starting anything. */
export function extractionOptions(args: ParsedArgs, defaultModel?: string): ExtractionOptions {
  const model = (args.flags.get("model") as string | undefined) ?? defaultModel;
  if (model === undefined) throw new UsageError(`--model is required (one of ${knownSpaces().join(", ")})`);
  if (!knownSpaces().includes(model)) {
    throw new UsageError(
      `--model ${model} is not a feature space; expected one of ${knownSpaces().join(", ")}`,
    );
  }
  const backend = args.flags.get("backend") as string | undefined;
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(", ")}, got '${backend}'`);
  }
  const weights = args.flags.get("weights") as string | undefined;
  if (weights !== undefined && model !== "fid-inception") {
    throw new UsageError(`--weights is for --model fid-inception (pytorch-fid's .pth), not ${model}`);
  }
  const workers = intFlag(args, "workers", defaultPoolSize(), 1);
  const perWorker = model === "fid-inception" ? 16 : 256;
  return {
    model,
    output: args.flags.get("dims") as string | undefined,
    backend: backend as BackendName | undefined,
    weights,
    workers,
    batchSize: intFlag(args, "batch-size", perWorker * workers, 1),
  };
}

/** Resolves fid-inception weights once (not in every worker) and starts the pool. */
export async function startExtraction(opts: ExtractionOptions): Promise<Extraction> {
  if (opts.model === "fid-inception") {
    // Converting a .pth here, once, spares every worker from doing it; they then load the converted folder.
    const dir = await resolveFidInceptionWeights({ weights: opts.weights });
    if (opts.weights !== undefined || Deno.env.get(FID_WEIGHTS_ENV)) Deno.env.set(FID_WEIGHTS_ENV, dir);
  }
  // The workers make the same choice (initBackend): forced, else FIDSTREAM_BACKEND, else the auto policy.
  const backend = opts.backend ?? backendFromEnv() ?? chooseAutoBackend(await probeGpuAdapter(), true);
  const pool = new ExtractorPool({ workers: opts.workers, backend: opts.backend });
  const engine = opts.model === "fid-inception" ? inceptionEngine(backend) : "tfjs";
  return { ...opts, backend, engine, pool, close: () => pool.close() };
}

/**
 * Extracts every image of `source`, handing the rows to `onRows` in input order (one call per chunk), with up
 * to workers + 1 chunks in flight. Returns the number of rows and their dimension.
 */
export async function extractSource(
  ex: Extraction,
  source: ImageSource,
  onRows: (rows: FeatureRows) => Promise<void> | void,
  progress: ImageProgress = new ImageProgress(source.count, source.path),
): Promise<{ n: number; dim: number }> {
  const inflight: Promise<FeatureRows>[] = [];
  let n = 0, dim = 0;
  const drain = async () => {
    const rows = await inflight.shift()!;
    await onRows(rows);
    n += rows.n;
    dim = rows.dim;
    progress.add(rows.n);
  };
  try {
    for await (const chunk of source.chunks(ex.batchSize)) {
      const pending = ex.pool.extract(ex.model, chunk, ex.output);
      pending.catch(() => {}); // awaited in order below; this only keeps a later failure from going unhandled
      inflight.push(pending);
      if (inflight.length > ex.workers) await drain();
    }
    while (inflight.length) await drain();
  } finally {
    progress.finish();
  }
  return { n, dim };
}
