import assert from "node:assert/strict";
import { type PivotedCholesky, pivotedCholesky as tsCholesky } from "../../src/stats/pivoted_cholesky.ts";
import { wasmLinalg } from "../../src/stats/linalg_wasm.ts";
import { factorCovariance } from "../../src/stats/frechet_core.ts";
import { loadOpenBlas } from "../../src/native/openblas.ts";
import { matmul, randomMatrix, transpose, withSpectrum } from "./linalg_oracles.ts";

const BACKENDS: [string, (a: Float64Array, n: number) => PivotedCholesky][] = [
  ["ts", tsCholesky],
  ["wasm", (a, n) => wasmLinalg()!.pivotedCholesky(a, n)],
];
const native = loadOpenBlas()?.linalg;
// LAPACK's dpstrf where OpenBLAS loads (CI installs it).
if (native) BACKENDS.push(["native", (a, n) => factorCovariance(a, n, { native })]);
else console.warn("pivoted Cholesky tests: OpenBLAS not loadable, the native path is not tested");

/** max |(P L L^T P^T)_ij - A_ij| rebuilt from the factor with naive loops. */
function reconstructionError(
  pivotedCholesky: (a: Float64Array, n: number) => PivotedCholesky,
  a: Float64Array,
  n: number,
): { err: number; rank: number } {
  const f = pivotedCholesky(a, n);
  const l = transpose(f.lt, f.rank, n); // n x rank
  const llt = matmul(l, f.lt, n, f.rank, n);
  let err = 0;
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      err = Math.max(err, Math.abs(llt[x * n + y] - a[f.perm[x] * n + f.perm[y]]));
    }
  }
  return { err, rank: f.rank };
}

for (const [backend, pivotedCholesky] of BACKENDS) {
  Deno.test(`pivoted Cholesky (${backend}) rebuilds a positive definite matrix at full rank`, () => {
    const n = 30;
    const a = withSpectrum(Array.from({ length: n }, (_, i) => 1 + i * i), 3);
    const { err, rank } = reconstructionError(pivotedCholesky, a, n);
    assert.equal(rank, n);
    assert.ok(err <= 1e-12 * n * n, `err ${err}`);
  });

  Deno.test(`pivoted Cholesky (${backend}) of X X^T with X n x k stops at rank k and still rebuilds the matrix`, () => {
    const n = 25;
    for (const k of [1, 7, 24, 25]) {
      const x = randomMatrix(n, k, 40 + k);
      const a = matmul(x, transpose(x, n, k), n, k, n);
      const { err, rank } = reconstructionError(pivotedCholesky, a, n);
      assert.equal(rank, k, `k=${k}`);
      assert.ok(err <= 1e-12 * n * k, `k=${k} err ${err}`);
    }
  });

  Deno.test(`pivoted Cholesky (${backend}) of the zero matrix has rank 0`, () => {
    const f = pivotedCholesky(new Float64Array(16), 4);
    assert.equal(f.rank, 0);
    assert.equal(f.lt.length, 0);
    assert.deepEqual(Array.from(f.perm).sort(), [0, 1, 2, 3]);
  });

  Deno.test(`pivoted Cholesky (${backend}) skips a zero-variance feature in the middle`, () => {
    const n = 5;
    const a = withSpectrum([1, 2, 3, 4], 8); // 4 x 4
    const b = new Float64Array(n * n); // insert a zero row/column at index 2
    const map = [0, 1, -1, 2, 3];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (map[i] >= 0 && map[j] >= 0) b[i * n + j] = a[map[i] * 4 + map[j]];
    }
    const f = pivotedCholesky(b, n);
    assert.equal(f.rank, 4);
    assert.equal(f.perm[4], 2, "the zero feature is pivoted last");
  });
}

Deno.test("wasm and TypeScript pivoted Cholesky agree on a larger covariance (odd size, decaying spectrum)", () => {
  const n = 131;
  const a = withSpectrum(Array.from({ length: n }, (_, i) => 5 * Math.exp(-i / 10)), 21);
  const ts = tsCholesky(a, n);
  const wasm = wasmLinalg()!.pivotedCholesky(a, n);
  assert.equal(wasm.rank, ts.rank);
  assert.deepEqual(wasm.perm, ts.perm);
  let err = 0;
  for (let i = 0; i < ts.lt.length; i++) err = Math.max(err, Math.abs(ts.lt[i] - wasm.lt[i]));
  assert.ok(err <= 1e-10, `max difference ${err}`);
});
