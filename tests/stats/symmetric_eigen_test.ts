import assert from "node:assert/strict";
import { symmetricEigenvalues } from "../../src/stats/symmetric_eigen.ts";
import { tridiagonalEigenvalues } from "../../src/stats/tridiagonal_ql.ts";
import { jacobiEigenvalues, randomSymmetric, withSpectrum } from "./linalg_oracles.ts";

const BACKENDS = ["ts", "wasm"] as const;

function maxAbsDiff(a: Float64Array, b: Float64Array | number[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function spectralScale(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return Math.max(m, 1e-300);
}

for (const backend of BACKENDS) {
  Deno.test(`symmetric eigenvalues (${backend}) match a naive Jacobi solver on random matrices n = 1..40`, () => {
    for (let n = 1; n <= 40; n++) {
      const a = randomSymmetric(n, 1000 + n);
      const expected = jacobiEigenvalues(a, n);
      const got = symmetricEigenvalues(a, n, backend);
      assert.ok(
        maxAbsDiff(got, expected) <= 1e-12 * spectralScale(expected),
        `n=${n}: ${got} vs ${expected}`,
      );
    }
  });

  Deno.test(`symmetric eigenvalues (${backend}) recover known spectra of Q diag(l) Q^T`, () => {
    const spectra = [
      [3],
      [-1, 2],
      [1e-8, 1, 1e3, 5, -7, 0.5],
      Array.from({ length: 25 }, (_, i) => Math.exp(-i / 2)), // decaying like a real covariance
      Array.from({ length: 33 }, (_, i) => (i % 3) - 1), // heavily repeated -1, 0, 1
    ];
    spectra.forEach((values, idx) => {
      const n = values.length;
      const a = withSpectrum(values, 77 + idx);
      const got = symmetricEigenvalues(a, n, backend);
      const expected = [...values].sort((x, y) => x - y);
      assert.ok(maxAbsDiff(got, expected) <= 1e-12 * spectralScale(expected), `spectrum ${idx}: ${got}`);
    });
  });

  Deno.test(`symmetric eigenvalues (${backend}) of diagonal, repeated and zero matrices are exact`, () => {
    const diag = [5, -2, 0, 7.5, 1e-300, 3];
    const n = diag.length;
    const a = new Float64Array(n * n);
    diag.forEach((v, i) => (a[i * n + i] = v));
    assert.deepEqual(Array.from(symmetricEigenvalues(a, n, backend)), [...diag].sort((x, y) => x - y));

    const id = new Float64Array(9 * 9);
    for (let i = 0; i < 9; i++) id[i * 9 + i] = 4;
    assert.deepEqual(Array.from(symmetricEigenvalues(id, 9, backend)), new Array(9).fill(4));

    assert.deepEqual(
      Array.from(symmetricEigenvalues(new Float64Array(16 * 16), 16, backend)),
      new Array(16).fill(0),
    );
    assert.deepEqual(Array.from(symmetricEigenvalues(new Float64Array(0), 0, backend)), []);
  });

  Deno.test(`symmetric eigenvalues (${backend}) read only the lower triangle and leave the input alone`, () => {
    const n = 7;
    const a = randomSymmetric(n, 5);
    const expected = jacobiEigenvalues(a, n);
    const garbled = Float64Array.from(a);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) garbled[i * n + j] = 1e6 * (i + j);
    const before = Float64Array.from(garbled);
    const got = symmetricEigenvalues(garbled, n, backend);
    assert.ok(maxAbsDiff(got, expected) <= 1e-12 * spectralScale(expected));
    assert.deepEqual(garbled, before);
  });
}

Deno.test("wasm and TypeScript eigenvalues agree on larger matrices of awkward sizes", () => {
  for (const n of [61, 130, 257]) {
    const a = randomSymmetric(n, 9 + n);
    const ts = symmetricEigenvalues(a, n, "ts");
    const wasm = symmetricEigenvalues(a, n, "wasm");
    assert.ok(maxAbsDiff(ts, wasm) <= 1e-12 * spectralScale(ts), `n=${n}`);
    // Trace and Frobenius norm are similarity invariants: an independent check of both.
    let trace = 0;
    let frob = 0;
    for (let i = 0; i < n; i++) {
      trace += a[i * n + i];
      for (let j = 0; j < n; j++) frob += a[i * n + j] ** 2;
    }
    const sum = wasm.reduce((s, x) => s + x, 0);
    const sumSq = wasm.reduce((s, x) => s + x * x, 0);
    assert.ok(Math.abs(sum - trace) <= 1e-10 * Math.sqrt(frob), `n=${n} trace`);
    assert.ok(Math.abs(sumSq - frob) <= 1e-10 * frob, `n=${n} frobenius`);
  }
});

Deno.test("tridiagonal QL matches the closed-form spectrum of the discrete Laplacian tridiag(-1, 2, -1)", () => {
  const n = 50;
  const d = new Float64Array(n).fill(2);
  const e = new Float64Array(n).fill(-1);
  e[0] = 0;
  const got = tridiagonalEigenvalues(d, e);
  const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
  assert.ok(maxAbsDiff(got, expected) <= 1e-13);
});

Deno.test("symmetric eigenvalues reject a buffer that is not n x n", () => {
  assert.throws(() => symmetricEigenvalues(new Float64Array(5), 2), { code: "matrix_shape_mismatch" });
});
