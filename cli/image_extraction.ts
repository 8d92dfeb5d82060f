/**
 * What the extraction commands (`features`, `deno task fid`) share: the model options (--model, --dims,
 * --weights, --backend, --workers, --batch-size), a worker pool, and a pipeline that keeps the pool busy while
 * this thread reads and decodes the next chunk, delivering rows in input order.
 */

import { chooseAutoBackend, probeGpuAdapter } from "../models/runtime/backend.ts";
import type { BackendName } from "../models/runtime/extraction_settings.ts";
import { inceptionEngine, resolveFidInceptionWeights } from "../models/fid-inception/loader.ts";
import type { ExtractionConfig } from "../functions/config.ts";
import {
  BACKEND_NAMES,
  type ExtractionSettings,
  type InceptionEngine,
} from "../models/runtime/extraction_settings.ts";
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

const BACKENDS = BACKEND_NAMES;

/** The validated extraction flags, over the configured settings. */
export interface ExtractionOptions {
  model: string;
  /** Output name (--dims), or undefined for the model's default. */
  output?: string;
  /** How the workers extract: the configuration's settings, with --backend and --weights over them. */
  settings: ExtractionSettings;
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

/**
 * Reads and checks the shared flags (UsageError on a bad one) over the configured `defaults`, without starting
 * anything.
 */
export function extractionOptions(
  args: ParsedArgs,
  defaults: ExtractionConfig,
  defaultModel?: string,
): ExtractionOptions {
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
  const workers = intFlag(args, "workers", defaults.workers ?? defaultPoolSize(), 1);
  const perWorker = model === "fid-inception" ? 16 : 256;
  const { workers: _, ...configured } = defaults;
  return {
    model,
    output: args.flags.get("dims") as string | undefined,
    settings: {
      ...configured,
      backend: (backend as BackendName | undefined) ?? configured.backend,
      fidWeights: weights ?? configured.fidWeights,
    },
    workers,
    batchSize: intFlag(args, "batch-size", perWorker * workers, 1),
  };
}

/** Resolves fid-inception weights once (not in every worker) and starts the pool. */
export async function startExtraction(opts: ExtractionOptions): Promise<Extraction> {
  let settings = opts.settings;
  if (opts.model === "fid-inception" && settings.fidWeights !== undefined) {
    // Converting a .pth here, once, spares every worker from doing it; they then load the converted folder.
    settings = { ...settings, fidWeights: await resolveFidInceptionWeights(settings) };
  }
  // The workers make the same choice (initBackend): the configured backend, else the auto policy.
  const backend = settings.backend ?? chooseAutoBackend(await probeGpuAdapter(), true);
  const pool = new ExtractorPool({ workers: opts.workers, settings });
  const engine = opts.model === "fid-inception" ? inceptionEngine(backend, settings) : "tfjs";
  return { ...opts, settings, backend, engine, pool, close: () => pool.close() };
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
