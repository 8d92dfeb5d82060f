/** The FID-infinity chart's columns and its reading of the fit. */
import assert from "node:assert/strict";
import { asFidInfinity, fidInfinityColumns, samplesWithinOne } from "../../dashboard/fid_infinity_chart.tsx";

Deno.test("the measured points sit at their N among 48 more N, and the curve is a + b / N everywhere", () => {
  const fit = { value: 2, slope: 900, points: [[100, 11.1], [550, 3.6], [1000, 2.9]] as [number, number][] };
  const cols = fidInfinityColumns(fit);
  assert.equal(cols.x.length, 3 + 47);
  assert.deepEqual(cols.x, [...cols.x].sort((a, b) => a - b));
  assert.deepEqual([cols.x[0], cols.x[cols.x.length - 1]], [100, 1000]);
  assert.deepEqual(cols.measured.filter((v) => v !== null), [11.1, 3.6, 2.9]);
  for (const [i, n] of cols.x.entries()) assert.ok(Math.abs(cols.line[i] - (2 + 900 / n)) < 1e-12);
});

Deno.test("FID comes within 1 of its limit from N = ceil(b) samples; malformed objects are not fits", () => {
  assert.equal(samplesWithinOne({ value: 1, slope: 899.2, points: [] }), 900);
  assert.equal(samplesWithinOne({ value: 1, slope: -5, points: [] }), 0);
  assert.equal(asFidInfinity({ value: 1, slope: 2, points: [[1, 2]] }), null, "one point is no line");
  assert.equal(asFidInfinity({ value: "1", slope: 2, points: [[1, 2], [2, 3]] }), null);
  assert.equal(asFidInfinity(null), null);
  assert.ok(asFidInfinity({ value: 1, slope: 2, points: [[1, 2], [2, 3]] }));
});
