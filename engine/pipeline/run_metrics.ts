/** Metrics of a run: computed in the background after uploads arrive (and at finalize), stored, announced. */
import { insertMetrics } from "../../db/store/metrics.ts";
import { findReference } from "../../db/store/references.ts";
import { findRun, type RunRow, setLatestMetrics } from "../../db/store/runs.ts";
import { UnprocessableError } from "../../src/errors.ts";
import type { FeatureStatistics } from "../../src/stats/feature_statistics.ts";
import type { Moments } from "../../src/stats/moments.ts";
import type { Engine } from "../engine.ts";
import { evaluateExclusively, EVALUATION_LEASE_MS } from "./evaluation_lease.ts";
import type { JobOutcome } from "./scheduler.ts";
import { sampleSumsMetrics } from "./sample_sums_metrics.ts";

/** Metrics of a run at n feature samples: what SSE `metrics` events carry. */
export interface RunMetrics extends Record<string, unknown> {
  n: number;
  fid: number | null;
  at: string;
  /** The Vendi score of the samples (dgm-eval's linear kernel); null when unknown (see src/stats/vendi.ts). */
  vendi?: number | null;
  /** Set while n <= dim: the covariance is rank deficient and FID is inflated. */
  rank_deficient?: boolean;
  /** Why fid is null, when it is. */
  note?: string;
}

/**
 * Evaluates a streaming run, storing and announcing new metrics, then folds it (on the cadence). When another
 * process is evaluating the run, leaves it one more pass instead (evaluation_lease.ts) and checks back once
 * its lease could have lapsed, in case that process died.
 */
export async function updatePartialMetrics(deps: Engine, runId: string): Promise<JobOutcome> {
  const evaluated = await evaluateExclusively(
    deps.db,
    runId,
    deps.processId,
    () => evaluatePartial(deps, runId),
  );
  if (!evaluated) return { recheckAfterMs: EVALUATION_LEASE_MS };
}

async function evaluatePartial(deps: Engine, runId: string): Promise<void> {
  const run = await findRun(deps.db, runId);
  if (!run || run.status !== "streaming") return;
  const stats = await deps.owners.current(run.id, run.dim);
  const { values, progress } = await evaluateRun(deps, run, stats);
  if (progress > 0 && await setLatestMetrics(deps.db, run.id, values, progress)) {
    await insertMetrics(deps.db, run.id, "partial", values);
  }
  // Folded after the metrics are out: a checkpoint takes seconds to write on PGlite, and the partial FID of
  // the batches already merged in memory need not wait for it.
  await deps.owners.fold(run.id, run.dim, { retainFeatures: run.retainFeatures });
}

/**
 * Every metric of the run for the given statistics; progress = all samples behind them. `onPhase` hears when
 * the Vendi score begins (after FID), for finalize's progress.
 */
export async function evaluateRun(
  deps: Engine,
  run: RunRow,
  stats: FeatureStatistics,
  onPhase?: (phase: "vendi") => void,
) {
  const { moments, unit } = stats;
  const values = moments.n > 0 ? await fidMetrics(deps, run.referenceId, moments) : {
    n: 0,
    fid: null,
    at: deps.clock().toISOString(),
  } as RunMetrics;
  if (moments.n > 0) {
    onPhase?.("vendi");
    values.vendi = await vendiOf(deps, unit);
  }
  const { samples, ...sums } = await sampleSumsMetrics(deps.db, run.id);
  Object.assign(values, sums);
  return { values, progress: moments.n + samples };
}

/** The Vendi score of an owner's unit rows, or null when they are unknown (folded before they were kept). */
export async function vendiOf(deps: Engine, unit: Moments | null): Promise<number | null> {
  return unit && unit.n > 0 ? await deps.compute.vendi(unit) : null;
}

/** FID of the given moments against the reference, with the notes a reader needs. */
export async function fidMetrics(deps: Engine, referenceId: string, moments: Moments): Promise<RunMetrics> {
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
    values.fid = await deps.compute.fid(factor.key, factor.bytes, moments);
  } catch (e) {
    if (!(e instanceof UnprocessableError)) throw e;
    values.note = e.message;
  }
  return values;
}
