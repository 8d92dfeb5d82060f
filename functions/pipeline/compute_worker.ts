/// <reference lib="deno.worker" />
/** Worker thread of workerCompute(): runs the heavy numerics so the request thread never blocks on them. */
import { FidstreamError } from "../../src/errors.ts";
import {
  encodeReferenceFactor,
  frechetDistanceFromFactor,
  prepareReference,
} from "../../src/stats/frechet.ts";
import { kernelInceptionDistance } from "../../src/stats/kid.ts";
import { loadOpenBlas } from "../../src/native/openblas.ts";
import { batchMoments } from "../../src/stats/moments.ts";
import { bytesToFeatures } from "../../src/tensors/feature_bytes.ts";
import { meanPairwiseDistance } from "../../src/stats/pairwise_distance.ts";
import { prdc } from "../../src/stats/prdc.ts";
import { readStatsFile } from "../../src/stats/stats_file.ts";
import { reduceSumsFile } from "../../src/stats/sample_sums_file.ts";
import { type ComputeReply, type ComputeRequest, FactorCache } from "./compute.ts";

const factors = new FactorCache();

self.onmessage = (e: MessageEvent<ComputeRequest>) => {
  const req = e.data;
  let reply: ComputeReply;
  try {
    reply = { id: req.id, value: run(req) };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    reply = {
      id: req.id,
      error: {
        name: error.name,
        code: err instanceof FidstreamError ? err.code : undefined,
        message: error.message,
      },
    };
  }
  // Hand big results (moments, statistics) over without copying.
  const value = "value" in reply
    ? reply.value as {
      comoment?: Float64Array;
      sum?: Float64Array;
      mu?: Float64Array;
      sigmaPacked?: Float64Array;
    }
    : undefined;
  const transfer = [value?.comoment, value?.sum, value?.mu, value?.sigmaPacked]
    .filter((a): a is Float64Array => a instanceof Float64Array)
    .map((a) => a.buffer as ArrayBuffer);
  self.postMessage(reply, transfer);
};

// Batch co-moments on OpenBLAS's float64 dsyrk where it loads (~4x the WebAssembly kernel at D=2048).
const comoment = loadOpenBlas()?.packedComoment ?? "auto";

function run(req: ComputeRequest): unknown {
  switch (req.op) {
    case "batchMoments":
      return batchMoments(bytesToFeatures(req.features, req.dtype), req.n, req.dim, comoment);
    case "prepareReference":
      return encodeReferenceFactor(prepareReference(req.mu, req.sigma));
    case "fid": {
      // null asks the caller to resend with the factor bytes (evicted, or never sent).
      const factor = factors.get(req.key, req.factor);
      return factor ? frechetDistanceFromFactor(factor, req.mu, req.sigma) : null;
    }
    case "kid":
      return kernelInceptionDistance(req.x, req.nx, req.y, req.ny, req.dim, req.opts);
    case "prdc":
      return prdc(req.y, req.ny, req.x, req.nx, req.dim, req.opts);
    case "meanPairwiseDistance":
      return meanPairwiseDistance(req.x, req.n, req.dim, { maxSamples: req.maxSamples });
    case "readStatsFile":
      return readStatsFile(req.bytes, req.maxUncompressedBytes);
    case "reduceSumsFile":
      return reduceSumsFile(req.kind, req.bytes, req.maxUncompressedBytes);
  }
}
