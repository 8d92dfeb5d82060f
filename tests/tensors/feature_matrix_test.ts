import assert from "node:assert/strict";
import { UnprocessableError } from "../../src/errors.ts";
import { featureMatrix } from "../../src/tensors/feature_matrix.ts";
import type { NdArray } from "../../src/tensors/npy.ts";
import { assertTypedError } from "./_fixtures.ts";

const f32 = (shape: number[], values?: number[]): NdArray => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(values ?? new Array(shape.reduce((p, d) => p * d, 1)).fill(0.5)),
});

Deno.test("featureMatrix returns n, dim and the data of a finite 2-D float matrix", () => {
  const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const m = featureMatrix(a, 3);
  assert.equal(m.n, 2);
  assert.equal(m.dim, 3);
  assert.equal(m.data, a.data);
  const b: NdArray = { dtype: "float64", shape: [1, 1], data: Float64Array.of(-1e300) };
  assert.deepEqual(featureMatrix(b), { n: 1, dim: 1, data: b.data });
});

Deno.test("featureMatrix rejects 1-D, 0-d and 3-D arrays with feature_matrix_not_2d", () => {
  for (const shape of [[6], [], [1, 2, 3]]) {
    assertTypedError(() => featureMatrix(f32(shape)), UnprocessableError, "feature_matrix_not_2d", /2-D/);
  }
});

Deno.test("featureMatrix rejects uint8 data: features must be float", () => {
  const a: NdArray = { dtype: "uint8", shape: [2, 2], data: new Uint8Array(4) };
  assertTypedError(() => featureMatrix(a), UnprocessableError, "feature_dtype_unsupported", /uint8/);
});

Deno.test("featureMatrix rejects 0 rows and 0 columns", () => {
  assertTypedError(() => featureMatrix(f32([0, 4])), UnprocessableError, "feature_matrix_no_rows");
  assertTypedError(() => featureMatrix(f32([4, 0])), UnprocessableError, "feature_matrix_no_columns");
});

Deno.test("featureMatrix rejects a wrong D, saying expected vs got", () => {
  assertTypedError(
    () => featureMatrix(f32([5, 3]), 2048),
    UnprocessableError,
    "feature_dim_mismatch",
    /D = 3.*expected D = 2048/,
  );
});

Deno.test("featureMatrix names the first non-finite value's row and column", () => {
  const cases: [number, number, string][] = [[NaN, 5, "NaN"], [Infinity, 0, "Infinity"], [
    -Infinity,
    11,
    "-Infinity",
  ]];
  for (const [bad, at, word] of cases) {
    const values = new Array(12).fill(1);
    values[at] = bad;
    values[11] = at === 11 ? bad : NaN; // a later bad value must not be the one reported
    const row = Math.floor(at / 4), col = at % 4;
    assertTypedError(
      () => featureMatrix(f32([3, 4], values)),
      UnprocessableError,
      "feature_not_finite",
      new RegExp(`row ${row}, column ${col} is ${word}`),
    );
  }
});
