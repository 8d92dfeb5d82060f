/** Splitting a feature matrix into .npy chunks of at most a given number of rows. */

import type { FeatureMatrix } from "../src/tensors/feature_matrix.ts";
import { encodeNpy } from "../src/tensors/npy.ts";

/** One chunk: its index, rows and the .npy bytes to send. */
export interface RowChunk {
  index: number;
  rows: number;
  npy: Uint8Array<ArrayBuffer>;
}

/** Number of chunks `n` rows split into at `maxRows` rows each. */
export function chunkCount(n: number, maxRows: number): number {
  return Math.ceil(n / maxRows);
}

/** The chunks of `f`, in order, each encoded as .npy with the matrix's own dtype. */
export function* rowChunks(f: FeatureMatrix, maxRows: number): Generator<RowChunk> {
  const dtype = f.data instanceof Float64Array ? "float64" : "float32";
  for (let index = 0, start = 0; start < f.n; index++, start += maxRows) {
    const rows = Math.min(maxRows, f.n - start);
    const data = f.data.subarray(start * f.dim, (start + rows) * f.dim);
    yield { index, rows, npy: encodeNpy({ dtype, shape: [rows, f.dim], data }) };
  }
}
