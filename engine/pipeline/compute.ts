/**
 * The heavy numerics (reference factor, Frechet distance, Vendi, KID, PRDC, CMMD, FID-infinity: seconds at
 * D=2048) behind one interface, so they can run on a Worker thread while the request thread keeps accepting
 * batches.
 */
import type { NativeLinalg } from "../../src/native/native_linalg.ts";
import type { FeatureStatistics } from "../../src/stats/feature_statistics.ts";
import type { Moments, PackedComoment } from "../../src/stats/moments.ts";
import type {
  SampleMetricsRequest,
  SampleMetricsResult,
  SamplePhase,
} from "../../src/stats/sample_metrics.ts";
import { type PackedStats, readStatsFile } from "../../src/stats/stats_file.ts";
import { type ReducedSums, reduceSumsFile, type SampleSumsKind } from "../../src/stats/sample_sums_file.ts";
import type { FeatureDType } from "../../src/tensors/feature_bytes.ts";
import { RpcClient } from "../../src/workers/rpc_client.ts";
import { ThreadNumerics } from "./thread_numerics.ts";

/** Heavy statistics, possibly off-thread. Arrays passed in may be transferred (do not reuse them). */
export interface Compute {
  /** Statistics (moments of the rows and of the unit rows) of one stored batch (little-endian `dtype`, n x dim). */
  batchStatistics(
    features: Uint8Array,
    dtype: FeatureDType,
    n: number,
    dim: number,
  ): Promise<FeatureStatistics>;
  /** Encoded Frechet factor of N(mu, sigma). */
  prepareReference(mu: Float64Array, sigma: Float64Array): Promise<Uint8Array>;
  /**
   * FID of the rows behind `moments` against the reference whose encoded factor is `factor`, cached under `key`.
   * The moments go as they are (packed, half a covariance's bytes): their mean and covariance are formed there.
   */
  fid(key: string, factor: Uint8Array, moments: Moments): Promise<number>;
  /** The Vendi score of the rows whose unit rows have these moments. */
  vendi(unit: Moments): Promise<number>;
  /**
   * FID-infinity of a run of n rows, in steps (src/stats/fid_infinity.ts): start, add every row in stored order
   * (chunks of one dtype), then `next` 15 times for (N_k, FID_k), then end. Steps of one session run in order;
   * other work may run between them.
   */
  fidInfinityStart(session: string, n: number, dim: number): Promise<void>;
  /** Adds the next `rows` rows of the session's run (little-endian `dtype`, transferred). */
  fidInfinityAdd(session: string, features: Uint8Array, dtype: FeatureDType, rows: number): Promise<void>;
  /** [N_k, FID_k] of the next prefix against the reference factor (key and bytes as for fid). */
  fidInfinityNext(session: string, key: string, factor: Uint8Array): Promise<[number, number]>;
  /** Forgets the session (also after a failure). */
  fidInfinityEnd(session: string): Promise<void>;
  /**
   * KID, PRDC and the mean pairwise distance of a run's sample (x) against a reference sample (y), sharing
   * their products (src/stats/sample_metrics.ts); `onPhase` hears each phase as it starts.
   */
  sampleMetrics(
    req: SampleMetricsRequest,
    onPhase?: (phase: SamplePhase) => void,
  ): Promise<SampleMetricsResult>;
  /** Reads a statistics .npz (mu, sigma) into mu and packed sigma: inflating it takes a while at large D. */
  readStatsFile(bytes: Uint8Array, maxUncompressedBytes: number): Promise<PackedStats>;
  /** Reduces a reconstruction or latent upload (.npz) to its sums. */
  reduceSumsFile(kind: SampleSumsKind, bytes: Uint8Array, maxUncompressedBytes: number): Promise<ReducedSums>;
  /** Stops the worker, if any. */
  close(): void;
}

/**
 * Runs everything on the calling thread (tests, small dimensions); `comoment`: a native co-moment kernel,
 * `native`: native BLAS/LAPACK for the rest (one thread: the caller's thread is not a compute worker).
 */
