/**
 * POST /v1/runs/:id/generate {"n","seed","features"?,"chunk"?}: decode n seeded prior samples with the run's
 * decoder (on the VAE worker), extract their features in the run's feature space (deps.features: the worker
 * pool or a GPU host) and append them as the run's batches, so FID, KID and IS stream as for uploaded
 * batches. The request thread only awaits. Chunks are keyed by the request ("generate:<seed>:<n>:<chunk>:..."):
 * a retry replays the stored chunks without recomputing them and fills in the rest, never counting twice.
 */
import { Hono } from "hono";
import { findBatchByKey } from "../../db/store/batch_keys.ts";
import { findReference } from "../../db/store/references.ts";
import { findRun } from "../../db/store/runs.ts";
import { ConflictError, UnprocessableError } from "../../src/errors.ts";
import { featureMatrix } from "../../src/tensors/feature_matrix.ts";
import {
  generateChunkDescriptor,
  generateChunkKey,
  generateChunks,
  parseGenerateSpec,
} from "../../src/vae/generate_request.ts";
import { LegacyGaussian } from "../../src/vae/prior.ts";
import { readJsonObject, sha256Hex } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { storeFeatureUpload } from "../features_upload.ts";
import { requireRun } from "../owned.ts";
import { imagesInDeclaredSpace, resolveFeatureSpace } from "../pipeline/feature_service.ts";
import { vaeRunnerFor } from "../vae/runner.ts";
import { requireRunModel } from "../vae/stored_model.ts";

/** The generate route. */
export const generate = new Hono<AppEnv>();

generate.post("/v1/runs/:id/generate", async (c) => {
  const deps = c.get("deps");
  const run = await requireRun(c);
  const spec = parseGenerateSpec(await readJsonObject(c));
  const ref = await findReference(deps.db, run.referenceId);
  const named = ref?.featureSpace ?? null;
  if (named && spec.features && spec.features !== named) {
    throw new UnprocessableError(
      "feature_space_mismatch",
      `the run's reference lives in feature space ${named}, not ${spec.features}: FID across spaces is meaningless`,
    );
  }
  const space = named ?? spec.features;
  if (!space) {
    throw new UnprocessableError(
      "no_feature_space",
      "the run's reference names no feature space (its features were computed elsewhere); pass " +
        '"features": the space they were computed in, e.g. "mnist-lenet"',
    );
  }
  const resolved = resolveFeatureSpace(space);
  if (resolved.declared) throw imagesInDeclaredSpace(resolved.declared);
  const decoder = await requireRunModel(deps, run.id, "decoder");
  const d = decoder.info.latentDim;
  const chunks = generateChunks(spec);
  const keys = chunks.map((_, i) => generateChunkKey(spec, i, space, decoder.row.sha256));
  const stored = await Promise.all(keys.map((k) => findBatchByKey(deps.db, run.id, k)));
  if (run.status !== "streaming" && stored.some((s) => s === undefined)) {
    throw new ConflictError("run_finalized", `run ${run.id} is ${run.status}: it accepts no more batches`);
  }
  const runner = vaeRunnerFor(deps);
  // One seeded stream for the whole request, consumed in chunk order: chunk i is the same whatever was stored.
  const prior = new LegacyGaussian(spec.seed);
  const batches: { batch: number; n: number; replayed: boolean }[] = [];
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
    const rowsOut = await deps.features.extract(space, images);
    if (rowsOut.dim !== run.dim) {
      throw new UnprocessableError(
        "feature_dim_mismatch",
        `${space} features are ${rowsOut.dim}-dimensional but this run's reference is ${run.dim}-dimensional; ` +
          "generate against a reference built in the same feature space",
      );
    }
    const features = featureMatrix(
      { dtype: "float32", shape: [rowsOut.n, rowsOut.dim], data: rowsOut.data },
      run.dim,
    );
    const receipt = await storeFeatureUpload(deps, { kind: "run", id: run.id }, {
      key: keys[i],
      sha256,
      features,
    });
    batches.push({ batch: receipt.batch, n: rows, replayed: receipt.replay });
    deps.scheduler.poke(run.id);
  }
  const after = await findRun(deps.db, run.id);
  return c.json({
    run: run.id,
    generated: spec.n,
    seed: spec.seed,
    features: space,
    decoder: decoder.row.sha256,
    batches,
    n: after?.n ?? run.n,
    replayed: batches.every((b) => b.replayed),
  });
});
