/// <reference lib="deno.worker" />
/** Worker thread of workerCompute(): runs the heavy numerics so the request thread never blocks on them. */
import { loadOpenBlas } from "../../src/native/openblas.ts";
import type { NativeLinalg } from "../../src/native/native_linalg.ts";
import { readStatsFile } from "../../src/stats/stats_file.ts";
import { reduceSumsFile } from "../../src/stats/sample_sums_file.ts";
import { type RpcContext, serveRpc } from "../../src/workers/rpc_server.ts";
import type { ComputeOp, ComputeSetup } from "./compute.ts";
import { ThreadNumerics } from "./thread_numerics.ts";

serveRpc<ComputeOp>((req, ctx) => run(req, ctx), {
  serial: true,
  setup: (setup) => setUp(setup as ComputeSetup),
  transfer: transferables,
});

/** The big arrays of a result (statistics, moments), handed over without copying. */
function transferables(value: unknown): ArrayBuffer[] {
  if (!value || typeof value !== "object") return [];
  const v = value as Record<string, unknown>;
  const arrays = [v.mu, v.sigmaPacked, v.sum, v.comoment];
  for (const m of [v.moments, v.unit]) {
    if (m && typeof m === "object") {
      arrays.push((m as { sum?: unknown }).sum, (m as { comoment?: unknown }).comoment);
    }
  }
  return arrays.filter((a): a is Float64Array => a instanceof Float64Array).map((a) =>
    a.buffer as ArrayBuffer
  );
}

// Batch co-moments on OpenBLAS's float64 dsyrk where it loads (~4x the WebAssembly kernel at D=2048), and its
// LAPACK and level-3 BLAS for FID, Vendi, KID, PRDC, CMMD and pairwise distances. The library is the configured
// one, named by the setup message that comes before any request.
let native: NativeLinalg | null = null;
let numerics = new ThreadNumerics("auto", null);

function setUp(setup: ComputeSetup): void {
  const blas = loadOpenBlas(setup.openblasLibrary);
  native = blas?.linalg ?? null;
  numerics = new ThreadNumerics(blas?.packedComoment ?? "auto", native, onAllCores);
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
    case "batchStatistics":
      return numerics.batchStatistics(req.features, req.dtype, req.n, req.dim);
    case "prepareReference":
      return numerics.prepareReference(req.mu, req.sigma);
    case "fid":
      // null asks the caller to resend with the factor bytes (evicted, or never sent).
      return numerics.fid(req.key, req.factor, req.moments);
    case "vendi":
      return numerics.vendi(req.unit);
    case "fidInfinityStart":
      return numerics.fidInfinity.start(req.session, req.n, req.dim);
    case "fidInfinityAdd":
      return numerics.fidInfinity.add(req.session, req.features, req.dtype, req.rows);
    case "fidInfinityNext":
      return numerics.fidInfinity.next(req.session, req.key, req.factor);
    case "fidInfinityEnd":
      return numerics.fidInfinity.end(req.session);
    case "sampleMetrics":
      return numerics.sampleMetrics(req.req, (phase) => ctx.progress(phase));
    case "readStatsFile":
      return readStatsFile(req.bytes, req.maxUncompressedBytes);
    case "reduceSumsFile":
      return reduceSumsFile(req.kind, req.bytes, req.maxUncompressedBytes);
  }
}
