/**
 * The engine: everything that turns stored batches into metrics (ingest, moments, partial metrics, finalize,
 * leases, scheduling, VAE operations, grids), built once per process over an open database and passed in.
 * It knows nothing of HTTP: functions/ parses requests, calls it, and shapes its answers.
 */
import { loadOpenBlas } from "../src/native/openblas.ts";
import { describeError } from "../src/describe_error.ts";
import type { BackendName } from "../models/runtime/backend.ts";
import type { Database, Db } from "../db/database.ts";
import { type Compute, inlineCompute, workerCompute } from "./pipeline/compute.ts";
import { type FeatureService, localFeatureService } from "./pipeline/feature_service.ts";
import { BackgroundWork } from "./pipeline/background_work.ts";
import { MetricsNotifier } from "./pipeline/notifier.ts";
import { OwnerStats } from "./pipeline/owner_stats.ts";
import { ReferenceStats } from "./pipeline/reference_stats.ts";
import { updatePartialMetrics } from "./pipeline/run_metrics.ts";
import { Scheduler } from "./pipeline/scheduler.ts";
import { ByteSemaphore } from "./byte_semaphore.ts";

/** The engine's settings (functions/config.ts reads them from the environment). */
export interface EngineConfig {
  /** Largest upload, and the most bytes a statistics or sums .npz may inflate to. */
  maxBodyBytes: number;
  /** Minimum time between checkpoint writes of one run or reference. */
  foldIntervalMs: number;
  /** Fold once this many batches are pending, whatever the interval. */
  foldMaxPending: number;
  /** Delay between a batch and the partial metrics it triggers (bursts coalesce). */
  metricsDelayMs: number;
  /** Feature space of image references that name none. */
  defaultFeatureSpace: string;
  /** Bytes that concurrent decodes of statistics files (.npz) may inflate to together. */
  decodeMemoryBytes: number;
  /** Longest one VAE operation (decode, encode, load) may run on its worker before it is replaced. */
  vaeTimeoutMs: number;
  /** The OpenBLAS library the statistics load (default: the system's; absent: WebAssembly kernels). */
  openblasLibrary?: string;
  /** tfjs backend of uploaded VAE models (FIDSTREAM_BACKEND; default: the auto choice). */
  backend?: BackendName;
}

/** Defaults: 256 MiB uploads; fold every 60 s or at 64 batches; metrics 200 ms after a burst. */
export const defaultEngineConfig: EngineConfig = {
  maxBodyBytes: 256 * 1024 * 1024,
  foldIntervalMs: 60_000,
  foldMaxPending: 64,
  metricsDelayMs: 200,
  defaultFeatureSpace: "mnist-lenet",
  decodeMemoryBytes: 1024 * 1024 * 1024,
  vaeTimeoutMs: 120_000,
};

/** The engine's parts, shared by every request of a process. */
export interface Engine {
  database: Database;
  db: Db;
  config: EngineConfig;
  owners: OwnerStats;
  references: ReferenceStats;
  /** Heavy numerics: a Worker thread in the server, inline in most tests. */
  compute: Compute;
  /** Images to features: the local worker pool, or a GPU host with local fallback. */
  features: FeatureService;
  scheduler: Scheduler;
  notifier: MetricsNotifier;
  /** Memory for inflating statistics files, shared by concurrent decodes. */
  decodeBudget: ByteSemaphore;
  clock: () => Date;
  log: (message: string) => void;
  /** Random id of this process (or test instance): names it as the holder of evaluation leases. */
  processId: string;
  /** Work started after answering (shutdown waits for it). */
  background: BackgroundWork;
}

/** How an engine is built: its clock and log, where its numerics run, and its feature extraction. */
export interface EngineOptions {
  clock?: () => Date;
  log?: (message: string) => void;
  compute?: "worker" | "inline";
  features?: FeatureService;
}

/** Builds the engine over an open database and starts listening for metrics from other processes. */
export async function createEngine<C extends EngineConfig>(
  database: Database,
  config: C,
  opts: EngineOptions = {},
): Promise<Engine & { config: C }> {
  const clock = opts.clock ?? (() => new Date());
  const log = opts.log ?? ((m: string) => console.error(m));
  const blas = () => loadOpenBlas(config.openblasLibrary);
  const compute = opts.compute === "inline"
    ? inlineCompute({ comoment: blas()?.packedComoment, native: blas()?.linalg })
    : workerCompute({ openblasLibrary: config.openblasLibrary });
  const owners = new OwnerStats(
    database.db,
    { intervalMs: config.foldIntervalMs, maxPending: config.foldMaxPending },
    compute,
    () => clock().getTime(),
  );
  const engine = {
    database,
    db: database.db,
    config,
    owners,
    compute,
    features: opts.features ?? localFeatureService(),
    references: new ReferenceStats(database.db, owners, compute),
    notifier: new MetricsNotifier(),
    decodeBudget: new ByteSemaphore(config.decodeMemoryBytes),
    clock,
    log,
    processId: crypto.randomUUID(),
    background: new BackgroundWork(),
  } as Engine & { config: C };
  engine.scheduler = new Scheduler(
    (runId) => updatePartialMetrics(engine, runId),
    config.metricsDelayMs,
    (runId, e) => log(`partial metrics for run ${runId} failed: ${describeError(e)}`),
  );
  await engine.notifier.start(database);
  return engine;
}

/** Stops background work and listeners (the database stays open: its owner closes it). */
export async function disposeEngine(engine: Engine): Promise<void> {
  await engine.scheduler.stop();
  await engine.background.settled();
  await engine.notifier.stop();
  engine.compute.close();
  await engine.features.close();
}
