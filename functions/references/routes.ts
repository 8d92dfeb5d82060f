/** /v1/references: register real-data statistics (a stats .npz or feature batches) and read them back. */
import { Hono } from "hono";
import { findReference, insertReference, listReferences } from "../../db/store/references.ts";
import { InvalidInputError } from "../../src/errors.ts";
import { packSymmetric } from "../../src/stats/packed_symmetric.ts";
import { readStatsArrays } from "../../src/stats/stats_file.ts";
import { parseNpz } from "../../src/tensors/npz.ts";
import { idempotencyKey, limitBody, readBinaryBody } from "../body.ts";
import type { AppEnv } from "../env.ts";
import {
  BATCH_TYPES,
  digestUploadBody,
  parseUploadBody,
  storeFeatureBatch,
  storeFeatureUpload,
  uploadFeatures,
} from "../features_upload.ts";
import { parseFeatureSpace } from "../pipeline/feature_service.ts";
import { referenceView } from "../views.ts";
import { requireName } from "../names.ts";
import { requireReference } from "../owned.ts";

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const REFERENCE_TYPES = [
  ...BATCH_TYPES,
  "application/zip",
  "application/x-npz",
  "application/x-zip-compressed",
];

/** `?n=` of a stats upload: how many samples made mu and sigma (a stats .npz does not say); 0 = unknown. */
function statsSampleCount(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 2) {
    throw new InvalidInputError(
      "bad_n",
      `n must be the number of samples behind the statistics (>= 2), got "${raw}"`,
    );
  }
  return n;
}

/** Routes under /v1/references. */
export const references = new Hono<AppEnv>();

references.post("/v1/references", limitBody(), async (c) => {
  const deps = c.get("deps");
  const name = requireName(c.req.query("name"), "query parameter name");
  const named = c.req.query("features");
  if (named !== undefined) parseFeatureSpace(named);
  const body = await readBinaryBody(c, REFERENCE_TYPES);
  const id = crypto.randomUUID();
  if (ZIP_MAGIC.every((b, i) => body[i] === b)) {
    // Inflate no more than a body may hold: a small deflated body can declare gigabytes (a zip bomb).
    const stats = readStatsArrays(parseNpz(body, { maxUncompressedBytes: deps.config.maxBodyBytes }));
    const n = statsSampleCount(c.req.query("n"));
    const ref = await insertReference(deps.db, {
      id,
      projectId: c.get("principal").projectId,
      name,
      dim: stats.dim,
      source: "stats",
      featureSpace: named ?? null,
      n,
      mu: new Uint8Array(stats.mu.buffer),
      sigma: new Uint8Array(packSymmetric(stats.sigma, stats.dim).buffer),
    });
    return c.json(referenceView(ref), 201);
  }
  const multipart = (c.req.header("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");
  if (body[0] !== 0x93 && !multipart) {
    throw new InvalidInputError(
      "unknown_reference_format",
      "a reference body must be a statistics .npz (mu, sigma), an N x D features .npy, or images " +
        "(an .npy image array or multipart PNG/JPEG)",
    );
  }
  const key = idempotencyKey(c);
  const digest = await digestUploadBody(c, body);
  const sha256 = digest.sha256;
  const upload = await parseUploadBody(c, body, key, digest);
  // Images name their space (the default one unless ?features= says otherwise); features only when told.
  const space = named ?? (upload.kind === "images" ? deps.config.defaultFeatureSpace : null);
  const features = await uploadFeatures(deps, upload, space);
  await insertReference(deps.db, {
    id,
    projectId: c.get("principal").projectId,
    name,
    dim: features.dim,
    source: "features",
    featureSpace: space,
  });
  const receipt = await storeFeatureUpload(deps, { kind: "reference", id }, { key, sha256, features });
  const ref = (await findReference(deps.db, id))!;
  return c.json({ ...referenceView(ref), n: receipt.n }, 201);
});

references.post("/v1/references/:id/batches", limitBody(), async (c) => {
  const ref = await requireReference(c);
  const receipt = await storeFeatureBatch(c, { kind: "reference", id: ref.id }, ref.dim, ref.featureSpace);
  return c.json({ batch: receipt.batch, n: receipt.n, replayed: receipt.replay });
});

references.get("/v1/references", async (c) => {
  const rows = await listReferences(c.get("deps").db, c.get("principal").projectId);
  return c.json({ references: rows.map(referenceView) });
});

references.get("/v1/references/:id", async (c) => {
  return c.json(referenceView(await requireReference(c)));
});
