import assert from "node:assert/strict";
import { gramEngine, panelRowsFor, polynomialKernel } from "../../src/stats/gram_engine.ts";
import { randomMatrix } from "./linalg_oracles.ts";
import { ENGINES } from "./_engines.ts";

/** Collects the visited panels into a full na x nb matrix (NaN where never visited) and counts the visits. */
function collect(
  name: string,
  a: Float64Array,
  na: number,
  b: Float64Array,
  nb: number,
  dim: number,
  rows: number,
  symmetric: boolean,
) {
  const [, opts] = ENGINES.find(([n]) => n === name)!;
  const m = new Float64Array(na * nb).fill(NaN);
  let visits = 0;
  gramEngine(opts).forEachPanel(a, na, b, nb, dim, rows, symmetric, (i0, r, j0, cols, panel, ld) => {
    visits++;
    assert.equal(j0, symmetric ? i0 : 0, "a symmetric panel starts at its first row's column");
    assert.equal(cols, nb - j0);
    for (let i = 0; i < r; i++) for (let c = 0; c < cols; c++) m[(i0 + i) * nb + j0 + c] = panel[i * ld + c];
  });
  return { m, visits };
}

for (const [name] of ENGINES) {
  Deno.test(`${name} Gram panels cover A B^T and match direct dot products (edges, several panels)`, () => {
    const na = 37, nb = 22, dim = 13;
    const a = randomMatrix(na, dim, 1), b = randomMatrix(nb, dim, 2);
    const { m, visits } = collect(name, a, na, b, nb, dim, 8, false);
    assert.equal(visits, 5);
    for (let i = 0; i < na; i++) {
      for (let j = 0; j < nb; j++) {
        let want = 0;
        for (let k = 0; k < dim; k++) want += a[i * dim + k] * b[j * dim + k];
        assert.ok(Math.abs(m[i * nb + j] - want) <= 1e-13 * dim, `(${i}, ${j}) ${m[i * nb + j]} vs ${want}`);
      }
    }
  });

  Deno.test(`${name} symmetric Gram panels visit every pair j >= i exactly once per panel row`, () => {
    const n = 30, dim = 9;
    const a = randomMatrix(n, dim, 3);
    const { m } = collect(name, a, n, a, n, dim, 12, true);
    for (let i = 0; i < n; i++) {
      const panelStart = i - (i % 12);
      for (let j = 0; j < n; j++) {
        if (j < panelStart) {
          assert.ok(Number.isNaN(m[i * n + j]), `(${i}, ${j}) lies before the panel's columns`);
          continue;
        }
        let want = 0;
        for (let k = 0; k < dim; k++) want += a[i * dim + k] * a[j * dim + k];
        assert.ok(Math.abs(m[i * n + j] - want) <= 1e-13 * dim, `(${i}, ${j})`);
      }
    }
  });

  Deno.test(`${name} KID subset sums are the kernel sums over distinct ordered pairs and all cross pairs`, () => {
    const mRows = 11, dim = 6;
    const x = randomMatrix(mRows, dim, 4), y = Float32Array.from(randomMatrix(mRows, dim, 5));
    const dot = (p: ArrayLike<number>, i: number, q: ArrayLike<number>, j: number) => {
      let s = 0;
      for (let k = 0; k < dim; k++) s += p[i * dim + k] * q[j * dim + k];
      return s;
    };
    let xx = 0, yy = 0, xy = 0;
    for (let i = 0; i < mRows; i++) {
      for (let j = 0; j < mRows; j++) {
        if (i !== j) {
          xx += polynomialKernel(dot(x, i, x, j), dim), yy += polynomialKernel(dot(y, i, y, j), dim);
        }
        xy += polynomialKernel(dot(x, i, y, j), dim);
      }
    }
    const [, opts] = ENGINES.find(([n]) => n === name)!;
    const centre = Float64Array.from({ length: dim }, (_, k) => 0.25 * k - 0.5);
    const got = gramEngine(opts).kidSubsetSums(x, y, mRows, dim, centre);
    // The native engine multiplies float32 (centred) rows, the others float64.
    const tol = name === "native" ? 1e-6 : 1e-13;
    for (const [k, want] of [["xx", xx], ["yy", yy], ["xy", xy]] as const) {
      assert.ok(Math.abs(got[k] - want) <= tol * Math.abs(want), `${k}: ${got[k]} vs ${want}`);
    }
  });
}

Deno.test("panels stay within 32 MiB and are a multiple of 4 rows; symmetric blocks take about eight", () => {
  assert.equal(panelRowsFor(2000), 2096);
  assert.equal(panelRowsFor(2000, true), 248);
  assert.equal(panelRowsFor(100, true), 64);
  assert.equal(panelRowsFor(10000) % 4, 0);
  assert.ok(panelRowsFor(10000) * 10000 * 8 <= 32 * 2 ** 20);
  assert.equal(panelRowsFor(10 ** 9), 4);
});

Deno.test("the engine is the one asked for: TypeScript on request, WebAssembly by default", () => {
  assert.equal(gramEngine({ backend: "ts" }).name, "ts");
  assert.equal(gramEngine().name, "wasm");
});
