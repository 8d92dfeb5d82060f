/// <reference lib="dom" />
/**
 * FID-infinity, Vendi and declared feature spaces in Chromium against a real server: the run page notes
 * FID-infinity while it is pending and draws its points and fitted curve live when the second `final` arrives,
 * saying how many samples bring the distance within 1 of its limit; the Vendi score is charted; every chart
 * names the run's feature space and its distance; the final table exports every number; the compare page
 * never puts runs of two spaces on one axis.
 */
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { runs } from "../../db/schema.ts";
import { insertMetrics, notifyRunMetrics } from "../../db/store/metrics.ts";
import { completeLatestMetrics, completePendingFinal, findRun } from "../../db/store/runs.ts";
import { npyOf, randomFeatures } from "../../tools/arrays.ts";
import type { LocalServer } from "../../dashboard/tools/local_server.ts";
import {
  browserSuite,
  chartPoints,
  createReference,
  createRun,
  D,
  finalizeRun,
  streamBatch,
} from "./_browser.ts";

/** A features reference in a declared space; returns its id. */
async function spaceReference(server: LocalServer, space: string, seed: number): Promise<string> {
  const res = await fetch(`${server.url}/v1/references?name=${seed}&features=${encodeURIComponent(space)}`, {
    method: "POST",
    body: npyOf(randomFeatures(300, D, seed), 300, D) as BodyInit,
    headers: { "content-type": "application/x-npy" },
  });
  assert.equal(res.status, 201);
  return (await res.json()).id;
}

async function storedFinal(server: LocalServer, run: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 500; i++) {
    const final = (await (await fetch(`${server.url}/v1/runs/${run}`)).json()).final;
    if (final && !final.pending) return final;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("no complete final");
}

