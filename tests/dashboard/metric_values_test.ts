/** Which keys are metrics and how their values are read. */
import assert from "node:assert/strict";
import { metricKeys, metricStd, metricValue, orderMetricKeys } from "../../dashboard/metric_values.ts";

Deno.test("numbers and {mean, std} objects are metrics; counts, flags and text are not", () => {
  const p = {
    n: 100,
    at: "t",
    fid: 12.5,
    kid: { mean: 0.01, std: 0.002, subsets: 100, subset_size: 1000 },
    rank_deficient: true,
    note: "x",
    recon_n: 100,
    kl: 3,
    reference: { id: "r", n: 5 },
    bad: NaN,
  };
  assert.deepEqual(metricKeys(p), ["fid", "kid", "kl"]);
  assert.equal(metricValue(p, "kid"), 0.01);
  assert.equal(metricStd(p, "kid"), 0.002);
  assert.equal(metricValue(p, "bad"), null);
  assert.equal(metricValue(null, "fid"), null);
});

Deno.test("FID first, then the known metrics, then the rest alphabetically", () => {
  assert.deepEqual(orderMetricKeys(["zeta", "kl", "fid", "alpha", "kid"]), [
    "fid",
    "kid",
    "kl",
    "alpha",
    "zeta",
  ]);
});
