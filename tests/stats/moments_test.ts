import assert from "node:assert/strict";
import {
  batchMoments,
  emptyMoments,
  mergeMoments,
  mergeMomentsInto,
  type Moments,
  momentsCovariance,
  momentsMean,
  packedIndex,
} from "../../src/stats/moments.ts";
import { loadOpenBlas } from "../../src/native/openblas.ts";
import { UnprocessableError } from "../../src/errors.ts";
import { seededRandom } from "../../tools/arrays.ts";

function randomData(n: number, dim: number, seed: number, offset = 0, spread = 1): Float64Array {
  const r = seededRandom(seed);
  const x = new Float64Array(n * dim);
  // Correlated columns so off-diagonal covariances are not ~0.
  for (let i = 0; i < n; i++) {
    const shared = r() - 0.5;
    for (let j = 0; j < dim; j++) x[i * dim + j] = offset + spread * (r() - 0.5 + shared * (j % 3) + j * 0.1);
  }
  return x;
}

/** Textbook two-pass: mean first, then sum of centred products / (n - 1). */
function naiveTwoPass(x: ArrayLike<number>, n: number, dim: number) {
  const mean = new Array(dim).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const cov = new Array(dim * dim).fill(0);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        cov[a * dim + b] += (x[i * dim + a] - mean[a]) * (x[i * dim + b] - mean[b]);
      }
    }
  }
  for (let k = 0; k < dim * dim; k++) cov[k] /= n - 1;
  return { mean, cov };
}

/** Largest error of each covariance entry relative to sqrt(cov_aa cov_bb) (its natural scale). */
function covRelError(got: Float64Array, want: number[], dim: number): number {
  let worst = 0;
  for (let a = 0; a < dim; a++) {
    for (let b = 0; b < dim; b++) {
      const scale = Math.sqrt(want[a * dim + a] * want[b * dim + b]);
      worst = Math.max(worst, Math.abs(got[a * dim + b] - want[a * dim + b]) / scale);
    }
  }
  return worst;
}

function meanRelError(got: Float64Array, want: number[]): number {
  let worst = 0;
  for (let j = 0; j < want.length; j++) {
    worst = Math.max(worst, Math.abs(got[j] - want[j]) / Math.max(1, Math.abs(want[j])));
  }
  return worst;
}

/** Splits rows [0, n) at the given cut points and merges the pieces left to right. */
function mergeSplits(x: Float64Array, n: number, dim: number, cuts: number[]): Moments {
  let acc = emptyMoments(dim);
  let start = 0;
  for (const end of [...cuts, n]) {
    acc = mergeMoments(acc, batchMoments(x.subarray(start * dim, end * dim), end - start, dim));
    start = end;
  }
  return acc;
}

Deno.test("packedIndex enumerates the upper triangle row by row", () => {
  const dim = 6;
  let expected = 0;
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      assert.equal(packedIndex(a, b, dim), expected);
      assert.equal(packedIndex(b, a, dim), expected);
      expected++;
    }
  }
  assert.equal(expected, (dim * (dim + 1)) / 2);
});

Deno.test("one batch gives the two-pass mean and covariance", () => {
  const n = 50, dim = 7;
  const x = randomData(n, dim, 1);
  const m = batchMoments(x, n, dim);
  const want = naiveTwoPass(x, n, dim);
  assert.equal(m.n, n);
  assert.ok(meanRelError(momentsMean(m), want.mean) < 1e-14);
  assert.ok(covRelError(momentsCovariance(m), want.cov, dim) < 1e-12);
});

Deno.test("the 4-sample kernel handles every remainder (n = 1..9)", () => {
  const dim = 5;
  for (let n = 2; n <= 9; n++) {
    const x = randomData(n, dim, 100 + n);
    const want = naiveTwoPass(x, n, dim);
    assert.ok(covRelError(momentsCovariance(batchMoments(x, n, dim)), want.cov, dim) < 1e-12, `n=${n}`);
  }
  const one = batchMoments(randomData(1, dim, 5), 1, dim);
  assert.ok(one.comoment.every((v) => v === 0), "a single sample has zero co-moment");
});

Deno.test("merging random splits (including size-1 pieces) equals the two-pass covariance", () => {
  const n = 97, dim = 9;
  const x = randomData(n, dim, 2);
  const want = naiveTwoPass(x, n, dim);
  const r = seededRandom(3);
  for (let trial = 0; trial < 20; trial++) {
    const cuts = new Set<number>([1, n - 1]); // force size-1 pieces at both ends
    const k = 1 + Math.floor(r() * 10);
    for (let i = 0; i < k; i++) cuts.add(1 + Math.floor(r() * (n - 1)));
    const m = mergeSplits(x, n, dim, [...cuts].sort((a, b) => a - b));
    assert.equal(m.n, n);
    assert.ok(meanRelError(momentsMean(m), want.mean) < 1e-13);
    assert.ok(covRelError(momentsCovariance(m), want.cov, dim) < 1e-12, `trial ${trial}`);
  }
});

