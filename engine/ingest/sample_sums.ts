/**
 * Ingest of reconstruction / latent uploads: an .npz reduced to float64 sums on the compute worker, checked
 * against the run's earlier uploads of its kind, stored once per idempotency key.
 */
import {
  appendSampleSums,
  listSampleSums,
  type SumsKind,
  type SumsReceipt,
} from "../../db/store/sample_sums.ts";
import type { RunRow } from "../../db/store/runs.ts";
import { UnprocessableError } from "../../src/errors.ts";
import type { Engine } from "../engine.ts";
import { npzSizeWithin } from "./npz_size.ts";
import type { UploadIdentity } from "./feature_batch.ts";

/**
 * Reduces the run's .npz upload to its sums on the compute worker (within the decode budget: inflated arrays and
 * their float64 arithmetic take several times the declared bytes), checks it matches the run's earlier uploads
 * of this kind (`width` = pixels or latent dim), stores the sums and schedules the run's metrics.
 */
export async function ingestSampleSums(
  engine: Engine,
  run: RunRow,
  kind: SumsKind,
  id: UploadIdentity,
  npz: Uint8Array,
): Promise<SumsReceipt> {
  const max = engine.config.maxBodyBytes;
  const declared = npzSizeWithin(npz, max);
  const release = await engine.decodeBudget.acquire(2 * declared);
  let reduced;
  try {
    reduced = await engine.compute.reduceSumsFile(kind, npz, max);
  } finally {
    release();
  }
  const [prior] = await listSampleSums(engine.db, run.id, kind);
  const priorWidth = prior && (kind === "latents" ? prior.dim : prior.pixels);
  if (priorWidth !== undefined && priorWidth !== reduced.width) {
    throw new UnprocessableError(
      "shape_mismatch",
      `this run's earlier ${kind} have ${priorWidth} ${reduced.widthName} per sample; this upload has ${reduced.width}`,
    );
  }
  const receipt = await appendSampleSums(engine.db, {
    runId: run.id,
    kind,
    idempotencyKey: id.key,
    bodySha256: id.sha256,
    n: reduced.n,
    sums: reduced.sums,
  });
  engine.scheduler.poke(run.id);
  return receipt;
}
