import assert from "node:assert/strict";
import {
  bidiagonalize,
  bidiagonalSingularValues,
  householderFromFirst,
  singularValueSum,
} from "../../src/stats/bidiagonal.ts";
import { wasmLinalg } from "../../src/stats/linalg_wasm.ts";
import { loadOpenBlas } from "../../src/native/openblas.ts";
import { jacobiSingularValues, matmul, randomMatrix } from "./linalg_oracles.ts";

/** m x n of rank r: the product of random m x r and r x n factors, scaled so its singular values spread out. */
function lowRank(m: number, n: number, r: number, seed: number): Float64Array {
  const a = randomMatrix(m, r, seed);
  for (let i = 0; i < m; i++) for (let k = 0; k < r; k++) a[i * r + k] *= 10 ** (-6 * k / Math.max(1, r));
  return matmul(a, randomMatrix(r, n, seed + 1), m, r, n);
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [5, 1, 1],
  [1, 6, 1],
  [7, 7, 7],
  [9, 5, 5],
  [5, 9, 5],
  [
    40,
    23,
    23,
  ],
  [23, 40, 23],
  [33, 33, 12],
  [64, 50, 3],
];

Deno.test("a Householder vector from a column maps it onto a multiple of e_0 of the same norm", () => {
  const x = Float64Array.from([3, 4, 0, 12]);
  const [tau, beta] = householderFromFirst(x, 0, 4);
  assert.ok(Math.abs(Math.abs(beta) - 13) < 1e-14);
  assert.equal(x[0], 1);
  // (I - tau v v^T) [3, 4, 0, 12] = beta e_0
  const orig = [3, 4, 0, 12];
  const vx = orig.reduce((s, o, i) => s + o * x[i], 0);
  orig.forEach((o, i) =>
    assert.ok(Math.abs(o - tau * x[i] * vx - (i === 0 ? beta : 0)) < 1e-13, `entry ${i}`)
  );
  assert.deepEqual(householderFromFirst(Float64Array.from([2, 0, 0]), 0, 3), [0, 2]);
});

Deno.test("bidiagonal singular values match one-sided Jacobi on full-rank and rank-deficient matrices", () => {
  for (const [m, n, r] of SHAPES) {
    const a = lowRank(m, n, r, m * 31 + n);
    const want = jacobiSingularValues(a, m, n);
    const tall = m >= n;
    const b = tall
      ? a.slice()
      : Float64Array.from({ length: m * n }, (_, k) => a[(k % m) * n + Math.floor(k / m)]);
    const got = bidiagonalSingularValues(bidiagonalize(b, Math.max(m, n), Math.min(m, n))).reverse();
    assert.equal(got.length, want.length);
    got.forEach((v, i) =>
      assert.ok(
        Math.abs(v - want[i]) <= 1e-13 * want[0],
        `${m}x${n} rank ${r}: sigma ${i} ${v} vs ${want[i]}`,
      )
    );
  }
});

Deno.test("the sum of singular values is the same in TypeScript, WebAssembly and LAPACK, and zero for a zero matrix", () => {
  const wasm = wasmLinalg()!;
  const native = loadOpenBlas()?.linalg;
  for (const [m, n, r] of [...SHAPES, [130, 97, 97], [97, 130, 60]] as [number, number, number][]) {
    const a = lowRank(m, n, r, m + 7 * n);
    const want = jacobiSingularValues(a, m, n).reduce((s, v) => s + v, 0);
    const ts = singularValueSum(a.slice(), m, n);
    const w = wasm.singularValueSum(a.slice(), m, n);
    assert.ok(Math.abs(ts - want) <= 1e-13 * want, `ts ${m}x${n}: ${ts} vs ${want}`);
    assert.ok(Math.abs(w - want) <= 1e-13 * want, `wasm ${m}x${n}: ${w} vs ${want}`);
    if (native) {
      // Row-major m x n is column-major n x m: the same singular values.
      const s = native.singularValues(n, m, a.slice(), n).reduce((p, v) => p + v, 0);
      assert.ok(Math.abs(s - want) <= 1e-13 * want, `LAPACK ${m}x${n}: ${s} vs ${want}`);
    }
  }
  assert.equal(singularValueSum(new Float64Array(12), 3, 4), 0);
  assert.equal(wasm.singularValueSum(new Float64Array(12), 4, 3), 0);
});

Deno.test("bidiagonalize refuses a wide matrix (callers pass the transpose)", () => {
  assert.throws(() => bidiagonalize(new Float64Array(6), 2, 3), RangeError);
});
