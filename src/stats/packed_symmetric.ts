/** Conversions between a full symmetric matrix and its packed upper triangle (the storage form). */

/** Packs the upper triangle of a full row-major dim x dim matrix, row by row. */
export function packSymmetric(full: Float64Array, dim: number): Float64Array {
  const packed = new Float64Array((dim * (dim + 1)) / 2);
  let p = 0;
  for (let a = 0; a < dim; a++) {
    packed.set(full.subarray(a * dim + a, (a + 1) * dim), p);
    p += dim - a;
  }
  return packed;
}

/** Expands a packed upper triangle to the full row-major symmetric matrix. */
export function unpackSymmetric(packed: Float64Array, dim: number): Float64Array {
  const full = new Float64Array(dim * dim);
  let p = 0;
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++, p++) {
      full[a * dim + b] = packed[p];
      full[b * dim + a] = packed[p];
    }
  }
  return full;
}
