/**
 * The heavy numerics (reference factor, Frechet distance, KID, PRDC: seconds at D=2048) behind one interface, so
 * they can run on a Worker thread while the request thread keeps accepting batches.
 */
import {
  decodeReferenceFactor,
  encodeReferenceFactor,
  frechetDistanceFromFactor,
  prepareReference,
  type ReferenceFactor,
} from "../../src/stats/frechet.ts";
import type { NativeLinalg } from "../../src/native/native_linalg.ts";
import { batchMoments, type Moments, type PackedComoment } from "../../src/stats/moments.ts";
import {
  sampleMetrics,
  type SampleMetricsRequest,
  type SampleMetricsResult,
  type SamplePhase,
} from "../../src/stats/sample_metrics.ts";
import { type PackedStats, readStatsFile } from "../../src/stats/stats_file.ts";
import { type ReducedSums, reduceSumsFile, type SampleSumsKind } from "../../src/stats/sample_sums_file.ts";
import { bytesToFeatures, type FeatureDType } from "../../src/tensors/feature_bytes.ts";
import { RpcClient } from "../../src/workers/rpc_client.ts";

/** Heavy statistics, possibly off-thread. Arrays passed in may be transferred (do not reuse them). */
export interface Compute {
  /** Moments of one stored feature batch (little-endian bytes of `dtype`, n x dim). */
  batchMoments(features: Uint8Array, dtype: FeatureDType, n: number, dim: number): Promise<Moments>;
  /** Encoded Frechet factor of N(mu, sigma). */
  prepareReference(mu: Float64Array, sigma: Float64Array): Promise<Uint8Array>;
  /** FID against the reference whose encoded factor is `factor`, cached under `key`. */
  fid(key: string, factor: Uint8Array, mu: Float64Array, sigma: Float64Array): Promise<number>;
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

/** Decoded factors by key, bounded so many references do not pin memory (a 2048-d factor is 32 MB). */
export class FactorCache {
  #entries = new Map<string, ReferenceFactor>();
  constructor(private capacity = 4) {}
  /** The decoded factor for key, decoding `bytes` on a miss (undefined on a miss without bytes). */
  get(key: string, bytes?: Uint8Array): ReferenceFactor | undefined {
    let f = this.#entries.get(key);
    if (f) {
      this.#entries.delete(key);
    } else {
      if (!bytes) return undefined;
      f = decodeReferenceFactor(bytes);
      if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, f);
    return f;
  }
}

/**
 * The last FID computed, with its inputs: a finalize right after the partial metrics caught up asks for the FID
 * of exactly the same statistics (seconds at D = 2048), so an identical request (same factor key, mu and sigma
 * equal element for element) gets the same value without computing it again.
 */
export class FidMemo {
  #last: { key: string; mu: Float64Array; sigma: Float64Array; value: number } | null = null;

  /** The remembered value when key, mu and sigma are those of the last FID, else compute() (remembered). */
  fid(key: string, mu: Float64Array, sigma: Float64Array, compute: () => number): number {
    const last = this.#last;
    if (last && last.key === key && sameValues(last.mu, mu) && sameValues(last.sigma, sigma)) {
      return last.value;
    }
    const value = compute();
    // Copies: a caller may reuse its arrays (a few ms next to the seconds an FID takes).
    this.#last = { key, mu: mu.slice(), sigma: sigma.slice(), value };
    return value;
  }
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Runs everything on the calling thread (tests, small dimensions); `comoment`: a native co-moment kernel,
 * `native`: native BLAS/LAPACK for the rest (one thread: the caller's thread is not a compute worker).
 */
export function inlineCompute(
  opts: { comoment?: PackedComoment; native?: NativeLinalg | null } = {},
): Compute {
  const factors = new FactorCache();
  const memo = new FidMemo();
  const comoment = opts.comoment ?? "auto";
  const linalg = { native: opts.native ?? null };
  return {
    batchMoments: (features, dtype, n, dim) =>
      Promise.resolve(batchMoments(bytesToFeatures(features, dtype), n, dim, comoment)),
    prepareReference: (mu, sigma) =>
      Promise.resolve(encodeReferenceFactor(prepareReference(mu, sigma, linalg))),
    fid: (key, factor, mu, sigma) =>
      Promise.resolve(
        memo.fid(
          key,
          mu,
          sigma,
          () => frechetDistanceFromFactor(factors.get(key, factor)!, mu, sigma, linalg),
        ),
      ),
    sampleMetrics: (req, onPhase) => Promise.resolve(sampleMetrics(req, { ...linalg, onPhase })),
    readStatsFile: (bytes, max) => Promise.resolve(readStatsFile(bytes, max)),
    reduceSumsFile: (kind, bytes, max) => Promise.resolve(reduceSumsFile(kind, bytes, max)),
    close() {},
  };
}

/** An operation for the compute worker. */
export type ComputeOp =
  | { op: "batchMoments"; features: Uint8Array; dtype: FeatureDType; n: number; dim: number }
  | { op: "prepareReference"; mu: Float64Array; sigma: Float64Array }
  | { op: "fid"; key: string; factor?: Uint8Array; mu: Float64Array; sigma: Float64Array }
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
  return {
    // Copied, not transferred: a driver's buffer may be a view into memory it still uses.
    batchMoments: (features, dtype, n, dim) => moments.call({ op: "batchMoments", features, dtype, n, dim }),
    prepareReference: (mu, sigma) => stats.call({ op: "prepareReference", mu, sigma }, [sigma.buffer]),
    async fid(key, factor, mu, sigma) {
      // The worker keeps a few decoded factors: send the bytes only when it says it has none for this key.
      if (sentFactors.has(key)) {
        const value = await stats.call<number | null>({ op: "fid", key, mu, sigma }); // cloned: kept for a resend
        if (value !== null) return value;
      }
      sentFactors.add(key);
      const value = await stats.call<number | null>({ op: "fid", key, factor, mu, sigma }, [sigma.buffer]);
      return value!;
    },
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
  call<T>(req: ComputeOp, transfer: ArrayBufferLike[] = [], onPhase?: (phase: SamplePhase) => void): Promise<T> {
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
