/**
 * The feature space a run's numbers live in, as the dashboard labels and separates them: numbers of different
 * spaces (Inception, DINOv2, CLIP, ...) are never drawn on one axis. A run's space is its reference's; a
 * reference of features computed elsewhere without a name is an "unnamed" space of its dimension.
 */
import type { Reference } from "./api.ts";

/** A feature space: `key` tells spaces apart, `label` names it on a chart, `distance` its Frechet distance. */
export interface SpaceInfo {
  key: string;
  label: string;
  distance: string;
}

/** What spaceOf needs of a run. */
export interface SpacedRun {
  reference: string;
  dim: number;
}

/** The space of a run, given the references (those not loaded yet count as unnamed). */
export function spaceOf(run: SpacedRun, references: readonly Reference[] | null): SpaceInfo {
  const ref = references?.find((r) => r.id === run.reference);
  if (ref?.features) return { key: ref.features, label: ref.features, distance: ref.distance ?? "FID" };
  return {
    key: `unnamed:${run.dim}`,
    label: `unnamed space, D = ${run.dim}`,
    distance: ref?.distance ?? "FID",
  };
}

/** Runs grouped by space, in the order each space first appears. */
export function groupBySpace<R extends SpacedRun>(
  runs: readonly R[],
  references: readonly Reference[] | null,
): { space: SpaceInfo; runs: R[] }[] {
  const groups = new Map<string, { space: SpaceInfo; runs: R[] }>();
  for (const run of runs) {
    const space = spaceOf(run, references);
    let g = groups.get(space.key);
    if (!g) groups.set(space.key, g = { space, runs: [] });
    g.runs.push(run);
  }
  return [...groups.values()];
}
