import assert from "node:assert/strict";
import { prdc } from "../../src/stats/prdc.ts";
import { RandomState } from "../../src/stats/numpy_random.ts";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import { seededRandom } from "../../tools/arrays.ts";
import { ENGINES } from "./_engines.ts";
import { type GramEngine, gramEngine } from "../../src/stats/gram_engine.ts";
import { sampleMetrics } from "../../src/stats/sample_metrics.ts";

function features(n: number, dim: number, seed: number, shift = 0, scale = 1): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n * dim }, () => (r() * 2 - 1) * scale + shift);
}

function distanceMatrix(a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number, dim: number) {
  const d: number[][] = [];
  for (let i = 0; i < na; i++) {
    d.push([]);
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += (a[i * dim + t] - b[j * dim + t]) ** 2;
      d[i].push(Math.sqrt(s));
    }
  }
  return d;
}

/** Distance from each row to its k-th nearest other row: sort the row of the full matrix without self. */
function radii(x: ArrayLike<number>, n: number, dim: number, k: number): number[] {
  const d = distanceMatrix(x, n, x, n, dim);
  return d.map((row, i) => row.filter((_, j) => j !== i).sort((p, q) => p - q)[k - 1]);
}

/** Naeem et al. 2020's four definitions, written out with full distance matrices and strict inequalities. */
function naivePrdc(
  real: ArrayLike<number>,
  n: number,
  fake: ArrayLike<number>,
  m: number,
  dim: number,
  k: number,
) {
  const r = radii(real, n, dim, k);
  const s = radii(fake, m, dim, k);
  const d = distanceMatrix(real, n, fake, m, dim);
  let precision = 0, density = 0, recall = 0, coverage = 0;
  for (let j = 0; j < m; j++) {
    let inside = 0;
    for (let i = 0; i < n; i++) if (d[i][j] < r[i]) inside++;
    if (inside > 0) precision++;
    density += inside;
  }
  for (let i = 0; i < n; i++) {
    if (d[i].some((dij, j) => dij < s[j])) recall++;
    if (Math.min(...d[i]) < r[i]) coverage++;
  }
  return { precision: precision / m, recall: recall / n, density: density / (k * m), coverage: coverage / n };
}

function assertSame(got: ReturnType<typeof prdc>, want: ReturnType<typeof naivePrdc>, label = "") {
  assert.equal(got.precision, want.precision, `${label} precision`);
  assert.equal(got.recall, want.recall, `${label} recall`);
  assert.equal(got.coverage, want.coverage, `${label} coverage`);
  assert.ok(
    Math.abs(got.density - want.density) <= 1e-12,
    `${label} density ${got.density} vs ${want.density}`,
  );
}

Deno.test("matches the brute-force definitions on random overlapping sets, several k, across tiles", () => {
  // 150 real / 97 fake rows: partial 64-row tiles on both sides; the fake set is shifted, so precision,
  // recall and coverage land strictly between 0 and 1 for every k tried.
  const n = 150, m = 97, dim = 40;
  const real = features(n, dim, 1);
  const fake = features(m, dim, 2, 0.3);
  for (const k of [1, 3, 5, 10]) {
    const want = naivePrdc(real, n, fake, m, dim, k);
    for (const [engine, linalg] of ENGINES) {
      const got = prdc(real, n, fake, m, dim, { k }, linalg);
      assertSame(got, want, `${engine} k=${k}`);
      assert.equal(got.k, k);
    }
    for (const v of [want.precision, want.recall, want.coverage]) assert.ok(v > 0 && v < 1, `k=${k}: ${v}`);
  }
});

Deno.test("ties on a small integer grid follow the strict inequality exactly", () => {
  // Coordinates in {0, 1, 2}: many distances are exactly equal to radii, and exact in float64.
  const r = seededRandom(3);
  const grid = (len: number) => Float64Array.from({ length: len }, () => Math.floor(r() * 3));
  const n = 80, m = 70, dim = 3;
  const real = grid(n * dim), fake = grid(m * dim);
  for (const k of [1, 2, 5]) {
    const want = naivePrdc(real, n, fake, m, dim, k);
    for (const [engine, linalg] of ENGINES) {
      assertSame(prdc(real, n, fake, m, dim, { k }, linalg), want, `${engine} k=${k}`);
    }
  }
});

