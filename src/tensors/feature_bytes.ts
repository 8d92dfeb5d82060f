/** Feature matrices as stored bytes: little-endian float32 or float64, exactly as uploaded. */

/** Element type of stored features. */
export type FeatureDType = "float32" | "float64";

/** The bytes to store for a feature matrix, and their dtype. */
export function featuresToBytes(
  data: Float32Array | Float64Array,
): { dtype: FeatureDType; bytes: Uint8Array } {
  const dtype: FeatureDType = data instanceof Float64Array ? "float64" : "float32";
  // Typed arrays are little-endian on every platform Deno runs on.
  return { dtype, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Typed view of stored feature bytes (copied when the bytes are not aligned for the element size). */
export function bytesToFeatures(bytes: Uint8Array, dtype: FeatureDType): Float32Array | Float64Array {
  const size = dtype === "float64" ? 8 : 4;
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(
      `stored ${dtype} features have ${bytes.byteLength} bytes, not a multiple of ${size}`,
    );
  }
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const count = aligned.byteLength / size;
  return dtype === "float64"
    ? new Float64Array(aligned.buffer, aligned.byteOffset, count)
    : new Float32Array(aligned.buffer, aligned.byteOffset, count);
}
