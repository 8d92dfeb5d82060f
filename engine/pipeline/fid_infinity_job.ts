/**
 * FID-infinity of a finalized run (src/stats/fid_infinity.ts), computed after finalize has answered: the main
 * final numbers are stored and announced first, with `"pending": ["fid_infinity"]`; this job reads the run's
 * stored features page by page, has the compute worker fold them into the 15 prefixes' moments and take 15
 * FIDs against the reference's one cached factor, then adds `fid_infinity` to the final metrics, stores a
 * `final` metrics row and NOTIFYs, so event streams send the completed `final`.
 *
 * One job per run across processes (a lease); a finalize repeated on a run whose final still lists it pending
 * (a process died meanwhile, or the job failed on something transient) starts it again.
 */
import { ownerFeatures } from "../../db/store/batches.ts";
import { insertMetrics } from "../../db/store/metrics.ts";
import { findReference } from "../../db/store/references.ts";
import { completePendingFinal, findRun, type RunRow } from "../../db/store/runs.ts";
import { UnprocessableError } from "../../src/errors.ts";
import {
  FID_INFINITY_MIN_SAMPLES,
  FID_INFINITY_POINTS,
  type FidInfinityResult,
  fitFidInfinity,
} from "../../src/stats/fid_infinity.ts";
import { featureChunks } from "../../src/tensors/feature_chunks.ts";
import type { Engine } from "../engine.ts";
import { describeError } from "../../src/describe_error.ts";
import { evaluateExclusively } from "./evaluation_lease.ts";
import type { ProgressReporter } from "./finalize_progress.ts";

/** The name of this work in a final's `pending` list and of its metric. */
export const FID_INFINITY = "fid_infinity";

/** Rows handed to the compute worker per call: big enough for long per-prefix co-moment products. */
const CHUNK_BYTES = 32 * 2 ** 20;

/** Whether the run wants FID-infinity (config.fid_infinity, default true); a 422 for anything but a boolean. */
export function fidInfinityEnabled(config: Record<string, unknown>): boolean {
  const v = config.fid_infinity ?? true;
  if (typeof v !== "boolean") {
    throw new UnprocessableError("bad_fid_infinity_config", "config.fid_infinity must be true or false");
  }
  return v;
}

/** Whether a run being finalized gets FID-infinity: wanted, features kept, at least 150 samples. */
export function fidInfinityApplies(run: RunRow): boolean {
  return fidInfinityEnabled(run.config) && run.retainFeatures && run.n >= FID_INFINITY_MIN_SAMPLES;
}

/** The background lane of FID-infinity jobs: one at a time per process, each holding 15 D x D co-moments. */
export const FID_INFINITY_LANE = "fid-infinity";

/**
 * Starts the run's pending FID-infinity in the background (after the answer, after this process's other
 * FID-infinity jobs), then `after` (the run's compaction); failures are logged.
 */
export function startFidInfinity(
  deps: Engine,
  runId: string,
  progress?: ProgressReporter,
  after?: () => Promise<unknown>,
): void {
  deps.background.startInTurn(
    FID_INFINITY_LANE,
    async () => {
      await completeFidInfinity(deps, runId, progress).catch((e) => logFidInfinityFailure(deps, runId, e));
      await after?.();
    },
    (e) => deps.log(`after FID-infinity of run ${runId}: ${describeError(e)}`),
  );
}

/** Logs a failed FID-infinity job: it stays pending, and a repeated finalize starts it again. */
function logFidInfinityFailure(deps: Engine, runId: string, e: unknown): void {
  deps.log(`FID-infinity of run ${runId} failed (a repeated finalize tries again): ${describeError(e)}`);
}

/**
 * Computes and stores the run's FID-infinity when its final metrics list it pending. A result the inputs do
 * not allow (an UnprocessableError) is stored as `fid_infinity: null` with `fid_infinity_note`.
 */
export async function completeFidInfinity(
  deps: Engine,
  runId: string,
  progress?: ProgressReporter,
): Promise<void> {
  // A holder id per job, so that a second job of this very process waits its turn too.
  await evaluateExclusively(deps.db, `fid-infinity:${runId}`, crypto.randomUUID(), async () => {
    const run = await findRun(deps.db, runId);
    const pending = run?.final?.pending;
    if (!run || !Array.isArray(pending) || !pending.includes(FID_INFINITY)) return;
    let values: Record<string, unknown>;
    try {
      const result = await computeFidInfinity(deps, run, progress);
      values = { [FID_INFINITY]: result };
    } catch (e) {
      if (!(e instanceof UnprocessableError)) throw e;
      values = { [FID_INFINITY]: null, [`${FID_INFINITY}_note`]: e.message };
    }
    progress?.phase("storing fid_infinity");
    await progress?.settled();
    const final = await completePendingFinal(
      deps.db,
      run.id,
      FID_INFINITY,
      values,
      deps.clock().toISOString(),
    );
    if (final) {
      await insertMetrics(deps.db, run.id, "final", final as Record<string, unknown> & { n: number });
    }
  });
}

/** FID-infinity of the run against its reference, from every stored row (in acceptance order). */
export async function computeFidInfinity(
  deps: Engine,
  run: RunRow,
  progress?: ProgressReporter,
): Promise<FidInfinityResult> {
  const ref = await findReference(deps.db, run.referenceId);
  if (!ref) throw new Error(`reference ${run.referenceId} of run ${run.id} vanished`);
  progress?.phase(FID_INFINITY);
  const factor = await deps.references.factor(ref);
  const session = crypto.randomUUID();
  await deps.compute.fidInfinityStart(session, run.n, run.dim);
  try {
    // One chunk in the worker while the next is read.
    let adding: Promise<void> = Promise.resolve();
    for await (const chunk of featureChunks(ownerFeatures(deps.db, run.id), CHUNK_BYTES)) {
      await adding;
      adding = deps.compute.fidInfinityAdd(session, chunk.features, chunk.dtype, chunk.n);
      adding.catch(() => {}); // awaited next round; a failed read meanwhile must not leave it unhandled
    }
    await adding;
    const points: [number, number][] = [];
    for (let k = 0; k < FID_INFINITY_POINTS; k++) {
      points.push(await deps.compute.fidInfinityNext(session, factor.key, factor.bytes));
    }
    return { ...fitFidInfinity(points), points };
  } finally {
    await deps.compute.fidInfinityEnd(session);
  }
}
