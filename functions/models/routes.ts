/**
 * POST /v1/runs/:id/models/decoder and /encoder: upload a run's VAE half as a TensorFlow.js model (a zip of
 * model.json and its weight shards, or multipart); GET /v1/runs/:id/models lists them.
 * The upload is validated (paths, sizes) here and loaded and probed on the VAE worker before it is stored.
 */
import { Hono } from "hono";
import { findRunModel, listRunModels, type ModelRole, upsertRunModel } from "../../db/store/run_models.ts";
import { NotFoundError, UnprocessableError } from "../../src/errors.ts";
import { modelBundleFromFiles } from "../../src/tfjs/model_bundle.ts";
import type { DecoderInfo, EncoderInfo } from "../../src/vae/model_roles.ts";
import type { AppEnv } from "../env.ts";
import { requireRun } from "../owned.ts";
import { readModelUpload } from "../vae/model_upload.ts";
import { vaeRunnerFor } from "../vae/runner.ts";
import { modelSha256 } from "../vae/stored_model.ts";
import { modelView } from "../vae/views.ts";

/** The model upload routes. */
export const models = new Hono<AppEnv>();

const ROLES: ModelRole[] = ["decoder", "encoder"];

models.post("/v1/runs/:id/models/:role", async (c) => {
  const deps = c.get("deps");
  const role = c.req.param("role") as ModelRole;
  if (!ROLES.includes(role)) {
    throw new NotFoundError("route_not_found", `models are 'decoder' or 'encoder', not '${role}'`);
  }
  const run = await requireRun(c);
  const upload = await readModelUpload(c);
  const bundle = modelBundleFromFiles(upload.files);
  const other = await findRunModel(deps.db, run.id, role === "decoder" ? "encoder" : "decoder");
  const otherDim = (other?.info as { latentDim?: number } | undefined)?.latentDim;
  const options = { ...upload.options };
  // An encoder with one output of width 2d is [mean, log_var]: the decoder's d settles which reading is meant.
  if (role === "encoder" && options.latentDim === undefined && otherDim !== undefined) {
    options.latentDim = otherDim;
  }
  const sha256 = await modelSha256(bundle.modelJson, bundle.weightData);
  const info = await vaeRunnerFor(deps).run({
    op: "inspect",
    role,
    model: { sha256, modelJson: bundle.modelJson, weights: bundle.weightData },
    options,
  }) as DecoderInfo | EncoderInfo;
  if (otherDim !== undefined && otherDim !== info.latentDim) {
    throw new UnprocessableError(
      "latent_dim_mismatch",
      `this ${role} has latent dimension ${info.latentDim} but the run's ${other!.role} has ${otherDim}`,
    );
  }
  const replaced = (await findRunModel(deps.db, run.id, role)) !== undefined;
  await upsertRunModel(deps.db, {
    runId: run.id,
    role,
    format: bundle.format,
    modelJson: bundle.modelJson,
    weights: bundle.weightData,
    sha256,
    info: info as unknown as Record<string, unknown>,
  });
  const stored = (await listRunModels(deps.db, run.id)).find((m) => m.role === role)!;
  return c.json({ ...modelView(stored), replaced }, 201);
});

models.get("/v1/runs/:id/models", async (c) => {
  const run = await requireRun(c);
  return c.json({ models: (await listRunModels(c.get("deps").db, run.id)).map(modelView) });
});
