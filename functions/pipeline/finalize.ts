/**
 * Finalizing a run: close it to new batches, fold everything, compute the exact final metrics (FID, and KID
 * when both sides kept their features), store and announce them. Safe to repeat and to run in several processes.
 */
import { ownerFeatures, type StoredFeatures } from "../../db/store/batches.ts";
import { insertMetrics } from "../../db/store/metrics.ts";
import { findReference } from "../../db/store/references.ts";
import { beginFinalize, completeFinalize } from "../../db/store/runs.ts";
import type { Db } from "../../db/database.ts";
import { NotFoundError } from "../../src/errors.ts";
import { concatFeatures } from "../../src/tensors/feature_bytes.ts";
import type { Deps } from "../deps.ts";
import { diversityOptions } from "./diversity_options.ts";
import { kidOptions } from "./kid_options.ts";
import { evaluateRun } from "./run_metrics.ts";

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
  final.reference = { id: run.referenceId, n: ref?.n ?? 0 };
  const kid = kidOptions(run.config);
  const diversity = diversityOptions(run.config);
  if (run.retainFeatures && (kid || diversity)) {
    const x = concatFeatures(await collect(deps.db, run.id), run.dim);
    if (diversity && x.n >= 2) {
      final.mean_pairwise_distance = await deps.compute.meanPairwiseDistance(
        x.data,
        x.n,
        run.dim,
        diversity.maxSamples,
      );
    }
    if (ref?.source === "features") {
      const y = concatFeatures(await collect(deps.db, ref.id), run.dim);
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
    deps.owners.fold(run.id, run.dim, { retainFeatures: true, force: true })
      .catch((e) => deps.log(`compacting finalized run ${run.id} failed (its batches stay unfolded): ${e}`));
  }
  return final;
}

async function collect(db: Db, ownerId: string): Promise<StoredFeatures[]> {
  const parts: StoredFeatures[] = [];
  for await (const p of ownerFeatures(db, ownerId)) parts.push(p);
  return parts;
}
