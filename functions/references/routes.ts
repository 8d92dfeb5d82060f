/** /v1/references: register real-data statistics (a stats .npz or feature batches) and read them back. */
import { Hono } from "hono";
import {
  findReference,
  insertReference,
  listReferences,
  MAX_REFERENCE_DIM,
} from "../../db/store/references.ts";
import { InvalidInputError, PayloadTooLargeError, UnprocessableError } from "../../src/errors.ts";
import type { PackedStats } from "../../src/stats/stats_file.ts";
import { npzDeclaredBytes } from "../../src/tensors/npz.ts";
import type { Deps } from "../deps.ts";
import { idempotencyKey } from "../body.ts";
import type { AppEnv } from "../env.ts";
import {
  BATCH_TYPES,
  parseUploadBody,
  readUploadBody,
  storeFeatureBatch,
  storeFeatureUpload,
  uploadFeatures,
} from "../features_upload.ts";
import { resolveFeatureSpace } from "../pipeline/feature_service.ts";
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

/**
 * Calls `use` with a statistics .npz read on the compute worker, within the decode budget: a 128 KiB deflated
 * file can inflate to a 64 MiB sigma and take four times that while it is converted and stored, so concurrent
 * uploads take turns. Inflating stops at what a body may hold (a zip bomb declares gigabytes).
 */
async function withStatsUpload<T>(
  deps: Deps,
  body: Uint8Array,
  use: (stats: PackedStats) => Promise<T>,
): Promise<T> {
  const declared = npzDeclaredBytes(body);
  if (declared > deps.config.maxBodyBytes) {
    throw new PayloadTooLargeError(
      "npz_too_large",
      `npz members declare ${declared} uncompressed bytes; at most ${deps.config.maxBodyBytes} are accepted`,
    );
  }
  // mu and sigma of the widest accepted space in float64, plus room for the .npy headers.
  const widest = 8 * MAX_REFERENCE_DIM * (MAX_REFERENCE_DIM + 1) + 4096;
  if (declared > widest) {
    throw new UnprocessableError(
      "dim_too_large",
      `the statistics file declares ${declared} uncompressed bytes, more than mu and sigma of D = ` +
        `${MAX_REFERENCE_DIM} take in float64 (${widest}); at most D = ${MAX_REFERENCE_DIM} is accepted`,
    );
  }
  // Inflated members, sigma in float64, and its packed copy: about four times the declared bytes at most. The
  // budget is held until the decoded arrays are stored, so memory follows the budget, not the request count.
  const release = await deps.decodeBudget.acquire(4 * declared);
  try {
    return await use(await deps.compute.readStatsFile(body, deps.config.maxBodyBytes));
  } finally {
    release();
  }
}

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
  const named = c.req.query("features");
  const space = named === undefined ? null : resolveFeatureSpace(named);
  const key = idempotencyKey(c);
  const body = await readUploadBody(c, REFERENCE_TYPES);
  const id = crypto.randomUUID();
  const bytes = body.bytes;
  if (bytes && ZIP_MAGIC.every((b, i) => bytes[i] === b)) {
    const n = statsSampleCount(c.req.query("n"));
    const ref = await withStatsUpload(deps, bytes, (stats) => {
      const fixed = space?.declared?.dim;
      if (fixed && stats.dim !== fixed) {
        throw new UnprocessableError(
          "feature_dim_mismatch",
          `the statistics have D = ${stats.dim}, but feature space ${named} (${
            space!.declared!.embeddings
          }) ` +
            `has D = ${fixed}`,
        );
      }
      return insertReference(deps.db, {
        id,
        projectId: c.get("principal").projectId,
        name,
        dim: stats.dim,
        source: "stats",
        featureSpace: named ?? null,
        n,
        mu: new Uint8Array(stats.mu.buffer),
        sigma: new Uint8Array(stats.sigmaPacked.buffer),
      });
    });
    return c.json(referenceView(ref), 201);
  }
  if (bytes && bytes[0] !== 0x93) {
    throw new InvalidInputError(
      "unknown_reference_format",
      "a reference body must be a statistics .npz (mu, sigma), an N x D features .npy, or images " +
        "(an .npy image array or multipart PNG/JPEG)",
    );
  }
  const sha256 = body.sha256;
  const upload = await parseUploadBody(c, body, key);
  // Images name their space (the default one unless ?features= says otherwise); features only when told.
  const spaceName = named ?? (upload.kind === "images" ? deps.config.defaultFeatureSpace : null);
  const features = await uploadFeatures(deps, upload, spaceName);
  await insertReference(deps.db, {
    id,
    projectId: c.get("principal").projectId,
    name,
    dim: features.dim,
    source: "features",
    featureSpace: spaceName,
  });
  const receipt = await storeFeatureUpload(deps, { kind: "reference", id }, { key, sha256, features });
  const ref = (await findReference(deps.db, id))!;
  return c.json({ ...referenceView(ref), n: receipt.n }, 201);
});

references.post("/v1/references/:id/batches", async (c) => {
  const ref = await requireReference(c);
  const receipt = await storeFeatureBatch(c, { kind: "reference", id: ref.id }, ref.dim, ref.featureSpace);
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
