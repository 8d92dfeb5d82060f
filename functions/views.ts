/** JSON shapes of stored rows, as the public API shows them. */
import type { RunRow } from "../db/store/runs.ts";
import { distanceName } from "../src/features/declared_spaces.ts";
import { referenceSampleCount } from "../engine/pipeline/reference_stats.ts";

/** A run as the API returns it. */
export function runView(run: RunRow) {
  return {
    id: run.id,
    name: run.name,
    reference: run.referenceId,
    dim: run.dim,
    tags: run.tags,
    config: run.config,
    status: run.status,
    n: run.n,
    retain_features: run.retainFeatures,
    latest: run.latest ?? null,
    final: run.final ?? null,
    created_at: run.createdAt.toISOString(),
    updated_at: run.updatedAt.toISOString(),
  };
}

/** A reference as the API returns it (no statistics blobs). */
export function referenceView(ref: {
  id: string;
  name: string;
  dim: number;
  source: string;
  featureSpace?: string | null;
  n: number;
  createdAt: Date;
  updatedAt: Date;
}) {
  return {
    id: ref.id,
    name: ref.name,
    dim: ref.dim,
    source: ref.source,
    features: ref.featureSpace ?? null,
    distance: distanceName(ref.featureSpace),
    n: referenceSampleCount(ref),
    created_at: ref.createdAt.toISOString(),
    updated_at: ref.updatedAt.toISOString(),
  };
}
