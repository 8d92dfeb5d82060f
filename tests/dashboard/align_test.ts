/** alignSeries: one shared x axis for overlaid runs, nulls where a run has no point. */
import assert from "node:assert/strict";
import { alignSeries } from "../../dashboard/align.ts";

Deno.test("series with different xs share the sorted union of their xs", () => {
  const [x, a, b] = alignSeries([
    { x: [100, 200, 400], y: [9, 8, 7] },
    { x: [150, 200, 300], y: [5, null, 3] },
  ]);
  assert.deepEqual(x, [100, 150, 200, 300, 400]);
  assert.deepEqual(a, [9, null, 8, null, 7]);
  assert.deepEqual(b, [null, 5, null, 3, null]);
});

Deno.test("no series or empty series give empty columns", () => {
  assert.deepEqual(alignSeries([]), [[]]);
  assert.deepEqual(alignSeries([{ x: [], y: [] }]), [[], []]);
});

Deno.test("every input point survives alignment (random series against a naive union)", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const series = Array.from({ length: 6 }, () => {
    const xs = [...new Set(Array.from({ length: 50 }, () => Math.floor(rand() * 200)))].sort((p, q) => p - q);
    return { x: xs, y: xs.map(() => rand()) };
  });
  const [x, ...ys] = alignSeries(series);
  const union = [...new Set(series.flatMap((s) => s.x))].sort((p, q) => p - q);
  assert.deepEqual(x, union);
  series.forEach((s, k) => {
    s.x.forEach((xv, i) => assert.equal(ys[k][x.indexOf(xv)], s.y[i]));
    assert.equal(ys[k].filter((v) => v !== null).length, s.x.length);
  });
});
