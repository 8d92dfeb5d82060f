/** Reordering Fortran (column-major) data into C (row-major) order. */

type Typed = Float32Array | Float64Array | Uint8Array;

/** Return a new array holding `src` (Fortran order for `shape`) in C order; 0-d and 1-d data is copied as is. */
export function fortranToC<T extends Typed>(src: T, shape: readonly number[]): T {
  const out = src.slice() as T;
  const ndim = shape.length;
  if (ndim < 2 || src.length === 0) return out;
  if (ndim === 2) {
    const [rows, cols] = shape;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) out[i * cols + j] = src[j * rows + i];
    }
    return out;
  }
  // Fortran strides: the first axis moves fastest.
  const stride = new Array<number>(ndim);
  stride[0] = 1;
  for (let k = 1; k < ndim; k++) stride[k] = stride[k - 1] * shape[k - 1];
  // Walk the output in C order (last axis fastest), tracking the matching Fortran offset.
  const index = new Array<number>(ndim).fill(0);
  let f = 0;
  for (let c = 0; c < out.length; c++) {
    out[c] = src[f];
    for (let k = ndim - 1; k >= 0; k--) {
      index[k]++;
      f += stride[k];
      if (index[k] < shape[k]) break;
      f -= stride[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}
