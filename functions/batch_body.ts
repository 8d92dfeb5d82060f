/**
 * Reading a batch from a request: features (an N x D .npy) or images (multipart PNG/JPEG, or an .npy image
 * array), with what identifies it for idempotency; the engine (engine/ingest/feature_batch.ts) stores it.
 */
import type { Context } from "hono";
import { imageBatchFromNdArray } from "../src/features/image_batch.ts";
import { sha256Hex } from "../src/sha256_hex.ts";
import { featureMatrix } from "../src/tensors/feature_matrix.ts";
import { parseNpy } from "../src/tensors/npy.ts";
import type { UploadBody, UploadIdentity } from "../engine/ingest/feature_batch.ts";
import { idempotencyKey, readBinaryBody, requestContentType } from "./body.ts";
import type { AppEnv } from "./env.ts";
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
export async function parseUploadBody(c: Context<AppEnv>, body: ReadBody): Promise<UploadBody> {
  if (body.files) {
    return { kind: "images", images: await decodeUploadedImages(body.files, c.get("deps").features) };
  }
  // The body is ours alone: its features need no copy.
  const array = parseNpy(body.bytes!, { shareBuffer: true });
  if (isImageArray(array)) return { kind: "images", images: imageBatchFromNdArray(array, layoutParam(c)) };
  return { kind: "features", features: featureMatrix(array) };
}

/** A batch read from a request: what identifies it, and its parse (skipped when the key replays). */
export interface RequestBatch {
  id: UploadIdentity;
  parse: () => Promise<UploadBody>;
}

/** Reads the request's batch (features or images) and its idempotency key; parsing waits for the engine. */
export async function readBatch(c: Context<AppEnv>): Promise<RequestBatch> {
  const key = idempotencyKey(c);
  const body = await readUploadBody(c, BATCH_TYPES);
  return { id: { key, sha256: body.sha256 }, parse: () => parseUploadBody(c, body) };
}
