/** OpenBLAS through FFI: sgemm in place on a WebAssembly memory, and a clear null when it cannot load. */
import assert from "node:assert/strict";
import {
  loadOpenBlas,
  memoryAddress,
  OPENBLAS_ENV,
  openBlasUnavailableReason,
} from "../../src/native/openblas.ts";
import { seededRandom } from "../_support/arrays.ts";
import { withEnv } from "../_support/env.ts";

const blas = loadOpenBlas();
const missing = blas === null;
if (missing) {
  console.warn(`OpenBLAS tests skipped: ${openBlasUnavailableReason()} (Debian: libopenblas0-pthread)`);
}

Deno.test({
  name: "sgemm multiplies row-major matrices in a WebAssembly memory in place, honouring leading dimensions",
  ignore: missing,
  fn() {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const f = new Float32Array(memory.buffer);
    const [m, n, k, lda, ldb, ldc] = [37, 19, 53, 60, 24, 31];
    const [a, b, c] = [64, 64 + m * lda, 64 + m * lda + k * ldb]; // float offsets
    const r = seededRandom(4);
    for (let i = 0; i < c + m * ldc; i++) f[i] = 2 * r() - 1;
    const before = f.slice();
    blas!.sgemm(
      m,
      n,
      k,
      memoryAddress(memory) + 4 * a,
      lda,
      memoryAddress(memory) + 4 * b,
      ldb,
      memoryAddress(memory) + 4 * c,
      ldc,
    );
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) {
        const got = f[c + i * ldc + j];
        if (j >= n) {
          assert.equal(got, before[c + i * ldc + j], "columns past n are left alone");
          continue;
        }
        let want = 0; // float64 reference
        for (let p = 0; p < k; p++) want += before[a + i * lda + p] * before[b + p * ldb + j];
        assert.ok(
          Math.abs(got - want) < 1e-5 * Math.max(1, Math.abs(want)),
          `C[${i}][${j}] ${got} vs ${want}`,
        );
      }
    }
    assert.deepEqual(f.subarray(0, c), before.subarray(0, c), "A and B are unchanged");
  },
});

Deno.test("a library that cannot be loaded gives null and says why", async () => {
  await withEnv({ [OPENBLAS_ENV]: "/nonexistent/libopenblas.so.0" }, () => {
    assert.equal(loadOpenBlas(), null);
    assert.match(openBlasUnavailableReason(), /\/nonexistent\/libopenblas\.so\.0/);
    return Promise.resolve();
  });
  assert.equal(loadOpenBlas() === null, missing, "the default library's result is unaffected");
  if (!missing) assert.equal(openBlasUnavailableReason(), "");
});

Deno.test({
  name:
    "packedComoment is sum_i x_i x_i^T in float64 as the packed upper triangle, also past the first call's size",
  ignore: missing,
  fn() {
    for (const [n, dim] of [[7, 5], [33, 130], [1, 3]]) {
      const r = seededRandom(n * dim);
      const x = Float64Array.from({ length: n * dim }, () => 2 * r() - 1);
      const got = blas!.packedComoment(x, n, dim);
      assert.equal(got.length, (dim * (dim + 1)) / 2);
      let at = 0;
      for (let a = 0; a < dim; a++) {
        for (let b = a; b < dim; b++) {
          let want = 0;
          for (let i = 0; i < n; i++) want += x[i * dim + a] * x[i * dim + b];
          assert.ok(Math.abs(got[at] - want) < 1e-13 * Math.max(1, Math.abs(want)), `(${a}, ${b})`);
          at++;
        }
      }
    }
    assert.throws(() => blas!.packedComoment(new Float64Array(5), 2, 3), /2 x 3/);
  },
});
