/** Reconstruction and latent uploads: an .npz body with what identifies it, handed to the engine. */
import type { Context } from "hono";
import type { SumsKind } from "../db/store/sample_sums.ts";
import type { UploadIdentity } from "../engine/ingest/feature_batch.ts";
import { ingestSampleSums } from "../engine/ingest/sample_sums.ts";
import { sha256Hex } from "../src/sha256_hex.ts";
import { idempotencyKey, readBinaryBody } from "./body.ts";
import type { AppEnv } from "./env.ts";
import { requireRun } from "./owned.ts";

const NPZ_TYPES = [
  "application/zip",
  "application/x-npz",
  "application/octet-stream",
  "application/x-zip-compressed",
];

/** The request's .npz and its identity (key and SHA-256). */
export async function readSumsBody(c: Context<AppEnv>): Promise<{ id: UploadIdentity; npz: Uint8Array }> {
  const key = idempotencyKey(c);
  const npz = await readBinaryBody(c, NPZ_TYPES);
  return { id: { key, sha256: await sha256Hex(npz) }, npz };
}

/** The handler of POST /v1/runs/:id/{kind}: the run's .npz upload, stored as sums exactly once per key. */
export function sumsUploadHandler(kind: SumsKind) {
  return async (c: Context<AppEnv>) => {
    const run = await requireRun(c);
    const { id, npz } = await readSumsBody(c);
    const receipt = await ingestSampleSums(c.get("deps"), run, kind, id, npz);
    return c.json({ upload: receipt.upload, n: receipt.n, replayed: receipt.replay });
  };
}
