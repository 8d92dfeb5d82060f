/** Checking that an array is a usable N x D matrix of features. */

import { InvalidInputError, UnprocessableError } from "../errors.ts";
import type { NdArray } from "./ndarray.ts";

/** A validated feature matrix: `n` rows of `dim` finite values, C order. */
export interface FeatureMatrix {
  n: number;
  dim: number;
  data: Float32Array | Float64Array;
}

/** Validate a 2-D feature matrix: N x D, N >= 1, finite values; optional expected D. */
export function featureMatrix(a: NdArray, expectedDim?: number): FeatureMatrix {
  if (a.shape.length !== 2) {
    throw new UnprocessableError(
      "feature_matrix_not_2d",
      `features must be a 2-D array (N x D); got ${a.shape.length}-D shape (${a.shape.join(", ")})`,
    );
  }
  const [n, dim] = a.shape;
  if (a.dtype === "uint8" || a.data instanceof Uint8Array) {
    throw new UnprocessableError(
      "feature_dtype_unsupported",
      `features must be float32 or float64; got ${a.dtype} (images are not features: run the feature extractor)`,
    );
  }
  if (n === 0) {
    throw new UnprocessableError("feature_matrix_no_rows", "features have 0 rows; need at least 1");
  }
  if (dim === 0) {
    throw new UnprocessableError("feature_matrix_no_columns", "features have 0 columns; need D >= 1");
  }
  if (expectedDim !== undefined && dim !== expectedDim) {
    throw new UnprocessableError(
      "feature_dim_mismatch",
      `features have D = ${dim} columns; expected D = ${expectedDim}`,
    );
  }
  const data = a.data;
  if (data.length !== n * dim) {
    throw new InvalidInputError(
      "ndarray_data_length_mismatch",
      `shape (${n}, ${dim}) holds ${n * dim} elements but data has ${data.length}`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / dim), col = i % dim;
      throw new UnprocessableError(
        "feature_not_finite",
        `features must be finite; row ${row}, column ${col} is ${v}`,
      );
    }
  }
  return { n, dim, data };
}
