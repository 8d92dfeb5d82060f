/** Eigenvalues of symmetric PSD matrices on every engine against cyclic Jacobi (tests/stats/linalg_oracles.ts). */
import assert from "node:assert/strict";
import { InvalidInputError } from "../../src/errors.ts";
import { psdEigenvalues } from "../../src/stats/symmetric_eigen.ts";
import { ENGINES } from "./_engines.ts";
import { jacobiEigenvalues, matmul, randomMatrix, transpose, withSpectrum } from "./linalg_oracles.ts";

for (const [engine, linalg] of ENGINES) {
  Deno.test(`${engine}: PSD eigenvalues match Jacobi's, ascending, rank-deficient and clustered spectra included`, () => {
    const spectra = [
      [5, 3, 1, 0.5, 0.25, 1e-3, 0, 0],
      Array.from({ length: 37 }, (_, i) => (i < 20 ? 1 / (i + 1) : 0)),
      Array.from({ length: 16 }, () => 0.0625),
    ];
    for (const [s, values] of spectra.entries()) {
      const n = values.length;
      const a = withSpectrum(values, 30 + s);
      const before = a.slice();
      const got = psdEigenvalues(a, n, linalg);
      const want = [...values].sort((x, y) => x - y);
      assert.deepEqual(a, before, "the input is not modified");
      for (let i = 0; i < n; i++) {
        assert.ok(
          Math.abs(got[i] - want[i]) < 1e-12 * want[n - 1],
          `${engine} #${s} [${i}] ${got[i]} vs ${want[i]}`,
        );
      }
    }
    // A Gram matrix X^T X of random rows, against the Jacobi oracle.
    const x = randomMatrix(50, 23, 7);
    const g = matmul(transpose(x, 50, 23), x, 23, 50, 23);
    const oracle = jacobiEigenvalues(g, 23);
    const got = psdEigenvalues(g, 23, linalg);
    for (let i = 0; i < 23; i++) assert.ok(Math.abs(got[i] - oracle[i]) < 1e-11 * oracle[22]);
  });
}

Deno.test("a matrix whose size is not n x n is refused", () => {
  assert.throws(() => psdEigenvalues(new Float64Array(5), 2), InvalidInputError);
  assert.equal(psdEigenvalues(new Float64Array(0), 0).length, 0);
});
