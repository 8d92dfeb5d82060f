/**
 * Storing a run's VAE half: the uploaded files become a model bundle, which is loaded and probed on the VAE
 * worker (its latent dimension and image shape read from the model) and checked against the run's other half
 * before it replaces any earlier one of its role.
 */
import {
  findRunModel,
  listRunModels,
  type ModelRole,
  type RunModelSummary,
  upsertRunModel,
} from "../../db/store/run_models.ts";
import { UnprocessableError } from "../../src/errors.ts";
import { modelBundleFromFiles } from "../../src/tfjs/model_bundle.ts";
import type { UploadFiles } from "../../src/tfjs/upload_files.ts";
import type { DecoderInfo, EncoderInfo, ModelOptions } from "../../src/vae/model_roles.ts";
import type { Engine } from "../engine.ts";
import { vaeRunnerFor } from "./runner.ts";
import { modelSha256 } from "./stored_model.ts";

/** Probes and stores the run's decoder or encoder; `replaced` says whether one of its role was there. */
export async function storeRunModel(
  engine: Engine,
  runId: string,
  role: ModelRole,
  upload: { files: UploadFiles; options: ModelOptions },
): Promise<{ model: RunModelSummary; replaced: boolean }> {
  const bundle = modelBundleFromFiles(upload.files);
  const other = await findRunModel(engine.db, runId, role === "decoder" ? "encoder" : "decoder");
  const otherDim = (other?.info as { latentDim?: number } | undefined)?.latentDim;
  const options = { ...upload.options };
  // An encoder with one output of width 2d is [mean, log_var]: the decoder's d settles which reading is meant.
  if (role === "encoder" && options.latentDim === undefined && otherDim !== undefined) {
    options.latentDim = otherDim;
  }
  const sha256 = await modelSha256(bundle.modelJson, bundle.weightData);
  const info = await vaeRunnerFor(engine).run({
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
  const replaced = (await findRunModel(engine.db, runId, role)) !== undefined;
  await upsertRunModel(engine.db, {
    runId,
    role,
    format: bundle.format,
    modelJson: bundle.modelJson,
    weights: bundle.weightData,
    sha256,
    info: info as unknown as Record<string, unknown>,
  });
  const model = (await listRunModels(engine.db, runId)).find((m) => m.role === role)!;
  return { model, replaced };
}
