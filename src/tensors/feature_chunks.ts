/**
 * Stored feature batches regrouped into chunks of about a given size: consecutive batches of one dtype and width
 * are copied into one buffer (a fresh one, so it may be handed to a Worker), so a consumer makes one call per
 * chunk instead of one per batch, and memory stays bounded by the chunk size.
 */
import type { FeatureBatch } from "./row_sample.ts";

/** The batches' rows in stream order, in chunks of at most maxBytes (a larger batch is a chunk alone). */
export async function* featureChunks(
  batches: AsyncIterable<FeatureBatch>,
  maxBytes: number,
): AsyncGenerator<FeatureBatch> {
  let parts: FeatureBatch[] = [];
  let bytes = 0;
  const flush = (): FeatureBatch => {
    const [first] = parts;
    const features = new Uint8Array(bytes);
    let at = 0;
    for (const p of parts) {
      features.set(p.features, at);
      at += p.features.byteLength;
    }
    const chunk = { n: parts.reduce((s, p) => s + p.n, 0), dim: first.dim, dtype: first.dtype, features };
    parts = [];
    bytes = 0;
    return chunk;
  };
  for await (const b of batches) {
    const fits = parts.length > 0 && parts[0].dtype === b.dtype && parts[0].dim === b.dim &&
      bytes + b.features.byteLength <= maxBytes;
    if (parts.length > 0 && !fits) yield flush();
    parts.push(b);
    bytes += b.features.byteLength;
  }
  if (parts.length > 0) yield flush();
}
