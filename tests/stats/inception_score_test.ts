import assert from "node:assert/strict";
import { inceptionScore } from "../../src/stats/inception_score.ts";
import { RandomState } from "../../src/stats/numpy_random.ts";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import { seededRandom } from "../../tools/arrays.ts";

/** Direct textbook IS on already-ordered rows with explicit chunk bounds: exp(E_x KL(p(y|x) || p(y))). */
function naiveIs(logits: number[][], bounds: number[]) {
  const probs = logits.map((row) => {
    const e = row.map(Math.exp); // small logits in these tests: no overflow
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  });
  const scores: number[] = [];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const chunk = probs.slice(bounds[s], bounds[s + 1]);
    const q = chunk[0].map((_, c) => chunk.reduce((acc, p) => acc + p[c], 0) / chunk.length);
    const kl = chunk.map((p) => p.reduce((acc, pc, c) => acc + pc * Math.log(pc / q[c]), 0));
    scores.push(Math.exp(kl.reduce((a, b) => a + b, 0) / chunk.length));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
  return { mean, std };
}

function randomLogits(n: number, c: number, seed: number): number[][] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: c }, () => 4 * r() - 2));
}

const flat = (rows: number[][]) => Float64Array.from(rows.flat());

Deno.test("uniform logits give IS = 1 with zero spread", () => {
  const r = inceptionScore(new Float64Array(50 * 7).fill(3.5), 50, 7, { splits: 5 });
  // KL(p || q) = 0 exactly in real arithmetic; only round-off of log(1/7) remains.
  assert.ok(Math.abs(r.mean - 1) < 1e-14, `${r.mean}`);
  assert.ok(r.std < 1e-14);
});

Deno.test("confident one-hot logits spread evenly over C classes give IS ~ C", () => {
  const C = 8, n = 10 * C * 3;
  const logits = new Float64Array(n * C);
  for (let i = 0; i < n; i++) logits[i * C + (i % C)] = 100; // each chunk of 24 rows holds every class 3 times
  const r = inceptionScore(logits, n, C, { shuffle: false });
  assert.ok(Math.abs(r.mean - C) < 1e-9, `${r.mean}`);
  assert.ok(r.std < 1e-9);
});

Deno.test("hand-computed 2 x 2 case gives 3^(3/4) / 2", () => {
  // Row 0 logits (0, ln 3) -> p = (1/4, 3/4); row 1 (ln 3, 0) -> p = (3/4, 1/4); q = (1/2, 1/2).
  // KL per row = 1/4 ln(1/2) + 3/4 ln(3/2) = 3/4 ln 3 - ln 2, so IS = exp(3/4 ln 3 - ln 2) = 3^(3/4) / 2.
  const r = inceptionScore(new Float64Array([0, Math.log(3), Math.log(3), 0]), 2, 2, {
    splits: 1,
    shuffle: false,
  });
  assert.ok(Math.abs(r.mean - 3 ** 0.75 / 2) < 1e-15, `${r.mean}`);
  assert.equal(r.std, 0);
});

Deno.test("chunks follow Python's i*N//splits bounds (N = 7, splits = 3 -> [0,2), [2,4), [4,7))", () => {
  const rows = randomLogits(7, 4, 1);
  const got = inceptionScore(flat(rows), 7, 4, { splits: 3, shuffle: false });
  const want = naiveIs(rows, [0, 2, 4, 7]);
  assert.ok(Math.abs(got.mean - want.mean) < 1e-13 && Math.abs(got.std - want.std) < 1e-13);
});

Deno.test("shuffle takes rows in RandomState(seed).permutation(N) order, then splits", () => {
  const n = 53, c = 6;
  const rows = randomLogits(n, c, 2);
  const perm = new RandomState(2020).permutation(n);
  const bounds = Array.from({ length: 11 }, (_, i) => Math.floor((i * n) / 10));
  const want = naiveIs(Array.from(perm, (i) => rows[i]), bounds);
  const got = inceptionScore(flat(rows), n, c);
  assert.ok(Math.abs(got.mean - want.mean) < 1e-12, `${got.mean} vs ${want.mean}`);
  assert.ok(Math.abs(got.std - want.std) < 1e-12);
  const unshuffled = inceptionScore(flat(rows), n, c, { shuffle: false });
  assert.notEqual(unshuffled.std, got.std, "shuffling changes the chunks");
  const seed7 = naiveIs(Array.from(new RandomState(7).permutation(n), (i) => rows[i]), bounds);
  assert.ok(Math.abs(inceptionScore(flat(rows), n, c, { seed: 7 }).mean - seed7.mean) < 1e-12);
});

Deno.test("softmax is stable: adding 1000 to every logit changes nothing", () => {
  const rows = randomLogits(40, 5, 3);
  const a = inceptionScore(flat(rows), 40, 5, { splits: 4 });
  const b = inceptionScore(flat(rows.map((r) => r.map((v) => v + 1000))), 40, 5, { splits: 4 });
  assert.ok(Math.abs(a.mean - b.mean) < 1e-12 && Math.abs(a.std - b.std) < 1e-12);
  assert.ok(Number.isFinite(b.mean));
});

Deno.test("float32 logits score like float64 logits holding the same values", () => {
  const f32 = Float32Array.from(randomLogits(30, 4, 4).flat());
  assert.deepEqual(
    inceptionScore(f32, 30, 4, { splits: 3 }),
    inceptionScore(Float64Array.from(f32), 30, 4, { splits: 3 }),
  );
});

Deno.test("bad inputs are rejected with typed errors", () => {
  assert.throws(() => inceptionScore(new Float64Array(9 * 2), 9, 2), UnprocessableError); // fewer rows than splits
  assert.throws(() => inceptionScore(new Float64Array(7), 4, 2, { splits: 2 }), UnprocessableError);
  assert.throws(
    () => inceptionScore(new Float64Array([0, NaN, 0, 0]), 2, 2, { splits: 1 }),
    UnprocessableError,
  );
  assert.throws(() => inceptionScore(new Float64Array(4), 2, 2, { splits: 0 }), InvalidInputError);
});
