/** The in-memory n-dimensional array the .npy/.npz readers return and the writers take. */

/** Element types fidstream reads and writes. */
export type DType = "float32" | "float64" | "uint8";

/** A dense array; `data` is in C (row-major) order and its length is the product of `shape` (1 for 0-d). */
export interface NdArray {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array | Uint8Array;
}

/** Bytes per element of a dtype. */
export function itemSize(dtype: DType): number {
  return dtype === "float64" ? 8 : dtype === "float32" ? 4 : 1;
}

/** Number of elements a shape holds (1 for the empty shape of a 0-d scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
