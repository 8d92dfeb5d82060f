/**
 * Gathering feature rows from a stream of stored batches into one matrix, keeping every row up to a cap and a
 * seeded uniform sample beyond it, so metrics over stored features (KID, PRDC) need bounded memory whatever the
 * run's size.
 */
import { RandomState } from "../stats/numpy_random.ts";
import { bytesToFeatures, type FeatureDType } from "./feature_bytes.ts";

/** One stored batch of features. */
export interface FeatureBatch {
  n: number;
  dim: number;
  dtype: FeatureDType;
  features: Uint8Array;
}

/**
 * Rows of `total` streamed rows: all of them when total <= maxRows, else the rows at the sorted indices
 * RandomState(seed).choice(total, maxRows, replace=False) picks, in stream order.
 */
export async function gatherRows(
  batches: AsyncIterable<FeatureBatch>,
  total: number,
  dim: number,
  opts: { maxRows: number; seed: number },
): Promise<{ n: number; data: Float32Array; sampled: boolean }> {
  const sampled = total > opts.maxRows;
  const keep = sampled ? new RandomState(opts.seed).choice(total, opts.maxRows, false).sort() : null;
  const n = keep ? keep.length : total;
  // Float32, as the features torch-fidelity's KID sees; float64 uploads are rounded here (their moments are not).
  const data = new Float32Array(n * dim);
  let row = 0, out = 0, k = 0;
  for await (const batch of batches) {
    if (batch.dim !== dim) throw new RangeError(`stored batch has dimension ${batch.dim}, expected ${dim}`);
    const values = bytesToFeatures(batch.features, batch.dtype);
    if (!keep) {
      data.set(values.subarray(0, Math.min(batch.n, n - out) * dim), out * dim);
      out += batch.n;
    } else {
      while (k < keep.length && keep[k] < row + batch.n) {
        const r = keep[k++] - row;
        data.set(values.subarray(r * dim, (r + 1) * dim), out++ * dim);
      }
    }
    row += batch.n;
  }
  if (row !== total || out !== n) {
    throw new RangeError(`expected ${total} stored rows, read ${row}`);
  }
  return { n, data, sampled };
}
