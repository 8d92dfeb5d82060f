/**
 * FID-infinity's sample plan against numpy itself (committed fixture: _numpy_fixture/make_fixture.py), its line
 * fit against closed cases and the normal equations, and the prefix moments / FIDs against numpy-style
 * transcriptions written here: permute, slice, two-pass covariance, Denman-Beavers square root.
 */
import assert from "node:assert/strict";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import {
  FID_INFINITY_POINTS,
  fidInfinity,
  fidInfinitySampleCounts,
  fitFidInfinity,
  prefixBuckets,
  PrefixMoments,
} from "../../src/stats/fid_infinity.ts";
import { frechetDistance } from "../../src/stats/frechet.ts";
import { momentsCovariance, momentsMean } from "../../src/stats/moments.ts";
import { RandomState } from "../../src/stats/numpy_random.ts";
import { naiveMeanCov, randomFeatures, seededRandom } from "../../tools/arrays.ts";
import { denmanBeaversSqrt, matmul, relDiff } from "./linalg_oracles.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("./_numpy_fixture/fid_infinity.json", import.meta.url)),
) as {
  permutations: { n: number; sha256: string; head: number[]; tail: number[] }[];
  schedule_ns: number[];
  schedules_sha256: string;
  schedules: Record<string, number[]>;
};

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Little-endian bytes of 32-bit integers (this host is little-endian, as the fixture's bytes are). */
function leBytes(a: Uint32Array | Int32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setUint32(4 * i, a[i] >>> 0, true);
  return out;
}

Deno.test("RandomState(0).permutation(N) is numpy's, entry for entry, up to N = 1,000,003", async () => {
  for (const want of fixture.permutations) {
    const p = new RandomState(0).permutation(want.n);
    assert.deepEqual(Array.from(p.subarray(0, 8)), want.head, `N = ${want.n} head`);
    assert.deepEqual(Array.from(p.subarray(Math.max(0, p.length - 8))), want.tail, `N = ${want.n} tail`);
    assert.equal(await sha256Hex(leBytes(p)), want.sha256, `N = ${want.n}: every entry`);
  }
});

Deno.test("the 15 sample counts are np.linspace(N // 10, N, 15).astype(np.int32), bit for bit", async () => {
  for (const [n, want] of Object.entries(fixture.schedules)) {
    assert.deepEqual(Array.from(fidInfinitySampleCounts(Number(n))), want, `N = ${n}`);
  }
  const all = fixture.schedule_ns.map((n) => leBytes(fidInfinitySampleCounts(n)));
  const joined = new Uint8Array(all.reduce((s, a) => s + a.length, 0));
  let at = 0;
  for (const a of all) joined.set(a, (at += a.length) - a.length);
  assert.equal(await sha256Hex(joined), fixture.schedules_sha256, `${fixture.schedule_ns.length} N`);
  assert.deepEqual(
    Array.from(fidInfinitySampleCounts(50_000)).filter((_, i) => i === 0 || i === 14),
    [5000, 50000],
    "the paper's 5,000 .. 50,000",
  );
});

Deno.test("fewer than 150 samples, or a count that is no integer, is refused", () => {
  for (const n of [0, 149, 150.5, -1, 2 ** 31]) {
    assert.throws(() => fidInfinitySampleCounts(n), InvalidInputError, `N = ${n}`);
  }
  assert.equal(fidInfinitySampleCounts(150)[0], 15);
});

Deno.test("FID_k exactly a + b / N_k gives back a and b", () => {
  const counts = Array.from(fidInfinitySampleCounts(50_000));
  for (const [a, b] of [[3.25, 41_000], [0, 1], [112.5, -300], [7, 0]]) {
    const fit = fitFidInfinity(counts.map((n) => [n, a + b / n]));
    assert.ok(Math.abs(fit.value - a) <= 1e-12 * Math.max(1, Math.abs(a)) + 1e-9, `a ${fit.value} vs ${a}`);
    assert.ok(relDiff(fit.slope, b, 1) <= 1e-9, `b ${fit.slope} vs ${b}`);
  }
});

Deno.test("the fit is the least-squares line in 1 / N (the normal equations, solved here by Cramer's rule)", () => {
  const r = seededRandom(5);
  const counts = Array.from(fidInfinitySampleCounts(12_345));
  const points = counts.map((n) => [n, 4 + 900 / n + (r() - 0.5)] as [number, number]);
  // [m, Sx; Sx, Sxx] [a; b] = [Sy; Sxy] with x = 1/N.
  let sx = 0, sxx = 0, sy = 0, sxy = 0;
  for (const [n, y] of points) (sx += 1 / n, sxx += 1 / n ** 2, sy += y, sxy += y / n);
  const m = points.length, det = m * sxx - sx * sx;
  const a = (sy * sxx - sx * sxy) / det, b = (m * sxy - sx * sy) / det;
  const fit = fitFidInfinity(points);
  assert.ok(relDiff(fit.value, a) < 1e-9, `${fit.value} vs ${a}`);
  assert.ok(relDiff(fit.slope, b) < 1e-9, `${fit.slope} vs ${b}`);
  assert.throws(() => fitFidInfinity([[10, 1]]), InvalidInputError);
  assert.throws(() => fitFidInfinity([[10, 1], [10, 2]]), InvalidInputError);
});

Deno.test("each row's bucket is the first prefix p[:N_k] that holds it", () => {
  const n = 1000, counts = fidInfinitySampleCounts(n);
  const perm = new RandomState(0).permutation(n);
  const bucket = prefixBuckets(n, counts);
  for (let k = 0; k < FID_INFINITY_POINTS; k++) {
    const inPrefix = new Set(Array.from(perm.subarray(0, counts[k])));
    for (let r = 0; r < n; r++) assert.equal(bucket[r] <= k, inPrefix.has(r), `row ${r}, prefix ${k}`);
  }
});

/** FID of N(mu1, S1) and N(mu2, S2) written out: |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2). */
function fidOracle(mu1: Float64Array, s1: Float64Array, mu2: Float64Array, s2: Float64Array, d: number) {
  const root = denmanBeaversSqrt(matmul(s1, s2, d, d, d), d);
  let v = 0;
  for (let i = 0; i < d; i++) {
    v += (mu1[i] - mu2[i]) ** 2 + s1[i * d + i] + s2[i * d + i] - 2 * root[i * d + i];
  }
  return v;
}

Deno.test("prefix moments and FIDs equal numpy's recipe: permute, take p[:N_k], cov, FID", () => {
  const n = 437, d = 6;
  const x = randomFeatures(n, d, 11, 3);
  const ref = naiveMeanCov(randomFeatures(4000, d, 12, 3), 4000, d);
  const acc = new PrefixMoments(n, d, "ts");
  const r = seededRandom(13);
  while (acc.rowsSeen < n) {
    const rows = Math.min(n - acc.rowsSeen, 1 + Math.floor(r() * 60));
    acc.add(x.subarray(acc.rowsSeen * d, (acc.rowsSeen + rows) * d), rows);
  }
  const perm = new RandomState(0).permutation(n);
  const permuted = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) permuted[i * d + j] = x[perm[i] * d + j];
  const counts = Array.from(fidInfinitySampleCounts(n));
  const result = fidInfinity(acc, (m) => {
    const want = naiveMeanCov(permuted, m.n, d);
    const mu = momentsMean(m), cov = momentsCovariance(m);
    for (let j = 0; j < d; j++) assert.ok(Math.abs(mu[j] - want.mu[j]) < 1e-12, `mean at N = ${m.n}`);
    for (let j = 0; j < d * d; j++) assert.ok(Math.abs(cov[j] - want.cov[j]) < 1e-12, `cov at N = ${m.n}`);
    return frechetDistance(ref.mu, ref.cov, mu, cov);
  });
  assert.deepEqual(result.points.map((p) => p[0]), counts);
  for (const [nk, fid] of result.points) {
    const want = naiveMeanCov(permuted, nk, d);
    const oracle = fidOracle(ref.mu, ref.cov, want.mu, want.cov, d);
    assert.ok(relDiff(fid, oracle) < 1e-8, `FID at N = ${nk}: ${fid} vs ${oracle}`);
  }
  const fit = fitFidInfinity(result.points);
  assert.deepEqual([result.value, result.slope], [fit.value, fit.slope]);
  // Same distribution on both sides: FID is mostly sampling bias, falling with N towards a limit below it.
  assert.ok(result.slope > 0 && result.points[0][1] > 5 * result.points[14][1], JSON.stringify(result));
  assert.ok(result.value < result.points[14][1], "the limit lies below the full-sample FID");
});

Deno.test("prefixes need every row, and refuse rows past N", () => {
  const acc = new PrefixMoments(150, 2);
  acc.add(new Float64Array(2 * 149).map((_, i) => i % 7), 149);
  assert.throws(() => acc.prefixes().next(), UnprocessableError);
  assert.throws(() => acc.add(new Float64Array(4), 2), InvalidInputError);
  assert.throws(() => acc.add(new Float64Array(3), 1), InvalidInputError);
  acc.add(Float64Array.of(1, 2), 1);
  assert.equal([...acc.prefixes()].length, 15);
});
