import assert from "node:assert/strict";
import { permuteSymmetric, triangularCongruence } from "../../src/stats/triangular_congruence.ts";
import { wasmLinalg } from "../../src/stats/linalg_wasm.ts";
import { matmul, normal, randomSymmetric, transpose } from "./linalg_oracles.ts";

/** Random r x n matrix that is zero below its diagonal (row i starts at column i). */
function randomTrapezoid(r: number, n: number, seed: number): Float64Array {
  const g = normal(seed);
  const lt = new Float64Array(r * n);
  for (let i = 0; i < r; i++) for (let k = i; k < n; k++) lt[i * n + k] = g();
  return lt;
}

type Congruence = (lt: Float64Array, r: number, sp: Float64Array, n: number) => Float64Array;
const IMPLEMENTATIONS: [string, Congruence][] = [
  ["ts", triangularCongruence],
  ["wasm", (lt, r, sp, n) => wasmLinalg()!.triangularCongruence(lt, r, sp, n)],
];

for (const [name, congruence] of IMPLEMENTATIONS) {
  Deno.test(`triangular congruence (${name}) equals the naive triple product L^T S L, lower triangle`, () => {
    for (const [r, n] of [[1, 1], [3, 3], [5, 9], [8, 8], [13, 17], [40, 40]]) {
      const lt = randomTrapezoid(r, n, r * 100 + n);
      const s = randomSymmetric(n, n);
      const expected = matmul(matmul(lt, s, r, n, n), transpose(lt, r, n), r, n, r);
      const got = congruence(lt, r, s, n);
      assert.equal(got.length, r * r);
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < r; j++) {
          const want = j <= i ? expected[i * r + j] : 0;
          assert.ok(Math.abs(got[i * r + j] - want) <= 1e-12 * n * n, `r=${r} n=${n} (${i},${j})`);
        }
      }
    }
  });
}

Deno.test("wasm congruence is right across k blocks and R blocks (n = 1030 > 1024), checked by random probes", () => {
  // x^T M y = (L x)^T S (L y) costs O(n^2) per probe: an independent check without an O(n^3) oracle.
  const n = 1030;
  const r = 1027;
  const lt = randomTrapezoid(r, n, 1);
  const s = randomSymmetric(n, 2);
  const m = wasmLinalg()!.triangularCongruence(lt, r, s, n);
  const full = (i: number, j: number) => (j <= i ? m[i * r + j] : m[j * r + i]);
  const g = normal(3);
  for (let probe = 0; probe < 3; probe++) {
    const x = Float64Array.from({ length: r }, () => g());
    const y = Float64Array.from({ length: r }, () => g());
    const lx = matmul(x, lt, 1, r, n); // (L x)^T = x^T L^T
    const ly = matmul(y, lt, 1, r, n);
    const sly = matmul(s, ly, n, n, 1);
    let want = 0;
    for (let k = 0; k < n; k++) want += lx[k] * sly[k];
    let got = 0;
    let scale = 0;
    for (let i = 0; i < r; i++) {
      let row = 0;
      for (let j = 0; j < r; j++) {
        row += full(i, j) * y[j];
        scale += Math.abs(full(i, j) * y[j] * x[i]);
      }
      got += x[i] * row;
    }
    assert.ok(Math.abs(got - want) <= 1e-12 * scale, `probe ${probe}: ${got} vs ${want}`);
  }
});

Deno.test("permuteSymmetric gathers P^T S P and averages away rounding asymmetry", () => {
  const n = 3;
  const s = Float64Array.from([1, 2, 3, 2, 4, 5, 3, 5 + 1e-12, 6]);
  const p = Int32Array.from([2, 0, 1]);
  const got = permuteSymmetric(s, n, p);
  const want = [6, 3, 5 + 5e-13, 3, 1, 2, 5 + 5e-13, 2, 4];
  for (let i = 0; i < 9; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-15, `${i}`);
});
