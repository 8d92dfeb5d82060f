/** Everything a handler needs, built once per process and passed in (tests build their own). */
import { loadOpenBlas } from "../src/native/openblas.ts";
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
import { RateLimiter } from "./auth/rate_limit.ts";
import { BodyBudget, UploadSlots } from "./body_limits.ts";
import { describeError } from "./error_log.ts";
import { ByteSemaphore } from "./byte_semaphore.ts";

/** Service settings (see config.ts for the environment variables behind them). */
export interface ServiceConfig {
  /** Largest accepted request body. */
  maxBodyBytes: number;
  /** Minimum time between checkpoint writes of one run or reference. */
  foldIntervalMs: number;
  /** Fold once this many batches are pending, whatever the interval. */
  foldMaxPending: number;
  /** Delay between a batch and the partial metrics it triggers (bursts coalesce). */
  metricsDelayMs: number;
  /** "on": every /v1 request needs an API key. "off": local work only (configFromEnv refuses it off loopback). */
  auth: "on" | "off";
  /** Requests per key per minute (0 = unlimited); over it: 429 with Retry-After. */
  requestsPerMinute: number;
  /** Feature space of image references that name none. */
  defaultFeatureSpace: string;
  /** Bytes the bodies of all requests in flight may hold together (503 with Retry-After over it). */
  bodyMemoryBytes: number;
  /** Requests with a body one key may have in flight at once (429 over it; 0 = no limit). */
  uploadsPerKey: number;
  /** Bytes that concurrent decodes of statistics files (.npz) may inflate to together. */
  decodeMemoryBytes: number;
  /** How often an event stream re-checks its API key (a revoked key's streams close within this). */
  streamKeyRecheckMs: number;
  /** Longest one VAE operation (decode, encode, load) may run on its worker before it is replaced. */
  vaeTimeoutMs: number;
  /** The OpenBLAS library the statistics load (default: the system's; absent: WebAssembly kernels). */
  openblasLibrary?: string;
  /** tfjs backend of uploaded VAE models (FIDSTREAM_BACKEND; default: the auto choice). */
  backend?: BackendName;
  /** Token of the local operator (the CLI on this machine, see auth/operator.ts); unset: none accepted. */
  operatorToken?: string;
}

/**
 * Defaults: 256 MiB bodies, 1 GiB of bodies in flight, 32 uploads per key at once; fold every 60 s, at 64 batches or
 * at a checkpoint's weight; metrics 200 ms after a burst.
 */
export const defaultServiceConfig: ServiceConfig = {
  maxBodyBytes: 256 * 1024 * 1024,
  foldIntervalMs: 60_000,
  foldMaxPending: 64,
  metricsDelayMs: 200,
  // Programmatic deps (tests, embedding) default to no auth; the server process (configFromEnv) defaults to on.
  auth: "off",
  requestsPerMinute: 6000,
  defaultFeatureSpace: "mnist-lenet",
  bodyMemoryBytes: 1024 * 1024 * 1024,
  uploadsPerKey: 32,
  decodeMemoryBytes: 1024 * 1024 * 1024,
  streamKeyRecheckMs: 5_000,
  vaeTimeoutMs: 120_000,
};

/** The dependencies of every handler. */
export interface Deps {
  database: Database;
  db: Db;
  config: ServiceConfig;
  owners: OwnerStats;
  references: ReferenceStats;
  /** Heavy numerics: a Worker thread in the server, inline in most tests. */
  compute: Compute;
  /** Images to features: the local worker pool, or a GPU host with local fallback. */
  features: FeatureService;
  scheduler: Scheduler;
  notifier: MetricsNotifier;
  rateLimiter: RateLimiter;
  /** Memory for request bodies in flight, shared by every request of this process. */
  bodyBudget: BodyBudget;
  /** Uploads in flight per API key. */
  uploadSlots: UploadSlots;
  /** Memory for inflating statistics files, shared by concurrent decodes. */
  decodeBudget: ByteSemaphore;
  clock: () => Date;
  log: (message: string) => void;
  /** Random id of this process (or test instance): names it as the holder of evaluation leases. */
  processId: string;
  /** Work started after answering (shutdown waits for it). */
  background: BackgroundWork;
}

/** Builds the dependencies over an open database and starts listening for metrics from other processes. */
export async function createDeps(
  database: Database,
  config: Partial<ServiceConfig> = {},
  opts: {
    clock?: () => Date;
    log?: (message: string) => void;
    compute?: "worker" | "inline";
    features?: FeatureService;
  } = {},
): Promise<Deps> {
  const full = { ...defaultServiceConfig, ...config };
  const clock = opts.clock ?? (() => new Date());
  const log = opts.log ?? ((m: string) => console.error(m));
  const compute = opts.compute === "inline"
    ? inlineCompute({
      comoment: loadOpenBlas(full.openblasLibrary)?.packedComoment,
      native: loadOpenBlas(full.openblasLibrary)?.linalg,
    })
    : workerCompute({ openblasLibrary: full.openblasLibrary });
  const owners = new OwnerStats(
    database.db,
    {
      intervalMs: full.foldIntervalMs,
      maxPending: full.foldMaxPending,
    },
    compute,
    () => clock().getTime(),
  );
  const deps = {
    database,
    db: database.db,
    config: full,
    owners,
    compute,
    features: opts.features ?? localFeatureService(),
    references: new ReferenceStats(database.db, owners, compute),
    notifier: new MetricsNotifier(),
    rateLimiter: new RateLimiter(full.requestsPerMinute, () => clock().getTime()),
    bodyBudget: new BodyBudget(full.bodyMemoryBytes),
    uploadSlots: new UploadSlots(full.uploadsPerKey),
    decodeBudget: new ByteSemaphore(full.decodeMemoryBytes),
    clock,
    log,
    processId: crypto.randomUUID(),
    background: new BackgroundWork(),
  } as Deps;
  deps.scheduler = new Scheduler(
    (runId) => updatePartialMetrics(deps, runId),
    full.metricsDelayMs,
    (runId, e) => log(`partial metrics for run ${runId} failed: ${describeError(e)}`),
  );
  await deps.notifier.start(database);
  return deps;
}

/** Stops background work and listeners (the database stays open: its owner closes it). */
export async function disposeDeps(deps: Deps): Promise<void> {
  await deps.scheduler.stop();
  await deps.background.settled();
  await deps.notifier.stop();
  deps.compute.close();
  await deps.features.close();
}
