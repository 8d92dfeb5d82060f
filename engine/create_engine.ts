/** Building the engine once per process over an open database (engine.ts says what it holds), and stopping it. */
import { loadOpenBlas } from "../src/native/openblas.ts";
import { describeError } from "../src/describe_error.ts";
import type { Database } from "../db/database.ts";
import { inlineCompute, workerCompute } from "./pipeline/compute.ts";
import { type FeatureService, localFeatureService } from "./pipeline/feature_service.ts";
import { BackgroundWork } from "./pipeline/background_work.ts";
import { MetricsNotifier } from "./pipeline/notifier.ts";
import { OwnerStats, PGLITE_CHECKPOINT_WRITE_COST } from "./pipeline/owner_stats.ts";
import { ReferenceStats } from "./pipeline/reference_stats.ts";
import { updatePartialMetrics } from "./pipeline/run_metrics.ts";
import { Scheduler } from "./pipeline/scheduler.ts";
import { ByteSemaphore } from "./byte_semaphore.ts";
import type { Engine, EngineConfig } from "./engine.ts";

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
    {
      intervalMs: config.foldIntervalMs,
      maxPending: config.foldMaxPending,
      checkpointWriteCost: database.kind === "pglite" ? PGLITE_CHECKPOINT_WRITE_COST : 1,
    },
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
    references: new ReferenceStats(database.db, owners, compute, {
      persistFactors: database.kind !== "pglite",
    }),
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