Deno.test("many one-row merges, in sequence and as a balanced tree, equal the two-pass covariance", () => {
  const n = 300, dim = 6;
  const x = randomData(n, dim, 4);
  const want = naiveTwoPass(x, n, dim);
  const seq = mergeSplits(x, n, dim, Array.from({ length: n - 1 }, (_, i) => i + 1));
  assert.ok(covRelError(momentsCovariance(seq), want.cov, dim) < 1e-12);

  let level: Moments[] = Array.from(
    { length: n },
    (_, i) => batchMoments(x.subarray(i * dim, (i + 1) * dim), 1, dim),
  );
  while (level.length > 1) {
    const next: Moments[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? mergeMoments(level[i], level[i + 1]) : level[i]);
    }
    level = next;
  }
  assert.ok(covRelError(momentsCovariance(level[0]), want.cov, dim) < 1e-12);
});

Deno.test("mergeMomentsInto matches mergeMoments bit for bit", () => {
  const dim = 8;
  const a = batchMoments(randomData(13, dim, 5), 13, dim);
  const b = batchMoments(randomData(21, dim, 6), 21, dim);
  const pure = mergeMoments(a, b);
  const target = mergeMoments(emptyMoments(dim), a);
  mergeMomentsInto(target, b);
  assert.deepEqual(target, pure);
  assert.equal(a.n, 13, "mergeMoments leaves its inputs alone");
});

Deno.test("merging with an empty side returns the other side's values unchanged", () => {
  const dim = 4;
  const a = batchMoments(randomData(10, dim, 7), 10, dim);
  assert.deepEqual(mergeMoments(a, emptyMoments(dim)), a);
  assert.deepEqual(mergeMoments(emptyMoments(dim), a), a);
  assert.notEqual(mergeMoments(a, emptyMoments(dim)).comoment, a.comoment, "result does not alias the input");
});

Deno.test("float32 input gives exactly the moments of the same values as float64", () => {
  const n = 37, dim = 11;
  const f32 = Float32Array.from(randomData(n, dim, 8));
  const f64 = Float64Array.from(f32);
  assert.deepEqual(batchMoments(f32, n, dim), batchMoments(f64, n, dim));
});

Deno.test("a large common offset (1e6) with a small spread (1e-3) stays accurate", () => {
  const n = 200, dim = 5;
  const x = randomData(n, dim, 9, 1e6, 1e-3);
  const want = naiveTwoPass(x, n, dim);
  // One batch: centring keeps it at round-off level.
  assert.ok(covRelError(momentsCovariance(batchMoments(x, n, dim)), want.cov, dim) < 1e-9);
  // Merged: the stored sums (~2e8) limit the mean difference to ~1e-10 absolute, still tiny.
  const merged = mergeSplits(x, n, dim, [1, 17, 50, 51, 120, 199]);
  const err = covRelError(momentsCovariance(merged), want.cov, dim);
  assert.ok(err < 1e-6, `merged relative error ${err}`);
  // The uncentred one-pass formula (sum xx^T - n mu mu^T) on the same data is useless: that is why we centre.
  let s0 = 0, s00 = 0;
  for (let i = 0; i < n; i++) {
    s0 += x[i * dim];
    s00 += x[i * dim] * x[i * dim];
  }
  const onePass = (s00 - (s0 * s0) / n) / (n - 1);
  assert.ok(Math.abs(onePass - want.cov[0]) / want.cov[0] > 1e-3, "one-pass formula would have passed");
});

Deno.test("covariance needs two samples, mean needs one", () => {
  assert.throws(() => momentsCovariance(batchMoments(new Float64Array(3), 1, 3)), UnprocessableError);
  assert.throws(() => momentsMean(emptyMoments(3)), UnprocessableError);
  assert.deepEqual(Array.from(momentsMean(batchMoments(new Float64Array([1, 2, 3]), 1, 3))), [1, 2, 3]);
});

