/**
 * The engine: everything that turns stored batches into metrics (ingest, moments, partial metrics, finalize,
 * leases, scheduling, VAE operations, grids), built once per process over an open database and passed in.
 * It knows nothing of HTTP: functions/ parses requests, calls it, and shapes its answers.
 */
import type { BackendName } from "../models/runtime/extraction_settings.ts";
import type { Database, Db } from "../db/database.ts";
import type { Compute } from "./pipeline/compute.ts";
import type { FeatureService } from "./pipeline/feature_service.ts";
import type { BackgroundWork } from "./pipeline/background_work.ts";
import type { MetricsNotifier } from "./pipeline/notifier.ts";
import type { OwnerStats } from "./pipeline/owner_stats.ts";
import type { ReferenceStats } from "./pipeline/reference_stats.ts";
import type { Scheduler } from "./pipeline/scheduler.ts";
import type { ByteSemaphore } from "./byte_semaphore.ts";

/** The engine's settings (functions/config.ts reads them from the environment). */
export interface EngineConfig {
  /** Largest upload, and the most bytes a statistics or sums .npz may inflate to. */
  maxBodyBytes: number;
  /** Minimum time between checkpoint writes of one run or reference. */
  foldIntervalMs: number;
  /** Fold once this many batches are pending, whatever the interval. */
  foldMaxPending: number;
  /** Wait before the next partial metrics when batches arrived during a run (a lone batch is evaluated at once). */
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

/** Defaults: 256 MiB uploads; fold every 60 s or at 64 batches; partial metrics at most every 200 ms in a stream. */
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
