/**
 * Reconstruction and latent uploads (.npz files) reduced to the float64 sums a run stores: x and x_hat to
 * reconstruction sums, z_mean and z_log_var to KL sums. Runs on the compute worker: a 256 MiB upload is seconds
 * of arithmetic.
 */
import { UnprocessableError } from "../errors.ts";
import type { NdArray } from "../tensors/ndarray.ts";
import { parseNpz } from "../tensors/npz.ts";
import { klBatch, klSumsToJson } from "./kl_divergence.ts";
import { reconstructionBatch } from "./reconstruction.ts";

/** What a run stores per upload kind. */
export type SampleSumsKind = "reconstructions" | "latents";

/** One upload reduced: its sample count, its per-sample width (checked against earlier uploads), its sums. */
export interface ReducedSums {
  n: number;
  width: number;
  widthName: string;
  sums: Record<string, unknown>;
}

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

/** Reads an upload of `kind` (inflating at most maxUncompressedBytes) and reduces it to its sums. */
export function reduceSumsFile(
  kind: SampleSumsKind,
  bytes: Uint8Array,
  maxUncompressedBytes: number,
): ReducedSums {
  const arrays = parseNpz(bytes, { maxUncompressedBytes });
  if (kind === "reconstructions") {
    const [x, xHat] = requireFloatArrays(arrays, ["x", "x_hat"]);
    const n = x.shape[0], pixels = x.data.length / n;
    return {
      n,
      width: pixels,
      widthName: "values",
      sums: { ...reconstructionBatch(x.data, xHat.data, n, pixels) },
    };
  }
  const [mean, logVar] = requireFloatArrays(arrays, ["z_mean", "z_log_var"]);
  if (mean.shape.length !== 2) {
    throw new UnprocessableError(
      "bad_shape",
      `z_mean must be N x latent_dim; got shape (${mean.shape.join(", ")})`,
    );
  }
  const [n, dim] = mean.shape;
  return {
    n,
    width: dim,
    widthName: "latent dimensions",
    sums: klSumsToJson(klBatch(mean.data, logVar.data, n, dim)),
  };
}