export function inlineCompute(
  opts: { comoment?: PackedComoment; native?: NativeLinalg | null } = {},
): Compute {
  const t = new ThreadNumerics(opts.comoment ?? "auto", opts.native ?? null);
  const now = <T>(fn: () => T) => {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return {
    batchStatistics: (features, dtype, n, dim) => now(() => t.batchStatistics(features, dtype, n, dim)),
    prepareReference: (mu, sigma) => now(() => t.prepareReference(mu, sigma)),
    fid: (key, factor, moments) => now(() => t.fid(key, factor, moments)!),
    vendi: (unit) => now(() => t.vendi(unit)),
    fidInfinityStart: (session, n, dim) => now(() => t.fidInfinity.start(session, n, dim)),
    fidInfinityAdd: (session, features, dtype, rows) =>
      now(() => t.fidInfinity.add(session, features, dtype, rows)),
    fidInfinityNext: (session, key, factor) => now(() => t.fidInfinity.next(session, key, factor)!),
    fidInfinityEnd: (session) => now(() => t.fidInfinity.end(session)),
    sampleMetrics: (req, onPhase) => now(() => t.sampleMetrics(req, onPhase)),
    readStatsFile: (bytes, max) => now(() => readStatsFile(bytes, max)),
    reduceSumsFile: (kind, bytes, max) => now(() => reduceSumsFile(kind, bytes, max)),
    close() {},
  };
}

/** An operation for the compute worker. */
export type ComputeOp =
  | { op: "batchStatistics"; features: Uint8Array; dtype: FeatureDType; n: number; dim: number }
  | { op: "prepareReference"; mu: Float64Array; sigma: Float64Array }
  | { op: "fid"; key: string; factor?: Uint8Array; moments: Moments }
  | { op: "vendi"; unit: Moments }
  | { op: "fidInfinityStart"; session: string; n: number; dim: number }
  | { op: "fidInfinityAdd"; session: string; features: Uint8Array; dtype: FeatureDType; rows: number }
  | { op: "fidInfinityNext"; session: string; key: string; factor?: Uint8Array }
  | { op: "fidInfinityEnd"; session: string }
  | { op: "sampleMetrics"; req: SampleMetricsRequest }
  | { op: "readStatsFile"; bytes: Uint8Array; maxUncompressedBytes: number }
  | { op: "reduceSumsFile"; kind: SampleSumsKind; bytes: Uint8Array; maxUncompressedBytes: number };

/** The setup every compute worker gets before any operation: what it loads (the configured OpenBLAS). */
export type ComputeSetup = { openblasLibrary?: string };

/**
 * Runs the numerics on two Workers: one lane for per-batch moments (~0.1 s each at D=2048) and one for the
 * evaluations (seconds), so moments of new batches never queue behind an FID.
 */
export function workerCompute(opts: { openblasLibrary?: string } = {}): Compute {
  const setup: ComputeSetup = { openblasLibrary: opts.openblasLibrary };
  const moments = new WorkerLane(setup);
  const stats = new WorkerLane(setup);
  const sentFactors = new Set<string>();
  /**
   * Calls `op` without the factor's bytes when the worker was sent them before (it keeps a few decoded factors),
   * and again with them when it answers null (evicted, or never sent).
   */
  const withFactor = async <T>(
    key: string,
    factor: Uint8Array,
    op: (factor?: Uint8Array) => Promise<T | null>,
  ): Promise<T> => {
    if (sentFactors.has(key)) {
      const value = await op();
      if (value !== null) return value;
    }
    sentFactors.add(key);
    return (await op(factor))!;
  };
  return {
    // Copied, not transferred: a driver's buffer may be a view into memory it still uses.
    batchStatistics: (features, dtype, n, dim) =>
      moments.call({ op: "batchStatistics", features, dtype, n, dim }),
    prepareReference: (mu, sigma) => stats.call({ op: "prepareReference", mu, sigma }, [sigma.buffer]),
    // fid and vendi: cloned, the moments belong to the owner's cached statistics.
    fid: (key, factor, moments) =>
      withFactor(key, factor, (f) => stats.call<number | null>({ op: "fid", key, factor: f, moments })),
    vendi: (unit) => stats.call({ op: "vendi", unit }),
    fidInfinityStart: (session, n, dim) => stats.call({ op: "fidInfinityStart", session, n, dim }),
    fidInfinityAdd: (session, features, dtype, rows) =>
      stats.call({ op: "fidInfinityAdd", session, features, dtype, rows }, [features.buffer]),
    fidInfinityNext: (session, key, factor) =>
      withFactor(
        key,
        factor,
        (f) => stats.call<[number, number] | null>({ op: "fidInfinityNext", session, key, factor: f }),
      ),
    fidInfinityEnd: (session) => stats.call({ op: "fidInfinityEnd", session }),
    sampleMetrics: (req, onPhase) => stats.call({ op: "sampleMetrics", req }, [], onPhase),
    // On the moments lane: a stats upload is a small, quick job next to an evaluation.
    readStatsFile: (bytes, maxUncompressedBytes) =>
      moments.call({ op: "readStatsFile", bytes, maxUncompressedBytes }, [bytes.buffer]),
    reduceSumsFile: (kind, bytes, maxUncompressedBytes) =>
      moments.call({ op: "reduceSumsFile", kind, bytes, maxUncompressedBytes }, [bytes.buffer]),
    close() {
      moments.close();
      stats.close();
    },
  };
}

/** One compute Worker (compute_worker.ts); its operations run there in order. */
class WorkerLane {
  #rpc: RpcClient<ComputeOp>;

  constructor(setup: ComputeSetup) {
    this.#rpc = new RpcClient(new URL("./compute_worker.ts", import.meta.url), {
      setup,
      name: "compute",
      crashError: (message) => new Error(`compute worker crashed: ${message}`),
    });
  }

  /** Sends one operation; resolves with its result (onPhase hears its progress, if it reports any). */
  call<T>(
    req: ComputeOp,
    transfer: ArrayBufferLike[] = [],
    onPhase?: (phase: SamplePhase) => void,
  ): Promise<T> {
    return this.#rpc.call<T>(req, {
      transfer: transfer as Transferable[],
      onProgress: onPhase as ((p: unknown) => void) | undefined,
    });
  }

  /** Stops the thread. */
  close() {
    this.#rpc.close();
  }
}
