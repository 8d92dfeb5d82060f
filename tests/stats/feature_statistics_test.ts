/** An owner's statistics: the rows' moments and the unit rows' moments, merged together, unknown stays unknown. */
import assert from "node:assert/strict";
import {
  batchStatistics,
  cloneStatistics,
  emptyStatistics,
  mergeStatisticsInto,
} from "../../src/stats/feature_statistics.ts";
import { momentsCovariance, momentsMean } from "../../src/stats/moments.ts";
import { naiveMeanCov, randomFeatures } from "../../tools/arrays.ts";

Deno.test("merged batch statistics are the moments of all rows and of all unit rows", () => {
  const n = 40, d = 5;
  const x = randomFeatures(n, d, 3, 2);
  const s = emptyStatistics(d);
  mergeStatisticsInto(s, batchStatistics(x.subarray(0, 15 * d), 15, d, "ts"));
  mergeStatisticsInto(s, batchStatistics(x.subarray(15 * d), n - 15, d, "ts"));
  const rows = naiveMeanCov(x, n, d);
  const unit = Float64Array.from(x);
  for (let i = 0; i < n; i++) {
    const norm = Math.hypot(...unit.subarray(i * d, (i + 1) * d));
    for (let j = 0; j < d; j++) unit[i * d + j] /= norm;
  }
  const units = naiveMeanCov(unit, n, d);
  const close = (a: Float64Array, b: Float64Array) =>
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12));
  close(momentsMean(s.moments), rows.mu);
  close(momentsCovariance(s.moments), rows.cov);
  close(momentsMean(s.unit!), units.mu);
  close(momentsCovariance(s.unit!), units.cov);
  const copy = cloneStatistics(s);
  copy.unit!.comoment[0] += 1;
  assert.notEqual(copy.unit!.comoment[0], s.unit!.comoment[0], "a deep copy");
});

Deno.test("unknown unit moments on either side make the merged ones unknown; the rows' moments still merge", () => {
  const d = 3;
  const a = batchStatistics(randomFeatures(4, d, 1), 4, d);
  const b = { ...batchStatistics(randomFeatures(6, d, 2), 6, d), unit: null };
  mergeStatisticsInto(a, b);
  assert.deepEqual([a.moments.n, a.unit], [10, null]);
  const c = { ...emptyStatistics(d), unit: null };
  mergeStatisticsInto(c, batchStatistics(randomFeatures(2, d, 3), 2, d));
  assert.deepEqual([c.moments.n, c.unit], [2, null]);
});
