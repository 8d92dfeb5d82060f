/**
 * Ingest of a feature batch: an upload's features (as sent, or extracted from its images in the owner's space)
 * checked against the owner's space and dimension, stored durably as one batch (idempotent per key), its
 * moments remembered for the next fold, and for a run's images a thumbnail grid.
 */
import { appendBatch, type BatchReceipt, priorReceipt } from "../../db/store/batches.ts";
import { findReference, type ReferenceRow } from "../../db/store/references.ts";
import type { RunRow } from "../../db/store/runs.ts";
import { UnprocessableError } from "../../src/errors.ts";
import { declaredSpace } from "../../src/features/declared_spaces.ts";
import type { ImageBatch } from "../../src/features/extractor.ts";
import { describeError } from "../../src/describe_error.ts";
import { featuresToBytes } from "../../src/tensors/feature_bytes.ts";
import { type FeatureMatrix, featureMatrix } from "../../src/tensors/feature_matrix.ts";
import type { Engine } from "../engine.ts";
import { imagesInDeclaredSpace, requireOwnerDim, requireSpaceDim } from "../feature_spaces.ts";
import { storeUploadGrid } from "./upload_gallery.ts";

/** A batch's owner. */
export type BatchOwner = { kind: "run" | "reference"; id: string };

/** What identifies an upload for idempotency: the client's key and the SHA-256 of what it sent. */
export interface UploadIdentity {
  key: string;
  sha256: string;
}

/** A read upload: features as they came, or images still to extract. */
export type UploadBody =
  | { kind: "features"; features: FeatureMatrix }
  | { kind: "images"; images: ImageBatch };

/** A validated feature upload, ready to store. */
export interface FeatureUpload extends UploadIdentity {
  features: FeatureMatrix;
}

/** Features of an upload: as uploaded, or extracted in `space`; checked against the space and the owner's D. */
export async function uploadFeatures(
  engine: Engine,
  upload: UploadBody,
  space: string | null,
  dim?: number,
): Promise<FeatureMatrix> {
  let features: FeatureMatrix;
  if (upload.kind === "features") {
    features = upload.features;
  } else {
    const declared = space ? declaredSpace(space) : null;
    if (declared) throw imagesInDeclaredSpace(declared);
    if (!space) {
      throw new UnprocessableError(
        "no_feature_space",
        "images need a feature space to be extracted in, and this reference has none (it was built from features " +
          "computed elsewhere); upload features, or create a reference from images with ?features=SPACE",
      );
    }
    const rows = await engine.features.extract(space, upload.images);
    features = featureMatrix({ dtype: "float32", shape: [rows.n, rows.dim], data: rows.data });
  }
  requireSpaceDim(space, features.dim);
  if (dim !== undefined) requireOwnerDim(features.dim, dim, space);
  return features;
}

/** Durably stores validated features as one batch of the owner (idempotent per key). */
export async function storeFeatureUpload(
  engine: Engine,
  owner: BatchOwner,
  upload: FeatureUpload,
): Promise<BatchReceipt> {
  const { dtype, bytes } = featuresToBytes(upload.features.data);
  const receipt = await appendBatch(engine.db, {
    owner,
    idempotencyKey: upload.key,
    bodySha256: upload.sha256,
    n: upload.features.n,
    dim: upload.features.dim,
    dtype,
    features: bytes,
  });
  if (!receipt.replay) engine.owners.remember(receipt.batch, bytes, dtype);
  return receipt;
}

/**
 * Stores a batch (features or images) for the owner of dimension `dim`, whose images are extracted in `space`.
 * A retry with a known key replays before `parse` runs: nothing is parsed or extracted twice.
 */
export async function ingestFeatureBatch(
  engine: Engine,
  owner: BatchOwner,
  target: { dim: number; space: string | null },
  id: UploadIdentity,
  parse: () => Promise<UploadBody>,
): Promise<BatchReceipt> {
  const prior = await priorReceipt(engine.db, owner, id.key, id.sha256);
  if (prior) return prior;
  const upload = await parse();
  const features = await uploadFeatures(engine, upload, target.space, target.dim);
  const receipt = await storeFeatureUpload(engine, owner, { ...id, features });
  if (upload.kind === "images" && owner.kind === "run" && !receipt.replay) {
    // Best effort: a failed thumbnail must not fail a batch that is already stored.
    await storeUploadGrid(engine.db, owner.id, receipt.batch, upload.images)
      .catch((e) => engine.log(`gallery grid for run ${owner.id} failed: ${describeError(e)}`));
  }
  return receipt;
}

/** Stores a batch of the run, in its reference's feature space, and schedules the run's partial metrics. */
export async function ingestRunBatch(
  engine: Engine,
  run: RunRow,
  id: UploadIdentity,
  parse: () => Promise<UploadBody>,
): Promise<BatchReceipt> {
  // The run's status is checked inside the batch's transaction: a retry of an accepted batch replays after finalize.
  const ref = await findReference(engine.db, run.referenceId);
  const owner = { kind: "run" as const, id: run.id };
  const target = { dim: run.dim, space: ref?.featureSpace ?? null };
  const receipt = await ingestFeatureBatch(engine, owner, target, id, parse);
  engine.scheduler.poke(run.id);
  return receipt;
}

/** Stores a batch of the reference, in its feature space. */
export function ingestReferenceBatch(
  engine: Engine,
  ref: ReferenceRow,
  id: UploadIdentity,
  parse: () => Promise<UploadBody>,
): Promise<BatchReceipt> {
  const target = { dim: ref.dim, space: ref.featureSpace ?? null };
  return ingestFeatureBatch(engine, { kind: "reference", id: ref.id }, target, id, parse);
}
