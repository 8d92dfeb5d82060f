/** Creating a run against a reference: in the reference's feature space and dimension, with a checked config. */
import type { ReferenceRow } from "../db/store/references.ts";
import { insertRun, type RunRow } from "../db/store/runs.ts";
import type { Engine } from "./engine.ts";
import { requireReferenceSpace } from "./feature_spaces.ts";
import type { RunConfig } from "./run_config.ts";

/** What a new run is: whose, its name and tags, its checked config, its reference and the space it names. */
export interface NewRun {
  projectId: string;
  name: string;
  tags: string[];
  settings: RunConfig;
  reference: ReferenceRow;
  /** The feature space the request names, if it names one (it must be the reference's). */
  features?: unknown;
}

/** Stores a new streaming run (422 when it names another space than its reference's). */
export async function createRun(engine: Engine, run: NewRun): Promise<RunRow> {
  requireReferenceSpace(run.reference.featureSpace, run.features);
  return await insertRun(engine.db, {
    id: crypto.randomUUID(),
    projectId: run.projectId,
    name: run.name,
    referenceId: run.reference.id,
    dim: run.reference.dim,
    tags: run.tags,
    config: run.settings.config,
    retainFeatures: run.settings.retainFeatures,
  });
}
