/**
 * Finalizing a run: close it to new batches, fold everything, compute the exact final metrics (FID, the Vendi
 * score, and KID, PRDC, the mean pairwise distance and, in a CLIP space, CMMD when the features were kept),
 * store and announce them, reporting each phase as it begins (finalize_progress.ts). FID-infinity follows
 * after the answer (fid_infinity_job.ts: the final lists it in `pending` until then). Safe to repeat and to
 * run in several processes.
 */
import { ownerFeatures } from "../../db/store/batches.ts";
import { insertMetrics, notifyRunProgress } from "../../db/store/metrics.ts";
import { findReference } from "../../db/store/references.ts";
import { beginFinalize, completeFinalize } from "../../db/store/runs.ts";
import { NotFoundError } from "../../src/errors.ts";
import type { SampleMetricsRequest } from "../../src/stats/sample_metrics.ts";
import { gatherRows } from "../../src/tensors/row_sample.ts";
import type { Engine } from "../engine.ts";
import { referenceSampleCount } from "./reference_stats.ts";
import { diversityOptions } from "./diversity_options.ts";
import { describeError } from "../../src/describe_error.ts";
import { ProgressReporter } from "./finalize_progress.ts";
import { kidOptions } from "./kid_options.ts";
import { cmmdOptions } from "./cmmd_options.ts";
import { FID_INFINITY, fidInfinityApplies, startFidInfinity } from "./fid_infinity_job.ts";
import { declaredSpace } from "../../src/features/declared_spaces.ts";
import { evaluateRun } from "./run_metrics.ts";

/**
 * Rows per side that KID and PRDC see at most: every row up to 50,000 (the usual FID sample size, so the common
 * case is exactly torch-fidelity's), a seeded uniform sample above it, so finalize memory stays bounded.
 */
const ROWS = { maxRows: 50_000, seed: 2020 };

/** Finalizes the run (idempotent) and returns its final metrics. */
export async function finalizeRun(deps: Engine, runId: string): Promise<Record<string, unknown>> {
  const progress = new ProgressReporter(
    (p) => notifyRunProgress(deps.db, runId, { ...p }),
    () => deps.clock().getTime(),
    deps.log,
  );
  const started = deps.clock().getTime();
  const run = await beginFinalize(deps.db, runId);
  if (!run) throw new NotFoundError("run_not_found", `run ${runId} does not exist`);
  if (run.status === "finalized" && run.final) {
    // FID-infinity still pending: the process that owed it may be gone (the lease keeps it to one job).
    if (Array.isArray(run.final.pending) && run.final.pending.includes(FID_INFINITY)) {
      startFidInfinity(deps, run.id);
    }
    return run.final;
  }
  // Closing waits for batches still committing (and, on PGlite, for whatever else holds the connection).
  progress.phase("closing", started);
  progress.phase("statistics");
  // No batch can commit any more (beginFinalize waited for in-flight ones), so this sees all of them.
  // A statistics-only run drops its features in that fold, before it is final; a run that keeps them is folded
  // after the answer: its batches are durable already, and a 16 MB checkpoint takes seconds to write on PGlite.
  const stats = run.retainFeatures
    ? await deps.owners.current(run.id, run.dim)
    : await deps.owners.fold(run.id, run.dim, { retainFeatures: false, force: true });
  if (stats.moments.n !== run.n) {
    throw new Error(`run ${run.id}: folded ${stats.moments.n} samples but ${run.n} were accepted`);
  }
  progress.phase("fid");
  const final: Record<string, unknown> =
    (await evaluateRun(deps, run, stats, (phase) => progress.phase(phase))).values;
  const ref = await findReference(deps.db, run.referenceId);
  final.reference = { id: run.referenceId, n: ref ? referenceSampleCount(ref) : null };
  if (ref?.source === "features") {
    if (final.vendi === undefined) progress.phase("vendi");
    const vendi = await deps.references.vendi(ref);
    if (vendi !== null) (final.reference as Record<string, unknown>).vendi = vendi;
  }
  const kid = kidOptions(run.config);
  const diversity = diversityOptions(run.config);
  // CMMD only where the reference holds CLIP embeddings (a declared space that says so).
  const cmmd = ref?.source === "features" && declaredSpace(ref.featureSpace ?? "")?.cmmd
    ? cmmdOptions(run.config)
    : null;
  if (run.retainFeatures && (kid || diversity || cmmd)) {
    progress.phase("reading features");
    // Both sides at once: with PostgreSQL the server reads one side while this process decodes the other.
    const [x, y] = await Promise.all([
      gatherRows(ownerFeatures(deps.db, run.id), run.n, run.dim, ROWS),
      ref?.source === "features" ? gatherRows(ownerFeatures(deps.db, ref.id), ref.n, run.dim, ROWS) : null,
    ]);
    const req: SampleMetricsRequest = { x: x.data, nx: x.n, dim: run.dim };
    if (diversity && x.n >= 2) req.pairwise = { maxSamples: diversity.maxSamples };
    if (y) {
      req.y = y.data;
      req.ny = y.n;
      if (kid && x.n >= 2 && y.n >= 2) req.kid = kid;
      if (diversity && x.n > diversity.k && y.n > diversity.k) req.prdc = diversity;
      if (cmmd && x.n >= 1 && y.n >= 1) req.cmmd = cmmd;
    }
    if (req.pairwise || req.kid || req.prdc || req.cmmd) {
      const r = await deps.compute.sampleMetrics(req, (phase) => progress.phase(phase));
      if (r.meanPairwiseDistance !== undefined) final.mean_pairwise_distance = r.meanPairwiseDistance;
      if (r.kid) {
        final.kid = {
          mean: r.kid.mean,
          std: r.kid.std,
          subsets: r.kid.subsets,
          subset_size: r.kid.subsetSize,
        };
      }
      if (r.prdc) {
        final.prdc = {
          precision: r.prdc.precision,
          recall: r.prdc.recall,
          density: r.prdc.density,
          coverage: r.prdc.coverage,
          k: r.prdc.k,
          real_samples: r.prdc.realSamples,
          fake_samples: r.prdc.fakeSamples,
        };
      }
      if (r.cmmd) final.cmmd = r.cmmd.value;
    }
  }
  const later = fidInfinityApplies(run);
  if (later) final.pending = [FID_INFINITY];
  progress.phase("storing");
  await progress.settled(); // every progress event out before the run turns final
  final.at = deps.clock().toISOString();
  await completeFinalize(deps.db, run.id, final);
  await insertMetrics(deps.db, run.id, "final", final as Record<string, unknown> & { n: number });
  const compact = () => deps.owners.fold(run.id, run.dim, { retainFeatures: true, force: true });
  const logCompaction = (e: unknown) =>
    deps.log(`compacting finalized run ${run.id} failed (its batches stay unfolded): ${describeError(e)}`);
  // FID-infinity first: on PGlite the checkpoint's write holds the database for seconds, and nobody waits for
  // the compaction of a finalized run.
  if (later) startFidInfinity(deps, run.id, progress, () => compact().catch(logCompaction));
  else if (run.retainFeatures) deps.background.start(compact, logCompaction);
  return final;
}
