/** Metrics of a run: computed in the background after uploads arrive (and at finalize), stored, announced. */
import { insertMetrics, notifyRunMetrics } from "../../db/store/metrics.ts";
import { findReference } from "../../db/store/references.ts";
import { completeLatestMetrics, findRun, type RunRow, setLatestMetrics } from "../../db/store/runs.ts";
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
  /** Metrics still being computed for this snapshot: a later one at the same n carries them. */
  pending?: string[];
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
  await announcePartial(deps, run, await deps.owners.current(run.id, run.dim));
  // Folded after the metrics are out: a checkpoint takes seconds to write on PGlite, and the partial FID of
  // the batches already merged in memory need not wait for it.
  await deps.owners.fold(run.id, run.dim, { retainFeatures: run.retainFeatures });
}

/**
 * The dimension from which a partial FID goes out before its Vendi score: on the compute Worker here the score's
 * D x D eigenvalues take 0.3-0.35 s at D = 2048 and 60-80 ms at 1,024 (15-55 ms at 512-768), a wait the FID
 * need not share; below, one snapshot.
 */
export const PENDING_VENDI_MIN_DIM = 1024;

/**
 * Stores and announces a run's partial metrics. From PENDING_VENDI_MIN_DIM on, in two steps: first the FID (and
 * the sample-sum metrics) with `pending: ["vendi"]`, then the complete snapshot with the Vendi score at the same
 * n, the one kept in the history.
 */
async function announcePartial(deps: Engine, run: RunRow, stats: FeatureStatistics): Promise<void> {
  const unit = stats.moments.n > 0 ? stats.unit : null;
  if (!unit || unit.n === 0 || run.dim < PENDING_VENDI_MIN_DIM) {
    const { values, progress } = await evaluateRun(deps, run, stats);
    if (progress > 0 && await setLatestMetrics(deps.db, run.id, values, progress)) {
      await insertMetrics(deps.db, run.id, "partial", values);
    }
    return;
  }
  const { values, progress } = await evaluateFid(deps, run, stats);
  if (!await setLatestMetrics(deps.db, run.id, { ...values, pending: ["vendi"] }, progress)) return;
  await notifyRunMetrics(deps.db, run.id);
  values.vendi = await deps.compute.vendi(unit);
  // The complete snapshot's `at` is its SSE event id, which must differ from the first's.
  values.at = laterIso(deps.clock(), values.at);
  if (await completeLatestMetrics(deps.db, run.id, values, progress)) {
    await insertMetrics(deps.db, run.id, "partial", values);
  }
}

/** `now` as an ISO time, or 1 ms after `earlier` when the clock has not moved past it. */
function laterIso(now: Date, earlier: string): string {
  const t = Math.max(now.getTime(), Date.parse(earlier) + 1);
  return new Date(t).toISOString();
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
  const result = await evaluateFid(deps, run, stats);
  if (stats.moments.n > 0) {
    onPhase?.("vendi");
    result.values.vendi = await vendiOf(deps, stats.unit);
  }
  return result;
}

/** Every metric of the run but the Vendi score: FID and the sample-sum metrics (reconstruction, KL). */
async function evaluateFid(deps: Engine, run: RunRow, stats: FeatureStatistics) {
  const { moments } = stats;
  const values = moments.n > 0 ? await fidMetrics(deps, run.referenceId, moments) : {
    n: 0,
    fid: null,
    at: deps.clock().toISOString(),
  } as RunMetrics;
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
