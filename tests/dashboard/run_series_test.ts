/** RunSeries: sorted unique n, one point per n (final beats partial), columns for every metric key. */
import assert from "node:assert/strict";
import { lowerBound, RunSeries } from "../../dashboard/run_series.ts";

Deno.test("points arriving out of order end up sorted by n with aligned columns", () => {
  const s = new RunSeries();
  s.add({ n: 300, fid: 3, at: "t3" });
  s.add({ n: 100, fid: 10, at: "t1" });
  s.add({ n: 200, fid: 5, at: "t2", kid: 0.5 });
  assert.deepEqual(s.n, [100, 200, 300]);
  assert.deepEqual(s.columns.get("fid"), [10, 5, 3]);
  assert.deepEqual(s.columns.get("kid"), [null, 0.5, null]);
  assert.equal(s.last()?.n, 300);
});

Deno.test("the same point twice (history and live event) is counted once", () => {
  const s = new RunSeries();
  assert.equal(s.add({ n: 100, fid: 10, at: "t1", kind: "partial" }), true);
  const v = s.version;
  assert.equal(s.add({ n: 100, fid: 10, at: "t1", kind: "partial" }), false);
  assert.equal(s.version, v);
  assert.equal(s.n.length, 1);
});

Deno.test("a final result replaces the partial one at the same n, and a later partial does not undo it", () => {
  const s = new RunSeries();
  s.add({ n: 500, fid: 4, at: "t1", kind: "partial" });
  s.add({ n: 500, fid: 3.9, at: "t2", kind: "final", kid: { mean: 0.02, std: 0.001 } });
  s.add({ n: 500, fid: 4.1, at: "t3", kind: "partial" });
  assert.deepEqual(s.n, [500]);
  assert.deepEqual(s.columns.get("fid"), [3.9]);
  assert.deepEqual(s.columns.get("kid"), [0.02], "{mean, std} metrics chart their mean");
});

Deno.test("sample counts, timestamps and nested references are not metrics", () => {
  const s = new RunSeries();
  s.add({
    n: 10,
    fid: 1,
    at: "t",
    recon_n: 10,
    reference: { id: "r", n: 5 },
    rank_deficient: true,
    recon_bce: 0.3,
  });
  assert.deepEqual(s.keys().sort(), ["fid", "recon_bce"]);
});

Deno.test("appending thousands of increasing points stays linear", () => {
  const s = new RunSeries();
  const t0 = performance.now();
  for (let i = 1; i <= 20_000; i++) s.add({ n: i * 100, fid: 1000 / i, at: `t${i}` });
  const ms = performance.now() - t0;
  assert.equal(s.n.length, 20_000);
  assert.equal(s.columns.get("fid")![19_999], 1000 / 20_000);
  assert.ok(ms < 1000, `20k appends took ${ms.toFixed(0)} ms`);
});

Deno.test("lowerBound finds the first index not below x", () => {
  const a = [1, 3, 3, 7];
  for (const [x, want] of [[0, 0], [1, 0], [2, 1], [3, 1], [4, 3], [7, 3], [8, 4]]) {
    assert.equal(lowerBound(a, x), want, `x=${x}`);
  }
});
