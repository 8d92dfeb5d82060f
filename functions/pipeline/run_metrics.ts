/** Partial metrics of a streaming run: computed in the background after batches arrive, stored, announced. */
import { insertMetrics } from "../../db/store/metrics.ts";
import { findReference } from "../../db/store/references.ts";
import { findRun, setLatestMetrics } from "../../db/store/runs.ts";
import { UnprocessableError } from "../../src/errors.ts";
import { momentsCovariance, momentsMean, type Moments } from "../../src/stats/moments.ts";
import type { Deps } from "../deps.ts";

/** Metrics of a run at n samples: what SSE `metrics` events carry. */
export interface RunMetrics extends Record<string, unknown> {
  n: number;
  fid: number | null;
  at: string;
  /** Set while n <= dim: the covariance is rank deficient and FID is inflated. */
  rank_deficient?: boolean;
  /** Why fid is null, when it is. */
  note?: string;
}

/** Folds (on the cadence) and evaluates a streaming run, storing and announcing new metrics. */
export async function updatePartialMetrics(deps: Deps, runId: string): Promise<void> {
  const run = await findRun(deps.db, runId);
  if (!run || run.status !== "streaming") return;
  const moments = await deps.owners.fold(run.id, run.dim, { retainFeatures: run.retainFeatures });
  if (moments.n === 0) return;
  const values = await fidMetrics(deps, run.referenceId, moments);
  if (await setLatestMetrics(deps.db, run.id, values)) await insertMetrics(deps.db, run.id, "partial", values);
}

/** FID of the given moments against the reference, with the notes a reader needs. */
export async function fidMetrics(deps: Deps, referenceId: string, moments: Moments): Promise<RunMetrics> {
  const values: RunMetrics = { n: moments.n, fid: null, at: deps.clock().toISOString() };
  if (moments.n <= moments.dim) values.rank_deficient = true;
  if (moments.n < 2) {
    values.note = "FID needs at least 2 samples";
    return values;
  }
  const ref = await findReference(deps.db, referenceId);
  if (!ref) throw new Error(`reference ${referenceId} of a run vanished`);
  try {
    const factor = await deps.references.factor(ref);
    values.fid = await deps.compute.fid(factor.key, factor.bytes, momentsMean(moments), momentsCovariance(moments));
  } catch (e) {
    if (!(e instanceof UnprocessableError)) throw e;
    values.note = e.message;
  }
  return values;
}
