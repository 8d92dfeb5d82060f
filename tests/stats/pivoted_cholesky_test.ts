import assert from "node:assert/strict";
import { pivotedCholesky } from "../../src/stats/pivoted_cholesky.ts";
import { matmul, randomMatrix, transpose, withSpectrum } from "./linalg_oracles.ts";

/** max |(P L L^T P^T)_ij - A_ij| rebuilt from the factor with naive loops. */
function reconstructionError(a: Float64Array, n: number): { err: number; rank: number } {
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

Deno.test("pivoted Cholesky rebuilds a positive definite matrix at full rank", () => {
  const n = 30;
  const a = withSpectrum(Array.from({ length: n }, (_, i) => 1 + i * i), 3);
  const { err, rank } = reconstructionError(a, n);
  assert.equal(rank, n);
  assert.ok(err <= 1e-12 * n * n, `err ${err}`);
});

Deno.test("pivoted Cholesky of X X^T with X n x k stops at rank k and still rebuilds the matrix", () => {
  const n = 25;
  for (const k of [1, 7, 24]) {
    const x = randomMatrix(n, k, 40 + k);
    const a = matmul(x, transpose(x, n, k), n, k, n);
    const { err, rank } = reconstructionError(a, n);
    assert.equal(rank, k, `k=${k}`);
    assert.ok(err <= 1e-12 * n * k, `k=${k} err ${err}`);
  }
});

Deno.test("pivoted Cholesky of the zero matrix has rank 0", () => {
  const f = pivotedCholesky(new Float64Array(16), 4);
  assert.equal(f.rank, 0);
  assert.equal(f.lt.length, 0);
  assert.deepEqual(Array.from(f.perm).sort(), [0, 1, 2, 3]);
});

Deno.test("pivoted Cholesky skips a zero-variance feature in the middle", () => {
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