Deno.test("bad batches are rejected: wrong length, NaN/Inf, dimension mismatch on merge", () => {
  assert.throws(() => batchMoments(new Float64Array(5), 2, 3), UnprocessableError);
  assert.throws(() => batchMoments(new Float64Array([1, NaN, 3, 4]), 2, 2), UnprocessableError);
  assert.throws(() => batchMoments(new Float32Array([1, Infinity]), 1, 2), UnprocessableError);
  assert.throws(() => batchMoments(new Float64Array(0), 0, 0), UnprocessableError);
  assert.throws(() => mergeMoments(emptyMoments(2), emptyMoments(3)), UnprocessableError);
  const empty = batchMoments(new Float64Array(0), 0, 4);
  assert.equal(empty.n, 0);
});

/**
 * Largest |got - want| of the packed co-moments relative to sqrt(want_aa want_bb), the entry's natural scale
 * (an off-diagonal entry near zero is only known to round-off of that scale).
 */
function comomentRelError(got: Float64Array, want: Float64Array, dim: number): number {
  const diag: number[] = [];
  for (let a = 0; a < dim; a++) diag.push(want[packedIndex(a, a, dim)]);
  let worst = 0, p = 0;
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++, p++) {
      const scale = Math.sqrt(diag[a] * diag[b]);
      const err = Math.abs(got[p] - want[p]);
      worst = Math.max(worst, scale > 0 ? err / scale : err === 0 ? 0 : Infinity);
    }
  }
  return worst;
}

Deno.test("the WebAssembly co-moment equals the TypeScript path to 1e-12 (dims 1, 3, 17, 130, 1030)", () => {
  const cases: [number, number[]][] = [
    [1, [1, 2, 7]],
    [3, [1, 4, 9]],
    [17, [2, 5, 37]],
    [130, [3, 100]],
    // 300 rows at 1030 dims exceed one sample block of the kernel: the second block accumulates.
    [1030, [9, 300]],
  ];
  let seed = 20;
  for (const [dim, ns] of cases) {
    for (const n of ns) {
      const x = Float32Array.from(randomData(n, dim, seed++, 3, 2));
      const ts = batchMoments(x, n, dim, "ts");
      const wasm = batchMoments(x, n, dim, "wasm");
      assert.equal(wasm.n, n);
      assert.deepEqual(wasm.sum, ts.sum, `sum, dim ${dim} n ${n}`);
      assert.equal(wasm.comoment.length, ts.comoment.length);
      const err = comomentRelError(wasm.comoment, ts.comoment, dim);
      assert.ok(err <= 1e-12, `dim ${dim} n ${n}: relative error ${err}`);
    }
  }
});

Deno.test("both backends give the two-pass covariance", () => {
  const n = 41, dim = 13;
  const x = randomData(n, dim, 30, 5, 0.5);
  const want = naiveTwoPass(x, n, dim);
  for (const backend of ["ts", "wasm"] as const) {
    const err = covRelError(momentsCovariance(batchMoments(x, n, dim, backend)), want.cov, dim);
    assert.ok(err < 1e-12, `${backend}: ${err}`);
  }
});

Deno.test("the WebAssembly path gives the same result when its cached memory was used by other batches", () => {
  // A large batch leaves non-zero values where a small one puts its co-moment and its padding lanes.
  const small = randomData(6, 5, 40);
  const first = batchMoments(small, 6, 5, "wasm");
  batchMoments(randomData(50, 131, 41, 100), 50, 131, "wasm");
  const again = batchMoments(small, 6, 5, "wasm");
  assert.deepEqual(again, first);
  assert.ok(comomentRelError(again.comoment, batchMoments(small, 6, 5, "ts").comoment, 5) <= 1e-12);
});

Deno.test({
  name:
    "a co-moment kernel passed in (OpenBLAS dsyrk) gets the centred rows and matches the TypeScript path to 1e-12",
  ignore: loadOpenBlas() === null,
  fn() {
    const blas = loadOpenBlas()!;
    let seed = 60;
    for (const [dim, n] of [[1, 3], [17, 37], [130, 100], [1030, 300]]) {
      const x = Float32Array.from(randomData(n, dim, seed++, 3, 2));
      const seen: number[] = [];
      const kernel = (c: Float64Array, rows: number, d: number) => {
        // Centred about the batch mean: every column sums to ~0.
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += c[i * d + j];
          seen.push(Math.abs(s));
        }
        return blas.packedComoment(c, rows, d);
      };
      const native = batchMoments(x, n, dim, kernel);
      const ts = batchMoments(x, n, dim, "ts");
      assert.deepEqual(native.sum, ts.sum);
      const err = comomentRelError(native.comoment, ts.comoment, dim);
      assert.ok(err <= 1e-12, `dim ${dim} n ${n}: relative error ${err}`);
      assert.ok(Math.max(...seen) < 1e-9 * n, "the kernel saw centred rows");
    }
  },
});
