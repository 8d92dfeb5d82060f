/// <reference lib="deno.worker" />
/** Worker thread of workerCompute(): runs the heavy numerics so the request thread never blocks on them. */
import {
  encodeReferenceFactor,
  frechetDistanceFromFactor,
  prepareReference,
} from "../../src/stats/frechet.ts";
import { loadOpenBlas } from "../../src/native/openblas.ts";
import { batchMoments } from "../../src/stats/moments.ts";
import { bytesToFeatures } from "../../src/tensors/feature_bytes.ts";
import { readStatsFile } from "../../src/stats/stats_file.ts";
import { reduceSumsFile } from "../../src/stats/sample_sums_file.ts";
import { sampleMetrics } from "../../src/stats/sample_metrics.ts";
import type { NativeLinalg } from "../../src/native/native_linalg.ts";
import type { PackedComoment } from "../../src/stats/moments.ts";
import { type RpcContext, serveRpc } from "../../src/workers/rpc_server.ts";
import { type ComputeOp, type ComputeSetup, FactorCache, FidMemo } from "./compute.ts";

const factors = new FactorCache();
const memo = new FidMemo();

serveRpc<ComputeOp>((req, ctx) => run(req, ctx), {
  serial: true,
  setup: (setup) => setUp(setup as ComputeSetup),
  // Hand big results (moments, statistics) over without copying.
  transfer: (value) => {
    const v = value as { comoment?: unknown; sum?: unknown; mu?: unknown; sigmaPacked?: unknown } | null;
    return [v?.comoment, v?.sum, v?.mu, v?.sigmaPacked]
      .filter((a): a is Float64Array => a instanceof Float64Array)
      .map((a) => a.buffer as ArrayBuffer);
  },
});

// Batch co-moments on OpenBLAS's float64 dsyrk where it loads (~4x the WebAssembly kernel at D=2048), and its
// LAPACK and level-3 BLAS for FID, KID, PRDC and pairwise distances. The library is the configured one, named
// by the setup message that comes before any request.
let comoment: PackedComoment | "auto" = "auto";
let native: NativeLinalg | null = null;
let linalg: { native: NativeLinalg | null } = { native };

function setUp(setup: ComputeSetup): void {
  const blas = loadOpenBlas(setup.openblasLibrary);
  comoment = blas?.packedComoment ?? "auto";
  native = blas?.linalg ?? null;
  linalg = { native };
}

const cores = navigator.hardwareConcurrency;

/**
 * The evaluations' big products on every core (1.6-1.9x one core here; bench/finalize_bench.ts). OpenBLAS's
 * thread count is process-wide, so other callers (the extraction pool's sgemm, the moments lane) see it raised
 * meanwhile; OpenBLAS serializes concurrent callers of its thread pool, so that costs time, not correctness.
 */
function onAllCores<T>(fn: () => T): T {
  return native ? native.withThreads(cores, fn) : fn();
}

function run(req: ComputeOp, ctx: RpcContext): unknown {
  switch (req.op) {
    case "batchMoments":
      return batchMoments(bytesToFeatures(req.features, req.dtype), req.n, req.dim, comoment);
    case "prepareReference":
      return onAllCores(() => encodeReferenceFactor(prepareReference(req.mu, req.sigma, linalg)));
    case "fid": {
      // null asks the caller to resend with the factor bytes (evicted, or never sent).
      const factor = factors.get(req.key, req.factor);
      if (!factor) return null;
      return memo.fid(
        req.key,
        req.mu,
        req.sigma,
        () => onAllCores(() => frechetDistanceFromFactor(factor, req.mu, req.sigma, linalg)),
      );
    }
    case "sampleMetrics":
      return onAllCores(() =>
        sampleMetrics(req.req, { native, onPhase: (phase) => ctx.progress(phase) })
      );
    case "readStatsFile":
      return readStatsFile(req.bytes, req.maxUncompressedBytes);
    case "reduceSumsFile":
      return reduceSumsFile(req.kind, req.bytes, req.maxUncompressedBytes);
  }
}
