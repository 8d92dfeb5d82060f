/** Shared handling of reconstruction / latent uploads: an .npz body, idempotent, reduced to float64 sums. */
import type { Context } from "hono";
import {
  appendSampleSums,
  listSampleSums,
  type SumsKind,
  type SumsReceipt,
} from "../db/store/sample_sums.ts";
import { PayloadTooLargeError, UnprocessableError } from "../src/errors.ts";
import { npzDeclaredBytes } from "../src/tensors/npz.ts";
import { idempotencyKey, readBinaryBody, sha256Hex } from "./body.ts";
import type { AppEnv } from "./env.ts";
import { requireRun } from "./owned.ts";

const NPZ_TYPES = [
  "application/zip",
  "application/x-npz",
  "application/octet-stream",
  "application/x-zip-compressed",
];

/**
 * Reads the run's .npz upload, reduces it to its sums on the compute worker (within the decode budget: inflated
 * arrays and their float64 arithmetic take several times the declared bytes), checks it matches the run's earlier
 * uploads of this kind (`width` = pixels or latent dim), stores the sums and pokes the metrics job.
 */
export async function storeSumsUpload(c: Context<AppEnv>, kind: SumsKind): Promise<SumsReceipt> {
  const deps = c.get("deps");
  const run = await requireRun(c);
  const key = idempotencyKey(c);
  const body = await readBinaryBody(c, NPZ_TYPES);
  const bodySha256 = await sha256Hex(body);
  const declared = npzDeclaredBytes(body);
  if (declared > deps.config.maxBodyBytes) {
    throw new PayloadTooLargeError(
      "npz_too_large",
      `npz members declare ${declared} uncompressed bytes; at most ${deps.config.maxBodyBytes} are accepted`,
    );
  }
  const release = await deps.decodeBudget.acquire(2 * declared);
  let reduced;
  try {
    reduced = await deps.compute.reduceSumsFile(kind, body, deps.config.maxBodyBytes);
  } finally {
    release();
  }
  const [prior] = await listSampleSums(deps.db, run.id, kind);
  const priorWidth = prior && (kind === "latents" ? prior.dim : prior.pixels);
  if (priorWidth !== undefined && priorWidth !== reduced.width) {
    throw new UnprocessableError(
      "shape_mismatch",
      `this run's earlier ${kind} have ${priorWidth} ${reduced.widthName} per sample; this upload has ${reduced.width}`,
    );
  }
  const receipt = await appendSampleSums(deps.db, {
    runId: run.id,
    kind,
    idempotencyKey: key,
    bodySha256,
    n: reduced.n,
    sums: reduced.sums,
  });
  deps.scheduler.poke(run.id);
  return receipt;
}
