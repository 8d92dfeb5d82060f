/** OpenBLAS through FFI: sgemm in place on a WebAssembly memory, and a clear null when it cannot load. */
import assert from "node:assert/strict";
import { loadOpenBlas, memoryAddress, openBlasUnavailableReason } from "../../src/native/openblas.ts";
import { seededRandom } from "../../tools/arrays.ts";

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

Deno.test("a library that cannot be loaded gives null and says why", () => {
  assert.equal(loadOpenBlas("/nonexistent/libopenblas.so.0"), null);
  assert.match(
    openBlasUnavailableReason("/nonexistent/libopenblas.so.0"),
    /\/nonexistent\/libopenblas\.so\.0/,
  );
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

const linalg = blas?.linalg ?? null;

/** Row-major entry (i, j) of op(M) for an r x c row-major M. */
const at = (
  m: Float64Array,
  c: number,
  t: boolean,
  i: number,
  j: number,
) => (t ? m[j * c + i] : m[i * c + j]);

Deno.test({
  name: "linalg.dgemm honours both transposes, alpha, beta and leading dimensions on typed-array views",
  ignore: linalg === null,
  fn() {
    const r = seededRandom(11);
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
      const [m, n, k] = [5, 7, 3];
      const a = Float64Array.from({ length: 40 }, () => r() - 0.5); // op(A) m x k, stored with lda
      const b = Float64Array.from({ length: 40 }, () => r() - 0.5);
      const lda = ta ? m + 1 : k + 2, ldb = tb ? k + 1 : n + 1, ldc = n + 3;
      const c = Float64Array.from({ length: m * ldc + 4 }, () => r());
      const before = c.slice();
      linalg!.dgemm(ta, tb, m, n, k, 2, a.subarray(1), lda, b.subarray(2), ldb, 0.5, c.subarray(4), ldc);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < ldc; j++) {
          const got = c[4 + i * ldc + j];
          if (j >= n) {
            assert.equal(got, before[4 + i * ldc + j], "columns past n are left alone");
            continue;
          }
          let s = 0;
          for (let p = 0; p < k; p++) {
            s += at(a.subarray(1), lda, ta, i, p) * at(b.subarray(2), ldb, tb, p, j);
          }
          const want = 2 * s + 0.5 * before[4 + i * ldc + j];
          assert.ok(Math.abs(got - want) < 1e-14, `trans ${ta}/${tb} (${i}, ${j}): ${got} vs ${want}`);
        }
      }
    }
  },
});

Deno.test({
  name: "linalg.dsyrk writes the upper triangle of A A^T and leaves the strict lower triangle alone",
  ignore: linalg === null,
  fn() {
    const r = seededRandom(12);
    const [n, k] = [6, 4];
    const a = Float64Array.from({ length: n * k }, () => r() - 0.5);
    const c = new Float64Array(n * n).fill(-7);
    linalg!.dsyrk(n, k, 1, a, k, 0, c, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j < i) {
          assert.equal(c[i * n + j], -7);
          continue;
        }
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * a[j * k + p];
        assert.ok(Math.abs(c[i * n + j] - s) < 1e-15, `(${i}, ${j})`);
      }
    }
  },
});

Deno.test({
  name: "linalg.dtrmmLowerTransposedLeft is B <- L^T B (column-major) reading only L's lower triangle",
  ignore: linalg === null,
  fn() {
    const r = seededRandom(13);
    const [m, n, lda, ldb] = [4, 3, 6, 5];
    const a = Float64Array.from({ length: lda * m }, () => r() - 0.5); // column-major: (i, j) at j * lda + i
    const b = Float64Array.from({ length: ldb * n }, () => r() - 0.5);
    const before = b.slice();
    linalg!.dtrmmLowerTransposedLeft(m, n, a, lda, b, ldb);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < m; i++) {
        let s = 0; // (L^T B)(i, j) = sum_{p >= i} L(p, i) B(p, j)
        for (let p = i; p < m; p++) s += a[i * lda + p] * before[j * ldb + p];
        assert.ok(Math.abs(b[j * ldb + i] - s) < 1e-15, `(${i}, ${j})`);
      }
      for (let i = m; i < ldb; i++) {
        assert.equal(b[j * ldb + i], before[j * ldb + i], "rows past m untouched");
      }
    }
  },
});

Deno.test({
  name: "linalg.pivotedCholesky finds the rank of X X^T and rebuilds it; the zero matrix has rank 0",
  ignore: linalg === null,
  fn() {
    const r = seededRandom(14);
    const [n, k] = [9, 4];
    const x = Float64Array.from({ length: n * k }, () => r() - 0.5);
    const s = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) s[i * n + j] += x[i * k + p] * x[j * k + p];
    }
    const a = s.slice(); // symmetric: column-major is the same matrix
    const { rank, perm } = linalg!.pivotedCholesky(n, a, n, n * Number.EPSILON * 10);
    assert.equal(rank, k);
    assert.deepEqual([...perm].sort((p, q) => p - q), [...Array(n).keys()]);
    // (P^T S P)(i, j) = sum_{t < rank} L(i, t) L(j, t); L(i, t) column-major at t * n + i.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let v = 0;
        for (let t = 0; t < Math.min(rank, j + 1); t++) v += a[t * n + i] * a[t * n + j];
        assert.ok(Math.abs(v - s[perm[i] * n + perm[j]]) < 1e-14, `(${i}, ${j})`);
      }
    }
    assert.equal(linalg!.pivotedCholesky(3, new Float64Array(9), 3, 0).rank, 0);
  },
});

Deno.test({
  name: "linalg.singularValues of diagonal-times-rotation and rank-one matrices, tall and wide",
  ignore: linalg === null,
  fn() {
    // A = diag(3, 2) with its columns rotated by 30 degrees, stored column-major, plus a zero third row.
    const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
    const a = Float64Array.from([3 * c, 2 * -s, 0, 3 * s, 2 * c, 0]); // 3 x 2 column-major
    const sv = linalg!.singularValues(3, 2, a, 3);
    assert.ok(Math.abs(sv[0] - 3) < 1e-14 && Math.abs(sv[1] - 2) < 1e-14, `${sv}`);
    const u = [1, 2, 2], v = [3, 4]; // rank one: sigma = |u| |v| = 3 * 5
    const wide = Float64Array.from({ length: 6 }, (_, q) => v[Math.floor(q / 3)] * u[q % 3]); // 3 x 2 col-major
    const values = linalg!.singularValues(
      2,
      3,
      Float64Array.from({ length: 6 }, (_, q) => wide[(q % 2) * 3 + Math.floor(q / 2)]),
      2,
    );
    assert.ok(Math.abs(values[0] - 15) < 1e-13 && Math.abs(values[1]) < 1e-13, `${values}`);
  },
});

Deno.test({
  name: "linalg.withThreads returns fn's value and rethrows its error",
  ignore: linalg === null,
  fn() {
    assert.equal(linalg!.withThreads(2, () => 42), 42);
    assert.throws(() =>
      linalg!.withThreads(2, () => {
        throw new RangeError("inner");
      }), RangeError);
  },
});
