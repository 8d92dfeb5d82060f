/** Chart export: CSV quoting, every plotted value at full precision, JSON points per series. */
import assert from "node:assert/strict";
import { chartToCsv, chartToJson, csvField, metricsToCsv, toCsv } from "../../dashboard/csv.ts";

Deno.test("fields with commas, quotes or newlines are quoted, quotes doubled", () => {
  assert.equal(csvField('vae "big", seed 1'), '"vae ""big"", seed 1"');
  assert.equal(csvField("a\nb"), '"a\nb"');
  assert.equal(csvField(null), "");
  assert.equal(csvField(NaN), "");
  assert.equal(toCsv(["a", "b"], [[1, "x"]]), "a,b\r\n1,x\r\n");
});

Deno.test("chart CSV has one row per x, full-precision values and empty cells for gaps", () => {
  const csv = chartToCsv({
    xLabel: "n",
    x: [100, 200],
    series: [{ label: "run, one", y: [0.1 + 0.2, null] }, { label: "b", y: [1 / 3, 2] }],
  });
  const lines = csv.trimEnd().split("\r\n");
  assert.deepEqual(lines, ['n,"run, one",b', `100,${0.1 + 0.2},${1 / 3}`, "200,,2"]);
  assert.equal(Number(lines[1].split(",")[1]), 0.1 + 0.2, "values round-trip exactly");
});

Deno.test("chart JSON lists each series' own points only", () => {
  const json = JSON.parse(chartToJson({
    xLabel: "n",
    x: [1, 2, 3],
    series: [{ label: "a", id: "r1", y: [5, null, 7] }],
  }));
  assert.deepEqual(json, { x: "n", series: [{ label: "a", id: "r1", points: [[1, 5], [3, 7]] }] });
});

Deno.test("a final's export flattens nested numbers and lists FID-infinity's points by N", () => {
  const final = {
    n: 300,
    fid: 2.5,
    at: "2026-01-01T00:00:00Z",
    vendi: 7.25,
    reference: { id: "r", n: 500, vendi: 9.5 },
    kid: { mean: 0.01, std: 0.002 },
    cmmd: 0.125,
    fid_infinity: { value: 1.75, slope: 240, points: [[30, 9.75], [300, 2.5]] },
    pending: ["x"],
  };
  const csv = metricsToCsv(final);
  assert.deepEqual(csv.trimEnd().split("\r\n"), [
    "metric,value",
    "n,300",
    "fid,2.5",
    "at,2026-01-01T00:00:00Z",
    "vendi,7.25",
    "reference.id,r",
    "reference.n,500",
    "reference.vendi,9.5",
    "kid.mean,0.01",
    "kid.std,0.002",
    "cmmd,0.125",
    "fid_infinity.value,1.75",
    "fid_infinity.slope,240",
    "fid_infinity.points.30,9.75",
    "fid_infinity.points.300,2.5",
  ]);
});
