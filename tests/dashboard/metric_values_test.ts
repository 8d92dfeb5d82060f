/** Which keys are metrics and how their values are read. */
import assert from "node:assert/strict";
import {
  metricKeys,
  metricLabel,
  metricStd,
  metricValue,
  orderMetricKeys,
  withPrdcFlattened,
} from "../../dashboard/metric_values.ts";

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

Deno.test("finalize's nested prdc becomes four metrics of their own, ordered after IS", () => {
  const final: Record<string, unknown> = {
    n: 50,
    fid: 3,
    mean_pairwise_distance: 1.5,
    prdc: {
      precision: 0.75,
      recall: 0.5,
      density: 0.9,
      coverage: 0.6,
      k: 5,
      real_samples: 80,
      fake_samples: 50,
    },
  };
  const flat = withPrdcFlattened(final);
  assert.equal(flat.prdc, undefined);
  assert.deepEqual(orderMetricKeys(metricKeys(flat)), [
    "fid",
    "precision",
    "recall",
    "density",
    "coverage",
    "mean_pairwise_distance",
  ]);
  assert.deepEqual([flat.precision, flat.recall, flat.density, flat.coverage], [0.75, 0.5, 0.9, 0.6]);
  assert.equal(withPrdcFlattened({ n: 1, fid: 2 }).fid, 2, "a point without prdc is unchanged");
});

Deno.test("FID-infinity's {value, slope, points} reads as its value; labels follow the space's distance", () => {
  const p = { n: 10, fid: 3, fid_infinity: { value: 1.5, slope: 20, points: [[1, 2]] }, cmmd: 0.5, vendi: 4 };
  assert.equal(metricValue(p, "fid_infinity"), 1.5);
  assert.deepEqual(orderMetricKeys(metricKeys(p)), ["fid", "fid_infinity", "cmmd", "vendi"]);
  assert.deepEqual(
    ["fid", "fid_infinity", "cmmd", "vendi"].map((k) => metricLabel(k, "FD_DINOv2")),
    ["FD_DINOv2", "FD_DINOv2∞", "CMMD", "Vendi"],
  );
  assert.equal(metricLabel("fid"), "FID");
});
