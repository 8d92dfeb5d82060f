/**
 * Generating a run's samples: n seeded prior samples decoded with the run's decoder (on the VAE worker), their
 * features extracted in the run's feature space (the worker pool or a GPU host) and appended as the run's
 * batches, so FID, KID and IS stream as for uploaded batches. Chunks are keyed by the request: a retry replays
 * the stored chunks without recomputing them and fills in the rest, never counting twice.
 */
import { findBatchByKey } from "../../db/store/batch_keys.ts";
import { findReference } from "../../db/store/references.ts";
import { findRun, type RunRow } from "../../db/store/runs.ts";
import { ConflictError } from "../../src/errors.ts";
import { sha256Hex } from "../../src/sha256_hex.ts";
import { featureMatrix } from "../../src/tensors/feature_matrix.ts";
import {
  generateChunkDescriptor,
  generateChunkKey,
  generateChunks,
  type GenerateSpec,
} from "../../src/vae/generate_request.ts";
import { LegacyGaussian } from "../../src/vae/prior.ts";
import type { Engine } from "../engine.ts";
import { extractionSpace, requireOwnerDim } from "../feature_spaces.ts";
import { storeFeatureUpload } from "../ingest/feature_batch.ts";
import { vaeRunnerFor } from "./runner.ts";
import { requireRunModel } from "./stored_model.ts";

/** What a generate request did: the space and decoder used, and each chunk's batch (stored now or replayed). */
export interface GenerateResult {
  run: string;
  generated: number;
  seed: number;
  features: string;
  decoder: string;
  batches: { batch: number; n: number; replayed: boolean }[];
  n: number;
  replayed: boolean;
}

/** Generates, extracts and stores `spec.n` samples for the run (see the module comment). */
export async function generateSamples(
  engine: Engine,
  run: RunRow,
  spec: GenerateSpec,
): Promise<GenerateResult> {
  const ref = await findReference(engine.db, run.referenceId);
  const space = extractionSpace(ref?.featureSpace ?? null, spec.features);
  const decoder = await requireRunModel(engine, run.id, "decoder");
  const d = decoder.info.latentDim;
  const chunks = generateChunks(spec);
  const keys = chunks.map((_, i) => generateChunkKey(spec, i, space, decoder.row.sha256));
  const stored = await Promise.all(keys.map((k) => findBatchByKey(engine.db, run.id, k)));
  if (run.status !== "streaming" && stored.some((s) => s === undefined)) {
    throw new ConflictError("run_finalized", `run ${run.id} is ${run.status}: it accepts no more batches`);
  }
  const runner = vaeRunnerFor(engine);
  // One seeded stream for the whole request, consumed in chunk order: chunk i is the same whatever was stored.
  const prior = new LegacyGaussian(spec.seed);
  const batches: GenerateResult["batches"] = [];
  for (const [i, [start, end]] of chunks.entries()) {
    const rows = end - start;
    const z = new Float32Array(rows * d);
    for (let k = 0; k < z.length; k++) z[k] = prior.next();
    const sha256 = await sha256Hex(
      new TextEncoder().encode(generateChunkDescriptor(spec, i, space, decoder.row.sha256)),
    );
    const existing = stored[i];
    if (existing && existing.bodySha256 === sha256) {
      batches.push({ batch: existing.batch, n: existing.n, replayed: true });
      continue;
    }
    const images = await runner.run({
      op: "decode",
      decoder: decoder.source,
      info: decoder.info,
      z,
      n: rows,
    });
    const extracted = await engine.features.extract(space, images);
    requireOwnerDim(extracted.dim, run.dim, space);
    const features = featureMatrix(
      { dtype: "float32", shape: [extracted.n, extracted.dim], data: extracted.data },
      run.dim,
    );
    const receipt = await storeFeatureUpload(engine, { kind: "run", id: run.id }, {
      key: keys[i],
      sha256,
      features,
    });
    batches.push({ batch: receipt.batch, n: rows, replayed: receipt.replay });
    engine.scheduler.poke(run.id);
  }
  const after = await findRun(engine.db, run.id);
  return {
    run: run.id,
    generated: spec.n,
    seed: spec.seed,
    features: space,
    decoder: decoder.row.sha256,
    batches,
    n: after?.n ?? run.n,
    replayed: batches.every((b) => b.replayed),
  };
}
