/** Shared handling of reconstruction / latent uploads: an .npz body, idempotent, reduced to float64 sums. */
import type { Context } from "hono";
import {
  appendSampleSums,
  listSampleSums,
  type SumsKind,
  type SumsReceipt,
} from "../db/store/sample_sums.ts";
import { UnprocessableError } from "../src/errors.ts";
import type { NdArray } from "../src/tensors/ndarray.ts";
import { parseNpz } from "../src/tensors/npz.ts";
import { idempotencyKey, readBinaryBody, sha256Hex } from "./body.ts";
import type { AppEnv } from "./env.ts";
import { requireRun } from "./owned.ts";

const NPZ_TYPES = [
  "application/zip",
  "application/x-npz",
  "application/octet-stream",
  "application/x-zip-compressed",
];

/** Named float arrays of one .npz upload, all with the same leading (sample) axis. */
export function requireFloatArrays(arrays: Map<string, NdArray>, names: string[]): NdArray[] {
  const out = names.map((name) => {
    const a = arrays.get(name);
    if (!a) {
      throw new UnprocessableError(
        "missing_array",
        `the .npz needs arrays ${names.map((n) => `"${n}"`).join(" and ")}; "${name}" is missing ` +
          `(found ${[...arrays.keys()].map((k) => `"${k}"`).join(", ") || "none"})`,
      );
    }
    if (a.dtype === "uint8") {
      throw new UnprocessableError(
        "bad_dtype",
        `"${name}" must be float32 or float64 (values in [0, 1]), not uint8`,
      );
    }
    if (a.shape.length < 2 || a.shape[0] < 1) {
      throw new UnprocessableError(
        "bad_shape",
        `"${name}" must have a sample axis and at least one more (N x ...); got shape (${
          a.shape.join(", ")
        })`,
      );
    }
    return a;
  });
  const shape = out[0].shape.join(",");
  if (out.some((a) => a.shape.join(",") !== shape)) {
    throw new UnprocessableError(
      "shape_mismatch",
      `${names.join(" and ")} must have the same shape; got ${
        out.map((a) => `(${a.shape.join(", ")})`).join(" and ")
      }`,
    );
  }
  return out;
}

/**
 * Reads the run's .npz upload, reduces it with `reduce` (which validates values), checks it matches the run's
 * earlier uploads of this kind (`width` = pixels or latent dim), stores the sums and pokes the metrics job.
 */
export async function storeSumsUpload(
  c: Context<AppEnv>,
  kind: SumsKind,
  reduce: (
    arrays: Map<string, NdArray>,
  ) => { n: number; width: number; widthName: string; sums: Record<string, unknown> },
): Promise<SumsReceipt> {
  const deps = c.get("deps");
  const run = await requireRun(c);
  const key = idempotencyKey(c);
  const body = await readBinaryBody(c, NPZ_TYPES);
  const reduced = reduce(parseNpz(body));
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
    bodySha256: await sha256Hex(body),
    n: reduced.n,
    sums: reduced.sums,
  });
  deps.scheduler.poke(run.id);
  return receipt;
}
