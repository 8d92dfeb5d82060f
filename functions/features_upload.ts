/** Turning an uploaded .npy body into a stored batch of an owner (run or reference). */
import type { Context } from "hono";
import { appendBatch, type BatchReceipt } from "../db/store/batches.ts";
import { featuresToBytes } from "../src/tensors/feature_bytes.ts";
import { type FeatureMatrix, featureMatrix } from "../src/tensors/feature_matrix.ts";
import { parseNpy } from "../src/tensors/npy.ts";
import { idempotencyKey, readBinaryBody, sha256Hex } from "./body.ts";
import type { Deps } from "./deps.ts";
import type { AppEnv } from "./env.ts";

/** Content types a feature batch may be sent with. */
export const NPY_TYPES = ["application/x-npy", "application/octet-stream"];

/** A parsed, validated feature upload. */
export interface FeatureUpload {
  key: string;
  sha256: string;
  features: FeatureMatrix;
}

/** Validates an .npy body as N x D finite features (D = dim when given). */
export async function parseFeatureUpload(
  body: Uint8Array,
  key: string,
  dim?: number,
): Promise<FeatureUpload> {
  return { key, sha256: await sha256Hex(body), features: featureMatrix(parseNpy(body), dim) };
}

/** Durably stores a parsed upload as one batch of the owner (idempotent per key). */
export async function storeFeatureUpload(
  deps: Deps,
  owner: { kind: "run" | "reference"; id: string },
  upload: FeatureUpload,
): Promise<BatchReceipt> {
  const { dtype, bytes } = featuresToBytes(upload.features.data);
  const receipt = await appendBatch(deps.db, {
    owner,
    idempotencyKey: upload.key,
    bodySha256: upload.sha256,
    n: upload.features.n,
    dim: upload.features.dim,
    dtype,
    features: bytes,
  });
  if (!receipt.replay) deps.owners.remember(receipt.batch, bytes, dtype);
  return receipt;
}

/** Reads the request's .npy body and stores it as a batch of the owner, whose dimension is dim. */
export async function storeFeatureBatch(
  c: Context<AppEnv>,
  owner: { kind: "run" | "reference"; id: string },
  dim: number,
): Promise<BatchReceipt> {
  const key = idempotencyKey(c);
  const upload = await parseFeatureUpload(await readBinaryBody(c, NPY_TYPES), key, dim);
  return await storeFeatureUpload(c.get("deps"), owner, upload);
}