Deno.test("fakes duplicating reals sit exactly on the balls they define: ties decided as the definitions say", () => {
  // Every real's k-th neighbour has a fake twin, so d(R_i, F_j) = r_i exactly for some j: strict inequalities
  // exclude it. Fast products round differently from the exact distances; every engine must still agree.
  const n = 70, dim = 40;
  const real = features(n, dim, 16);
  const m = 90, fake = new Float64Array(m * dim);
  const pick = seededRandom(17);
  for (let j = 0; j < m; j++) {
    const src = j < n ? j : Math.floor(pick() * n);
    for (let t = 0; t < dim; t++) {
      fake[j * dim + t] = j < n ? real[src * dim + t] : real[src * dim + t] + (pick() - 0.5) * 0.05;
    }
  }
  for (const k of [1, 3, 5]) {
    const want = naivePrdc(real, n, fake, m, dim, k);
    for (const [engine, linalg] of ENGINES) {
      assertSame(prdc(real, n, fake, m, dim, { k }, linalg), want, `${engine} k=${k}`);
    }
  }
});

Deno.test("float32 input matches the definitions on its float32 values", () => {
  const n = 90, m = 110, dim = 24;
  const real = Float32Array.from(features(n, dim, 4));
  const fake = Float32Array.from(features(m, dim, 5, 0.1));
  const want = naivePrdc(real, n, fake, m, dim, 5);
  for (const [engine, linalg] of ENGINES) assertSame(prdc(real, n, fake, m, dim, {}, linalg), want, engine);
});

Deno.test("identical real and fake sets: precision = recall = coverage = 1 and density = 1", () => {
  const n = 120, dim = 16;
  const real = features(n, dim, 6);
  for (const [engine, linalg] of ENGINES) {
    const got = prdc(real, n, real.slice(), n, dim, { k: 5 }, linalg);
    assert.equal(got.precision, 1, engine);
    assert.equal(got.recall, 1, engine);
    assert.equal(got.coverage, 1, engine);
    // Each point lies strictly inside its own ball and those of the reals it is among the k - 1 nearest of;
    // summed over points that is k per ball (self + k - 1 strictly closer), so density is 1 without ties.
    assert.ok(Math.abs(got.density - 1) <= 1e-12, `${engine} density ${got.density}`);
  }
});

Deno.test("fakes collapsed onto one real point: recall 0 and coverage low, precision still 1", () => {
  const n = 200, dim = 8, m = 50;
  const real = features(n, dim, 7);
  const fake = new Float64Array(m * dim);
  for (let j = 0; j < m; j++) fake.set(real.subarray(0, dim), j * dim);
  for (const [engine, linalg] of ENGINES) {
    const got = prdc(real, n, fake, m, dim, {}, linalg);
    assertSame(got, naivePrdc(real, n, fake, m, dim, 5), engine);
    assert.equal(got.precision, 1); // every fake is real point 0, inside its own ball
    assert.equal(got.recall, 0); // the fakes' k-NN radius is 0: no ball holds anything
    assert.ok(got.coverage > 0 && got.coverage <= 0.1, `coverage ${got.coverage}`);
  }
});

Deno.test("fakes jittered tightly around one real point: recall and coverage stay low", () => {
  const n = 200, dim = 8, m = 50;
  const real = features(n, dim, 8);
  const jitter = features(m, dim, 9, 0, 1e-3);
  const fake = new Float64Array(m * dim);
  for (let j = 0; j < m; j++) for (let t = 0; t < dim; t++) fake[j * dim + t] = real[t] + jitter[j * dim + t];
  const got = prdc(real, n, fake, m, dim);
  assertSame(got, naivePrdc(real, n, fake, m, dim, 5));
  assert.ok(got.recall <= 0.05, `recall ${got.recall}`);
  assert.ok(got.coverage <= 0.1, `coverage ${got.coverage}`);
});

Deno.test("fakes far from every real sample: all four values are 0", () => {
  const n = 60, m = 60, dim = 10;
  const got = prdc(features(n, dim, 10), n, features(m, dim, 11, 100), m, dim);
  assert.deepEqual(
    [got.precision, got.recall, got.density, got.coverage],
    [0, 0, 0, 0],
  );
});

