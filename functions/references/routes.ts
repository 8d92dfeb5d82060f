/** /v1/references: register real-data statistics (a stats .npz or feature batches) and read them back. */
import { Hono } from "hono";
import { listReferences } from "../../db/store/references.ts";
import { InvalidInputError } from "../../src/errors.ts";
import { ingestReferenceBatch } from "../../engine/ingest/feature_batch.ts";
import {
  checkReferenceSpace,
  createFeatureReference,
  createStatsReference,
} from "../../engine/ingest/reference_upload.ts";
import { idempotencyKey } from "../body.ts";
import type { AppEnv } from "../env.ts";
import { BATCH_TYPES, parseUploadBody, readBatch, readUploadBody } from "../batch_body.ts";
import { referenceView } from "../views.ts";
import { requireName } from "../names.ts";
import { pageOf, pageRequest } from "../paging.ts";
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

references.post("/v1/references", async (c) => {
  const deps = c.get("deps");
  const name = requireName(c.req.query("name"), "query parameter name");
  const space = c.req.query("features") ?? null;
  checkReferenceSpace(space);
  const key = idempotencyKey(c);
  const body = await readUploadBody(c, REFERENCE_TYPES);
  const ref = { id: crypto.randomUUID(), projectId: c.get("principal").projectId, name, space };
  const bytes = body.bytes;
  if (bytes && ZIP_MAGIC.every((b, i) => bytes[i] === b)) {
    const n = statsSampleCount(c.req.query("n"));
    return c.json(referenceView(await createStatsReference(deps, ref, n, bytes)), 201);
  }
  if (bytes && bytes[0] !== 0x93) {
    throw new InvalidInputError(
      "unknown_reference_format",
      "a reference body must be a statistics .npz (mu, sigma), an N x D features .npy, or images " +
        "(an .npy image array or multipart PNG/JPEG)",
    );
  }
  const upload = await parseUploadBody(c, body);
  const { reference, receipt } = await createFeatureReference(
    deps,
    ref,
    { key, sha256: body.sha256 },
    upload,
  );
  return c.json({ ...referenceView(reference), n: receipt.n }, 201);
});

references.post("/v1/references/:id/batches", async (c) => {
  const ref = await requireReference(c);
  const { id, parse } = await readBatch(c);
  const receipt = await ingestReferenceBatch(c.get("deps"), ref, id, parse);
  return c.json({ batch: receipt.batch, n: receipt.n, replayed: receipt.replay });
});

references.get("/v1/references", async (c) => {
  const page = pageRequest(c);
  const rows = await listReferences(c.get("deps").db, c.get("principal").projectId, page);
  const { rows: listed, nextCursor } = pageOf(rows, page.limit);
  return c.json({ references: listed.map(referenceView), next_cursor: nextCursor });
});

references.get("/v1/references/:id", async (c) => {
  const ref = await requireReference(c);
  // The Vendi score of its samples (null for statistics uploads): eigenvalues of a D x D matrix, cached per n.
  const vendi = await c.get("deps").references.vendi(ref);
  return c.json({ ...referenceView(ref), vendi });
});
