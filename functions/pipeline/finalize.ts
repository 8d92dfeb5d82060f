/**
 * Finalizing a run: close it to new batches, fold everything, compute the exact final metrics (FID, and KID
 * when both sides kept their features), store and announce them. Safe to repeat and to run in several processes.
 */
import { ownerFeatures } from "../../db/store/batches.ts";
import { insertMetrics } from "../../db/store/metrics.ts";
import { findReference } from "../../db/store/references.ts";
import { beginFinalize, completeFinalize } from "../../db/store/runs.ts";
import { NotFoundError } from "../../src/errors.ts";
import { gatherRows } from "../../src/tensors/row_sample.ts";
import type { Deps } from "../deps.ts";
import { referenceSampleCount } from "../views.ts";
import { diversityOptions } from "./diversity_options.ts";
import { describeError } from "../error_log.ts";
import { kidOptions } from "./kid_options.ts";
import { evaluateRun } from "./run_metrics.ts";

/**
 * Rows per side that KID and PRDC see at most: every row up to 50,000 (the usual FID sample size, so the common
 * case is exactly torch-fidelity's), a seeded uniform sample above it, so finalize memory stays bounded.
 */
const ROWS = { maxRows: 50_000, seed: 2020 };

/** Finalizes the run (idempotent) and returns its final metrics. */
export async function finalizeRun(deps: Deps, runId: string): Promise<Record<string, unknown>> {
  const run = await beginFinalize(deps.db, runId);
  if (!run) throw new NotFoundError("run_not_found", `run ${runId} does not exist`);
  if (run.status === "finalized" && run.final) return run.final;
  // No batch can commit any more (beginFinalize waited for in-flight ones), so this sees all of them.
  // A statistics-only run drops its features in that fold, before it is final; a run that keeps them is folded
  // after the answer: its batches are durable already, and a 16 MB checkpoint takes seconds to write on PGlite.
  const moments = run.retainFeatures
    ? await deps.owners.current(run.id, run.dim)
    : await deps.owners.fold(run.id, run.dim, { retainFeatures: false, force: true });
  if (moments.n !== run.n) {
    throw new Error(`run ${run.id}: folded ${moments.n} samples but ${run.n} were accepted`);
  }
  const final: Record<string, unknown> = (await evaluateRun(deps, run, moments)).values;
  const ref = await findReference(deps.db, run.referenceId);
  final.reference = { id: run.referenceId, n: ref ? referenceSampleCount(ref) : null };
  const kid = kidOptions(run.config);
  const diversity = diversityOptions(run.config);
  if (run.retainFeatures && (kid || diversity)) {
    const x = await gatherRows(ownerFeatures(deps.db, run.id), run.n, run.dim, ROWS);
    if (diversity && x.n >= 2) {
      final.mean_pairwise_distance = await deps.compute.meanPairwiseDistance(
        x.data,
        x.n,
        run.dim,
        diversity.maxSamples,
      );
    }
    if (ref?.source === "features") {
      const y = await gatherRows(ownerFeatures(deps.db, ref.id), ref.n, run.dim, ROWS);
      if (kid && x.n >= 2 && y.n >= 2) {
        const r = await deps.compute.kid(x.data, x.n, y.data, y.n, run.dim, kid);
        final.kid = { mean: r.mean, std: r.std, subsets: r.subsets, subset_size: r.subsetSize };
      }
      if (diversity && x.n > diversity.k && y.n > diversity.k) {
        const r = await deps.compute.prdc(x.data, x.n, y.data, y.n, run.dim, diversity);
        final.prdc = {
          precision: r.precision,
          recall: r.recall,
          density: r.density,
          coverage: r.coverage,
          k: r.k,
          real_samples: r.realSamples,
          fake_samples: r.fakeSamples,
        };
      }
    }
  }
  final.at = deps.clock().toISOString();
  await completeFinalize(deps.db, run.id, final);
  await insertMetrics(deps.db, run.id, "final", final as Record<string, unknown> & { n: number });
  if (run.retainFeatures) {
    deps.background.start(
      () => deps.owners.fold(run.id, run.dim, { retainFeatures: true, force: true }),
      (e) =>
        deps.log(
          `compacting finalized run ${run.id} failed (its batches stay unfolded): ${describeError(e)}`,
        ),
    );
  }
  return final;
}