// Hand-worked 2-D example. Real R0 (0,0), R1 (2,0), R2 (0,4), R3 (10,0); fake F0 (1,0), F1 (0,-1), F2 (0,8).
// Real-real: R0R1 2, R0R2 4, R0R3 10, R1R2 sqrt20 = 4.47, R1R3 8, R2R3 sqrt116 = 10.77.
// Fake-fake: F0F1 sqrt2 = 1.41, F0F2 sqrt65 = 8.06, F1F2 9.
// Real-fake (rows R, columns F):
//   R0: 1, 1, 8 | R1: 1, sqrt5 = 2.24, sqrt68 = 8.25 | R2: sqrt17 = 4.12, 5, 4 | R3: 9, sqrt101 = 10.05, sqrt164 = 12.81
const HAND_REAL = new Float64Array([0, 0, 2, 0, 0, 4, 10, 0]);
const HAND_FAKE = new Float64Array([1, 0, 0, -1, 0, 8]);

Deno.test("hand-worked 2-D example, k = 1: precision 2/3, recall 3/4, density 1, coverage 1/2", () => {
  // Radii: real r = [2, 2, 4, 8]; fake s = [1.41, 1.41, 8.06].
  // Precision: F0 in R0's ball (1 < 2); F1 in R0's (1 < 2); F2 is exactly ON R2's sphere (4 < 4 fails) and
  //   outside the rest -> 2/3.
  // Density: F0 in R0, R1 (R2: 4.12 > 4, R3: 9 > 8) -> 2; F1 in R0 only (R1: 2.24 > 2) -> 1; F2 -> 0.
  //   (2 + 1 + 0) / (k * 3) = 1.
  // Recall: R0, R1 within F0's 1.41 (1 < 1.41); R2 within F2's 8.06 (4 < 8.06); R3 in none -> 3/4.
  // Coverage: nearest fakes R0 1 < 2 yes; R1 1 < 2 yes; R2 4 < 4 NO (tie); R3 9 < 8 no -> 1/2.
  for (const [engine, linalg] of ENGINES) {
    const got = prdc(HAND_REAL, 4, HAND_FAKE, 3, 2, { k: 1 }, linalg);
    assert.equal(got.precision, 2 / 3, engine);
    assert.equal(got.recall, 3 / 4, engine);
    assert.ok(Math.abs(got.density - 1) <= 1e-15, engine);
    assert.equal(got.coverage, 1 / 2, engine);
  }
});

Deno.test("hand-worked 2-D example, k = 2: precision 1, recall 3/4, density 7/6, coverage 1", () => {
  // Radii (2nd nearest other): real r = [4, sqrt20 = 4.47, sqrt20 = 4.47, 10]; fake s = [8.06, 9, 9].
  // Precision: F0, F1 in R0's ball (1 < 4); F2 in R2's (4 < 4.47) -> 1.
  // Density: F0 in R0 (1 < 4), R1 (1 < 4.47), R2 (4.12 < 4.47), R3 (9 < 10) -> 4;
  //   F1 in R0 (1 < 4), R1 (2.24 < 4.47), not R2 (5), not R3 (10.05) -> 2; F2 in R2 only -> 1.
  //   (4 + 2 + 1) / (2 * 3) = 7/6.
  // Recall: R0, R1, R2 within F0's 8.06 (1, 1, 4.12); R3: 9 > 8.06, 10.05 > 9, 12.81 > 9 -> 3/4.
  // Coverage: R0 1 < 4, R1 1 < 4.47, R2 4 < 4.47, R3 9 < 10 -> 1.
  for (const [engine, linalg] of ENGINES) {
    const got = prdc(HAND_REAL, 4, HAND_FAKE, 3, 2, { k: 2 }, linalg);
    assert.equal(got.precision, 1, engine);
    assert.equal(got.recall, 3 / 4, engine);
    assert.ok(Math.abs(got.density - 7 / 6) <= 1e-15, engine);
    assert.equal(got.coverage, 1, engine);
  }
});

