/** Reconstruction loss and KL metrics of a run, from its stored per-upload float64 sums. */
import type { Db } from "../../db/database.ts";
import { listSampleSums } from "../../db/store/sample_sums.ts";
import { klMetrics, klSumsFromJson, mergeKl } from "../../src/stats/kl_divergence.ts";
import {
  mergeReconstruction,
  reconstructionMetrics,
  type ReconstructionSums,
} from "../../src/stats/reconstruction.ts";

/** recon_* and kl metrics (with recon_n, kl_n samples behind them) for whatever the run has uploaded. */
export async function sampleSumsMetrics(
  db: Db,
  runId: string,
): Promise<Record<string, unknown> & { samples: number }> {
  const out: Record<string, unknown> & { samples: number } = { samples: 0 };
  const recon = (await listSampleSums(db, runId, "reconstructions")) as unknown as ReconstructionSums[];
  if (recon.length > 0) {
    const total = recon.reduce((a, b) => mergeReconstruction(a, b));
    Object.assign(out, reconstructionMetrics(total), { recon_n: total.n });
    out.samples += total.n;
  }
  const latents = (await listSampleSums(db, runId, "latents")).map(klSumsFromJson);
  if (latents.length > 0) {
    const total = latents.reduce((a, b) => mergeKl(a, b));
    Object.assign(out, klMetrics(total), { kl_n: total.n });
    out.samples += total.n;
  }
  return out;
}
