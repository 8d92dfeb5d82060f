/**
 * Turning an upload into a stored batch of an owner (run or reference). The body is features (an N x D .npy) or
 * images (multipart PNG/JPEG, or an .npy image array), which are extracted in the owner's feature space first.
 */
import type { Context } from "hono";
import { appendBatch, type BatchReceipt, priorReceipt } from "../db/store/batches.ts";
import { UnprocessableError } from "../src/errors.ts";
import { declaredSpace } from "../src/features/declared_spaces.ts";
import type { ImageBatch } from "../src/features/extractor.ts";
import { imageBatchFromNdArray } from "../src/features/image_batch.ts";
import { featuresToBytes } from "../src/tensors/feature_bytes.ts";
import { type FeatureMatrix, featureMatrix } from "../src/tensors/feature_matrix.ts";
import { parseNpy } from "../src/tensors/npy.ts";
import { idempotencyKey, readBinaryBody, requestContentType, sha256Hex } from "./body.ts";
import { describeError } from "./error_log.ts";
import type { Deps } from "./deps.ts";
import type { AppEnv } from "./env.ts";
import { imagesInDeclaredSpace } from "./pipeline/feature_service.ts";
import { storeUploadGrid } from "./pipeline/upload_gallery.ts";
import {
  decodeUploadedImages,
  isImageArray,
  layoutParam,
  multipartContentSha256,
  readImageParts,
} from "./image_body.ts";

/** Content types a feature batch may be sent with. */
export const NPY_TYPES = ["application/x-npy", "application/octet-stream"];

/** Content types of a batch: features or images. */
export const BATCH_TYPES = [...NPY_TYPES, "multipart/form-data"];

/** A parsed, validated feature upload. */
export interface FeatureUpload {
  key: string;
  sha256: string;
  features: FeatureMatrix;
}

/** A read upload body: features as they came, or images still to extract. */
export type UploadBody =
  | { kind: "features"; key: string; sha256: string; features: FeatureMatrix }
  | { kind: "images"; key: string; sha256: string; images: ImageBatch };

/** A read request body: its bytes, or the files of a multipart body; and what identifies it for idempotency. */
export interface ReadBody {
  sha256: string;
  /** The body as sent (null for multipart). */
  bytes: Uint8Array | null;
  /** The file parts of a multipart body (null otherwise). */
  files: Uint8Array[] | null;
}

/**
 * Reads the body (one of `accepted` content types) with its SHA-256: of its file contents for multipart (a
 * retry has a new boundary), else of its bytes.
 */
export async function readUploadBody(c: Context<AppEnv>, accepted: string[]): Promise<ReadBody> {
  if (requestContentType(c) === "multipart/form-data" && accepted.includes("multipart/form-data")) {
    const files = await readImageParts(c);
    return { sha256: await multipartContentSha256(files), bytes: null, files };
  }
  const bytes = await readBinaryBody(c, accepted);
  return { sha256: await sha256Hex(bytes), bytes, files: null };
}

/** Parses a read request body as features or images (see the module comment). */
export async function parseUploadBody(c: Context<AppEnv>, body: ReadBody, key: string): Promise<UploadBody> {
  const { sha256, files } = body;
  if (files) {
    return { kind: "images", key, sha256, images: await decodeUploadedImages(files, c.get("deps").features) };
  }
  // The body is ours alone: its features need no copy.
  const array = parseNpy(body.bytes!, { shareBuffer: true });
  if (isImageArray(array)) {
    return { kind: "images", key, sha256, images: imageBatchFromNdArray(array, layoutParam(c)) };
  }
  return { kind: "features", key, sha256, features: featureMatrix(array) };
}

/** Features of an upload: as uploaded, or extracted in `space`; checked against the owner's dimension. */
export async function uploadFeatures(
  deps: Deps,
  upload: UploadBody,
  space: string | null,
  dim?: number,
): Promise<FeatureMatrix> {
  let features: FeatureMatrix;
  const declared = space ? declaredSpace(space) : null;
  if (upload.kind === "features") {
    features = upload.features;
  } else {
    if (declared) throw imagesInDeclaredSpace(declared);
    if (!space) {
      throw new UnprocessableError(
        "no_feature_space",
        "images need a feature space to be extracted in, and this reference has none (it was built from features " +
          "computed elsewhere); upload features, or create a reference from images with ?features=SPACE",
      );
    }
    const rows = await deps.features.extract(space, upload.images);
    features = featureMatrix({ dtype: "float32", shape: [rows.n, rows.dim], data: rows.data });
  }
  if (declared?.dim && features.dim !== declared.dim) {
    throw new UnprocessableError(
      "feature_dim_mismatch",
      `features have D = ${features.dim} columns, but feature space ${declared.name} (${declared.embeddings}) ` +
        `has D = ${declared.dim}`,
    );
  }
  if (dim !== undefined && features.dim !== dim) {
    throw new UnprocessableError(
      "feature_dim_mismatch",
      `features have D = ${features.dim} columns; expected D = ${dim}` +
        (space ? ` (feature space ${space})` : "") + ": is this the same feature space as the reference?",
    );
  }
  return features;
}

/** Durably stores validated features as one batch of the owner (idempotent per key). */
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

/**
 * Reads the request's batch (features or images) and stores it for the owner, whose dimension is dim and whose
 * images are extracted in `space`. A retry with a known key replays before any parsing or extraction.
 */
export async function storeFeatureBatch(
  c: Context<AppEnv>,
  owner: { kind: "run" | "reference"; id: string },
  dim: number,
  space: string | null,
): Promise<BatchReceipt> {
  const deps = c.get("deps");
  const key = idempotencyKey(c);
  const body = await readUploadBody(c, BATCH_TYPES);
  const prior = await priorReceipt(deps.db, owner, key, body.sha256);
  if (prior) return prior;
  const upload = await parseUploadBody(c, body, key);
  const sha256 = body.sha256;
  const features = await uploadFeatures(deps, upload, space, dim);
  const receipt = await storeFeatureUpload(deps, owner, { key, sha256, features });
  if (upload.kind === "images" && owner.kind === "run" && !receipt.replay) {
    // Best effort: a failed thumbnail must not fail a batch that is already stored.
    await storeUploadGrid(deps.db, owner.id, receipt.batch, upload.images)
      .catch((e) => deps.log(`gallery grid for run ${owner.id} failed: ${describeError(e)}`));
  }
  return receipt;
}