Deno.test("above maxSamples each side uses the rows one RandomState(seed) picks, real side first", () => {
  const n = 130, m = 100, dim = 6, max = 60, seed = 11;
  const real = features(n, dim, 12), fake = features(m, dim, 13, 0.1);
  const rs = new RandomState(seed);
  const pick = (x: Float64Array, idx: Uint32Array) => {
    const out = new Float64Array(idx.length * dim);
    idx.forEach((row, r) => out.set(x.subarray(row * dim, (row + 1) * dim), r * dim));
    return out;
  };
  const realSub = pick(real, rs.choice(n, max, false));
  const fakeSub = pick(fake, rs.choice(m, max, false));
  const got = prdc(real, n, fake, m, dim, { maxSamples: max, seed });
  assertSame(got, naivePrdc(realSub, max, fakeSub, max, dim, 5));
  assert.equal(got.realSamples, max);
  assert.equal(got.fakeSamples, max);
  const full = prdc(real, n, fake, m, dim, { maxSamples: n });
  assert.equal(full.realSamples, n);
  assert.equal(full.fakeSamples, m);
  assertSame(full, naivePrdc(real, n, fake, m, dim, 5));
});

Deno.test("bad k, too few rows, mismatched shapes and non-finite features are refused with codes", () => {
  const real = features(10, 3, 14), fake = features(10, 3, 15);
  const is = (cls: typeof InvalidInputError, code: string) => (e: unknown) =>
    e instanceof cls && e.code === code;
  assert.throws(() => prdc(real, 10, fake, 10, 3, { k: 0 }), is(InvalidInputError, "prdc_bad_k"));
  assert.throws(() => prdc(real, 10, fake, 10, 3, { k: 2.5 }), is(InvalidInputError, "prdc_bad_k"));
  assert.throws(
    () => prdc(real, 10, fake, 10, 3, { maxSamples: 0 }),
    is(InvalidInputError, "prdc_bad_max_samples"),
  );
  assert.throws(() => prdc(real, 10, fake, 10, 3, { seed: -1 }), is(InvalidInputError, "rng_bad_seed"));
  assert.throws(
    () => prdc(real, 10, fake.subarray(0, 15), 5, 3, { k: 5 }),
    (e) => e instanceof UnprocessableError && e.code === "prdc_too_few_samples" && /6 fake/.test(e.message),
  );
  assert.throws(() => prdc(real, 10, fake, 9, 3), is(UnprocessableError, "prdc_bad_shape"));
  assert.throws(() => prdc(real, 10, fake, 10, 4), is(UnprocessableError, "prdc_bad_shape"));
  const bad = fake.slice();
  bad[4] = -Infinity;
  assert.throws(() => prdc(real, 10, bad, 10, 3), is(UnprocessableError, "features_not_finite"));
});

Deno.test("an engine whose products are off by as much as any summation order may be still gives the exact counts", () => {
  // Every Gram entry pushed up or down by nearly the most a product of `dim` terms can differ from the
  // feature-order sum: comparisons near a tie must fall back to the exact distance to come out right.
  const inner = gramEngine({ backend: "ts" });
  let nudged = 0;
  const adversary: GramEngine = {
    name: "adversary",
    kidSubsetSums: inner.kidSubsetSums,
    forEachPanel(a, na, b, nb, dim, rows, symmetric, visit) {
      const norm = (m: Float64Array, i: number) => {
        let s = 0;
        for (let k = 0; k < dim; k++) s += m[i * dim + k] ** 2;
        return s;
      };
      inner.forEachPanel(a, na, b, nb, dim, rows, symmetric, (i0, r, j0, cols, panel, ld) => {
        for (let p = 0; p < r; p++) {
          for (let c = 0; c < cols; c++) {
            const bound = 0.9 * (dim + 4) * 2 ** -53 * (norm(a, i0 + p) + norm(b, j0 + c));
            panel[p * ld + c] += (i0 + p + j0 + c) % 2 ? bound : -bound;
            nudged++;
          }
        }
        visit(i0, r, j0, cols, panel, ld);
      });
    },
  };
  const r = seededRandom(18);
  const n = 40, m = 45, dim = 5;
  // Integer coordinates (ties everywhere) plus exact duplicates of reals among the fakes.
  const real = Float64Array.from({ length: n * dim }, () => Math.floor(r() * 3));
  const fake = Float64Array.from({ length: m * dim }, (_, i) => i < 20 * dim ? real[i] : Math.floor(r() * 3));
  for (const k of [1, 3]) {
    const got = sampleMetrics({ x: fake, nx: m, y: real, ny: n, dim, prdc: { k } }, { engine: adversary })
      .prdc!;
    assertSame(got, naivePrdc(real, n, fake, m, dim, k), `k=${k}`);
  }
  assert.ok(nudged > 0);
});