browserSuite("FID-infinity, Vendi and feature spaces in Chromium", async ({ server, step }) => {
  const ref = await spaceReference(server, "custom:test-space", 1);

  await step(
    "FID-infinity is noted while pending, then drawn live with its reading; Vendi is charted; charts name the space",
    async ({ page }) => {
      const run = await createRun(server, ref, "fid infinity run", [], { kid: false, prdc: false });
      for (let i = 0; i < 4; i++) await streamBatch(server, run, 60, 40 + i);
      await finalizeRun(server, run);
      const complete = await storedFinal(server, run);
      // As the answer left it: the final numbers with FID-infinity still to come.
      const { fid_infinity: fit, ...before } = complete;
      const pendingFinal = { ...before, pending: ["fid_infinity"] };
      await server.deps.db.update(runs).set({ final: pendingFinal }).where(eq(runs.id, run));

      await page.goto(`${server.url}/runs/${run}`);
      await page.waitForSelector('[data-testid="fid-infinity-pending"]');
      assert.match(await page.textContent('[data-testid="fid-infinity-pending"]') ?? "", /FD∞: computing/);
      assert.equal(await page.locator('[data-testid="fid-infinity"]').count(), 0);
      // The history (every partial's Vendi score) may arrive after the page first draws the latest point.
      await page.locator(".chart-title", { hasText: /^Vendi · custom:test-space/ }).first().waitFor({
        timeout: 10_000,
      })
        .catch(() => {});
      const titles = await page.locator(".chart-title").allTextContents();
      assert.ok(titles.some((t) => /^FD · custom:test-space · fid infinity run$/.test(t)), `${titles}`);
      assert.ok(titles.some((t) => /^Vendi · custom:test-space/.test(t)), `a Vendi chart: ${titles}`);
      assert.match(await page.textContent('[data-testid="run-space"]') ?? "", /custom:test-space \(FD\)/);

      // What the job does when it is done: the second final, stored and announced.
      const final = await completePendingFinal(
        server.deps.db,
        run,
        "fid_infinity",
        { fid_infinity: fit },
        new Date().toISOString(),
      );
      await insertMetrics(server.deps.db, run, "final", final as Record<string, unknown> & { n: number });
      await page.waitForSelector('[data-testid="fid-infinity"] .chart-plot');
      await page.waitForSelector('[data-testid="fid-infinity-pending"]', { state: "detached" });
      const f = fit as { value: number; slope: number; points: [number, number][] };
      const plot = '[data-testid="fid-infinity"] .chart-plot';
      assert.equal(Number(await page.getAttribute(plot, "data-series")), 2, "the points and the fit");
      assert.ok(await chartPoints(page, plot) > 15, "the curve is drawn between the 15 measured counts");
      const measured = await page.$eval(plot, (el) => {
        const u = (el as unknown as { uplot: { data: (number | null)[][] } }).uplot;
        return u.data[0].map((x, i) => [x, u.data[1][i]]).filter((p) => p[1] !== null);
      });
      assert.deepEqual(measured, f.points, "the measured points are the API's");
      const reading = await page.textContent('[data-testid="fid-infinity-reading"]') ?? "";
      const within = Math.ceil(f.slope).toLocaleString("en-US");
      assert.ok(
        f.slope > 0
          ? reading.includes(`${within} samples bring FD within 1 of its limit`)
          : /Every/.test(reading),
        reading,
      );
      const cell = await page.textContent('.final-table tr[data-metric="fid_infinity"] td') ?? "";
      assert.ok(Math.abs(parseFloat(cell) - f.value) <= 5e-4 * Math.max(1, Math.abs(f.value)), cell);

      // The final table's export holds every number, FID-infinity's points included.
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(".export-final-csv")]);
      const csv = await Deno.readTextFile((await download.path())!);
      const rows = new Map(csv.trimEnd().split("\r\n").slice(1).map((l) => l.split(",") as [string, string]));
      assert.equal(Number(rows.get("fid_infinity.value")), f.value);
      assert.equal(Number(rows.get("fid_infinity.slope")), f.slope);
      assert.equal(Number(rows.get(`fid_infinity.points.${f.points[3][0]}`)), f.points[3][1]);
      assert.equal(Number(rows.get("vendi")), complete.vendi);
      assert.equal(Number(rows.get("reference.vendi")), (complete.reference as { vendi: number }).vendi);
    },
  );

  await step(
    "a partial FID whose Vendi score is pending keeps the Vendi row, marked computing, until the score arrives",
    async ({ page }) => {
      const run = await createRun(server, ref, "pending vendi run", [], { kid: false, prdc: false });
      await streamBatch(server, run, 40, 90);
      await server.deps.scheduler.idle();
      const row = (await findRun(server.deps.db, run))!;
      const complete = row.latest as Record<string, unknown> & { n: number; at: string };
      assert.equal(typeof complete.vendi, "number");
      // As a D >= 1024 run announces it: the FID first, the Vendi score pending.
      const { vendi: _, ...fidOnly } = complete;
      await server.deps.db.update(runs).set({ latest: { ...fidOnly, pending: ["vendi"] } })
        .where(eq(runs.id, run));
      await notifyRunMetrics(server.deps.db, run);
      await page.goto(`${server.url}/runs/${run}`);
      const vendiRow = '.final-table tr[data-metric="vendi"]';
      await page.waitForSelector(`${vendiRow}[data-pending]`);
      assert.equal((await page.textContent(`${vendiRow} td`))?.trim(), "computing…");

      const later = { ...complete, at: new Date(Date.parse(complete.at) + 1000).toISOString() };
      assert.ok(await completeLatestMetrics(server.deps.db, run, later, row.latestProgress));
      await insertMetrics(server.deps.db, run, "partial", later);
      await page.waitForSelector(`${vendiRow}:not([data-pending])`);
      const cell = await page.textContent(`${vendiRow} td`) ?? "";
      const vendi = complete.vendi as number;
      assert.ok(Math.abs(parseFloat(cell) - vendi) <= 5e-4 * vendi, `${cell} vs ${vendi}`);
    },
  );

  await step(
    "the compare page draws each feature space on its own chart, named after the space",
    async ({ page }) => {
      const other = await createReference(server, 200, 7); // features of no named space, D = 8
      const ids = [
        await createRun(server, ref, "in custom space", ["model:a", "seed:1"]),
        await createRun(server, other, "in unnamed space", ["model:a", "seed:2"]),
        await createRun(server, ref, "in custom space 2", ["model:a", "seed:3"]),
      ];
      for (const [i, id] of ids.entries()) {
        await streamBatch(server, id, 20, 70 + i);
        await streamBatch(server, id, 30, 80 + i);
      }
      await page.goto(`${server.url}/compare?runs=${ids.join(",")}&group=model:`);
      await page.waitForSelector('[data-testid="spaces-note"]');
      const charts = page.locator(".space-chart");
      assert.equal(await charts.count(), 2);
      const bySpace = new Map<string, { title: string; series: number }>();
      for (let i = 0; i < 2; i++) {
        const c = charts.nth(i);
        bySpace.set((await c.getAttribute("data-space"))!, {
          title: (await c.locator(".chart-title").textContent())!,
          series: Number(await c.locator(".chart-plot").getAttribute("data-series")),
        });
      }
      assert.deepEqual(bySpace.get("custom:test-space"), {
        title: "FD · custom:test-space · 2 runs",
        series: 2,
      });
      assert.deepEqual(bySpace.get(`unnamed:${D}`), {
        title: `FID · unnamed space, D = ${D} · 1 runs`,
        series: 1,
      });
      // One tag, two spaces: two groups, never one mean over both.
      await page.waitForSelector(".groups-table caption");
      assert.equal(await page.locator(".groups-table").count(), 2);
      const captions = await page.locator(".groups-table caption").allTextContents();
      assert.deepEqual(captions.sort(), ["FD in custom:test-space", `FID in unnamed space, D = ${D}`]);
      const members = await page.locator('.groups-table[data-space="custom:test-space"] td.num').first()
        .textContent();
      assert.equal(members, "2");
    },
  );
});
