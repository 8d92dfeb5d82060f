/** Reading the CLI's input files: feature matrices (.npy) and Gaussian statistics (.npy features or .npz). */

import { UnprocessableError } from "../src/errors.ts";
import { batchMoments, momentsCovariance, momentsMean } from "../src/stats/moments.ts";
import { type GaussianStats, readStatsArrays } from "../src/stats/stats_file.ts";
import { type FeatureMatrix, featureMatrix } from "../src/tensors/feature_matrix.ts";
import { parseNpy } from "../src/tensors/npy.ts";
import { parseNpz } from "../src/tensors/npz.ts";
import type { CliNative } from "./native.ts";

/** Read a file, naming it when it cannot be read. */
export async function readInput(path: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Whether the bytes look like a zip (.npz) rather than a .npy, by their first bytes, not the file name. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b;
}

/** An N x D feature matrix from a .npy file. */
export async function readFeatures(path: string): Promise<FeatureMatrix> {
  return parseFeatures(path, await readInput(path));
}

/** An N x D feature matrix from the bytes of the .npy file at `path` (named in errors). */
export function parseFeatures(path: string, bytes: Uint8Array): FeatureMatrix {
  if (isZip(bytes)) {
    throw new UnprocessableError(
      "features_not_npy",
      `${path} is an .npz archive; this command needs features as an N x D .npy`,
    );
  }
  return withPath(path, () => featureMatrix(parseNpy(bytes)));
}

/** Mean and covariance (ddof 1) of a feature matrix. */
export function featureStats(f: FeatureMatrix, native: CliNative): GaussianStats {
  const m = native.onAllCores(() => batchMoments(f.data, f.n, f.dim, native.comoment));
  return { dim: f.dim, mu: momentsMean(m), sigma: momentsCovariance(m) };
}

/** Gaussian statistics from features (.npy, N x D) or a stats file (.npz with mu and sigma). */
export async function readStats(path: string, native: CliNative): Promise<GaussianStats> {
  const bytes = await readInput(path);
  if (isZip(bytes)) return withPath(path, () => readStatsArrays(parseNpz(bytes)));
  const features = withPath(path, () => featureMatrix(parseNpy(bytes)));
  return withPath(path, () => featureStats(features, native));
}

/** Run `fn`, prefixing the message of any error with the file it concerns. */
function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error) e.message = `${path}: ${e.message}`;
    throw e;
  }
}
