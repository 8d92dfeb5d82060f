/** Stored models as the VAE worker takes them, and the digest that names one exact model. */
import { findRunModel, type ModelRole, type RunModelRow } from "../../db/store/run_models.ts";
import { UnprocessableError } from "../../src/errors.ts";
import type { DecoderInfo, EncoderInfo } from "../../src/vae/model_roles.ts";
import { sha256Hex } from "../../src/sha256_hex.ts";
import type { Engine } from "../engine.ts";
import type { ModelSource } from "./ops.ts";

/** SHA-256 of a model: its model.json text and weights, framed by the text's byte length. */
export async function modelSha256(modelJson: string, weights: Uint8Array): Promise<string> {
  const json = new TextEncoder().encode(modelJson);
  const framed = new Uint8Array(8 + json.byteLength + weights.byteLength);
  new DataView(framed.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  framed.set(json, 8);
  framed.set(weights, 8 + json.byteLength);
  return await sha256Hex(framed);
}

/** A stored model with its description. */
export interface UsableModel<I> {
  row: RunModelRow;
  source: ModelSource;
  info: I;
}

/** The run's decoder (or encoder), or a 422 telling the user to upload it. */
export async function requireRunModel<R extends ModelRole>(
  deps: Engine,
  runId: string,
  role: R,
): Promise<UsableModel<R extends "decoder" ? DecoderInfo : EncoderInfo>> {
  const row = await findRunModel(deps.db, runId, role);
  if (!row) {
    throw new UnprocessableError(
      `${role}_missing`,
      `run ${runId} has no ${role}; upload one first with POST /v1/runs/${runId}/models/${role}`,
    );
  }
  return {
    row,
    source: { sha256: row.sha256, modelJson: row.modelJson, weights: row.weights },
    info: row.info as never,
  };
}
