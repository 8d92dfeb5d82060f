/**
 * The running statistics kept per run and reference: the float64 moments of the features (FID) and of the same
 * rows scaled to unit length (the Vendi score, src/stats/vendi.ts). Both merge by Chan et al.'s update, batch
 * by batch, so one stored pair covers every folded batch.
 */
import type { LinalgBackend } from "./linalg_wasm.ts";
import {
  batchMoments,
  cloneMoments,
  emptyMoments,
  mergeMomentsInto,
  type Moments,
  type PackedComoment,
} from "./moments.ts";
import { batchUnitMoments } from "./vendi.ts";

/** An owner's statistics; `unit` is null when unknown (folded by a version that did not keep it). */
export interface FeatureStatistics {
  moments: Moments;
  unit: Moments | null;
}

/** The statistics of one row-major n x dim batch (the same co-moment kernel for both). */
export function batchStatistics(
  data: Float32Array | Float64Array,
  n: number,
  dim: number,
  backend: LinalgBackend | PackedComoment = "auto",
): FeatureStatistics {
  return { moments: batchMoments(data, n, dim, backend), unit: batchUnitMoments(data, n, dim, backend) };
}

/** The statistics of no rows. */
export function emptyStatistics(dim: number): FeatureStatistics {
  return { moments: emptyMoments(dim), unit: emptyMoments(dim) };
}

/** A deep copy. */
export function cloneStatistics(s: FeatureStatistics): FeatureStatistics {
  return { moments: cloneMoments(s.moments), unit: s.unit && cloneMoments(s.unit) };
}

/** Folds `b` into `target` in place; an unknown unit side on either makes the result's unknown. */
export function mergeStatisticsInto(target: FeatureStatistics, b: FeatureStatistics): void {
  mergeMomentsInto(target.moments, b.moments);
  if (target.unit && b.unit) mergeMomentsInto(target.unit, b.unit);
  else target.unit = null;
}
