/**
 * Creating a reference from an upload: a statistics .npz (mu, sigma) decoded on the compute worker within the
 * decode budget, or a first batch of features or images whose space sets the reference's.
 */
import type { BatchReceipt } from "../../db/store/batches.ts";
import {
  findReference,
  insertReference,
  MAX_REFERENCE_DIM,
  type ReferenceRow,
} from "../../db/store/references.ts";
import { UnprocessableError } from "../../src/errors.ts";
import type { PackedStats } from "../../src/stats/stats_file.ts";
import type { Engine } from "../engine.ts";
import { npzSizeWithin } from "./npz_size.ts";
import { requireSpaceDim, resolveFeatureSpace } from "../feature_spaces.ts";
import { storeFeatureUpload, type UploadBody, uploadFeatures, type UploadIdentity } from "./feature_batch.ts";

/** Who creates the reference, what it is called, and the space it names (`?features=`), if any. */
export interface NewReference {
  id: string;
  projectId: string;
  name: string;
  space: string | null;
}

/** A new reference's named space, checked before its body is read (422 for an unknown name). */
export function checkReferenceSpace(space: string | null): void {
  if (space !== null) resolveFeatureSpace(space);
}

/**
 * A reference from a statistics .npz; `n` is the number of samples behind it (0: unknown, a stats file does
 * not say).
 */
export async function createStatsReference(
  engine: Engine,
  ref: NewReference,
  n: number,
  npz: Uint8Array,
): Promise<ReferenceRow> {
  return await withStatsUpload(engine, npz, (stats) => {
    requireSpaceDim(ref.space, stats.dim, "the statistics");
    return insertReference(engine.db, {
      id: ref.id,
      projectId: ref.projectId,
      name: ref.name,
      dim: stats.dim,
      source: "stats",
      featureSpace: ref.space,
      n,
      mu: new Uint8Array(stats.mu.buffer),
      sigma: new Uint8Array(stats.sigmaPacked.buffer),
    });
  });
}

/**
 * A reference from its first batch: images name their space (the default one unless the request names
 * another), features only when the request names one.
 */
export async function createFeatureReference(
  engine: Engine,
  ref: NewReference,
  id: UploadIdentity,
  upload: UploadBody,
): Promise<{ reference: ReferenceRow; receipt: BatchReceipt }> {
  const space = ref.space ?? (upload.kind === "images" ? engine.config.defaultFeatureSpace : null);
  const features = await uploadFeatures(engine, upload, space);
  await insertReference(engine.db, {
    id: ref.id,
    projectId: ref.projectId,
    name: ref.name,
    dim: features.dim,
    source: "features",
    featureSpace: space,
  });
  const receipt = await storeFeatureUpload(engine, { kind: "reference", id: ref.id }, { ...id, features });
  return { reference: (await findReference(engine.db, ref.id))!, receipt };
}

/**
 * Calls `use` with a statistics .npz read on the compute worker, within the decode budget: a 128 KiB deflated
 * file can inflate to a 64 MiB sigma and take four times that while it is converted and stored, so concurrent
 * uploads take turns. Inflating stops at what a body may hold (a zip bomb declares gigabytes).
 */
async function withStatsUpload<T>(
  engine: Engine,
  body: Uint8Array,
  use: (stats: PackedStats) => Promise<T>,
): Promise<T> {
  const max = engine.config.maxBodyBytes;
  const declared = npzSizeWithin(body, max);
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
  const release = await engine.decodeBudget.acquire(4 * declared);
  try {
    return await use(await engine.compute.readStatsFile(body, max));
  } finally {
    release();
  }
}
