/// <reference lib="dom" />
/**
 * The compare page in Chromium against a real server: runs overlaid on one chart, seed groups summarized with
 * the mean and sample standard deviation of their final FIDs (expected values computed here from the API's
 * finals), and dozens of runs with thousands of points each staying fast.
 */
import assert from "node:assert/strict";
import { metrics } from "../../db/schema.ts";
import {
  browserSuite,
  chartPoints,
  createReference,
  createRun,
  finalizeRun,
  firstRenderMs,
  streamBatch,
  waitForPoints,
} from "./_browser.ts";

/** Mean and sample standard deviation, written out plainly. */
function expectedStats(values: number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

/** The displayed value agrees with `want` to the 4 significant digits shown. */
function assertShown(shown: string | null, want: number, what: string) {
  assert.ok(
    shown !== null && Math.abs(Number(shown) - want) <= 5e-4 * Math.abs(want),
    `${what}: ${shown} vs ${want}`,
  );
}

browserSuite("compare page in Chromium", async ({ server, step }) => {
  const ref = await createReference(server);

  await step(
    "seed groups show the mean and sample std of their runs' final FIDs; runs overlay on one chart",
    async ({ page }) => {
      const specs = [
        { name: "a seed 1", tags: ["model:a", "seed:1"], shift: 0.2 },
        { name: "a seed 2", tags: ["model:a", "seed:2"], shift: 0.25 },
        { name: "a seed 3", tags: ["seed:3", "model:a"], shift: 0.32 },
        { name: "b seed 1", tags: ["model:b", "seed:1"], shift: 0.6 },
        { name: "b seed 2", tags: ["model:b", "seed:2"], shift: 0.7 },
      ];
      const ids: string[] = [];
      const finals = new Map<string, number[]>();
      for (const [i, s] of specs.entries()) {
        const id = await createRun(server, ref, s.name, s.tags);
        ids.push(id);
        await streamBatch(server, id, 20, 10 * i + 1, s.shift);
        await streamBatch(server, id, 25 + i, 10 * i + 2, s.shift);
        const fin = await finalizeRun(server, id);
        const model = s.tags.find((t) => t.startsWith("model:"))!;
        finals.set(model, [...(finals.get(model) ?? []), fin.fid as number]);
      }

      await page.goto(`${server.url}/compare?runs=${ids.join(",")}`);
      const ms = await firstRenderMs(page);
      console.log(`first render of the compare page: ${ms.toFixed(0)} ms after navigation start`);
      await page.waitForSelector(".groups-table tbody tr");
      for (const [model, values] of finals) {
        const want = expectedStats(values);
        const row = page.locator(`.groups-table tr[data-group="${model}"]`);
        assert.equal(await row.locator("td").first().textContent(), String(values.length));
        assertShown(await row.locator('[data-col="mean"]').textContent(), want.mean, `${model} mean`);
        assertShown(await row.locator('[data-col="std"]').textContent(), want.std, `${model} std`);
      }
      assert.equal(await page.locator(".groups-table tbody tr").count(), 2);

      // Every run is a series; the shared x axis is the union of their sample counts.
      assert.equal(Number(await page.getAttribute(".chart-plot", "data-series")), specs.length);
      await waitForPoints(page, 0);
      const ns = new Set<number>();
      for (const id of ids) {
        const h = (await (await fetch(`${server.url}/v1/runs/${id}/metrics`)).json()).metrics as {
          n: number;
        }[];
        for (const m of h) ns.add(m.n);
      }
      assert.equal(await chartPoints(page), ns.size);
      const legend = await page.locator(".u-legend .u-series .u-label").allTextContents();
      for (const s of specs) assert.ok(legend.includes(s.name), `legend has ${s.name}: ${legend}`);

      // Another grouping: a single chosen tag.
      await page.fill("#group-spec", "model:b");
      await page.press("#group-spec", "Enter");
      await page.waitForFunction(() => document.querySelectorAll(".groups-table tbody tr").length === 1);
      const b = expectedStats(finals.get("model:b")!);
      assertShown(
        await page.textContent('.groups-table tr[data-group="model:b"] [data-col="mean"]'),
        b.mean,
        "b mean",
      );
      assert.match(page.url(), /group=model:b/, "the grouping is part of the shareable URL");
    },
  );

  await step("dozens of runs with thousands of points each render and redraw quickly", async ({ page }) => {
    const RUNS = 24, POINTS = 2000;
    const ids: string[] = [];
    for (let r = 0; r < RUNS; r++) {
      ids.push(await createRun(server, ref, `bulk ${r}`, [`model:m${r % 4}`, `seed:${r}`]));
    }
    // History rows go straight into the real database: streaming 48k evaluations would take minutes.
    const t0 = Date.now();
    for (const [r, id] of ids.entries()) {
      const rows = Array.from({ length: POINTS }, (_, i) => {
        const n = 50 * (i + 1) + (r % 2) * 25;
        return {
          runId: id,
          n,
          kind: "partial",
          values: { n, fid: 200 / Math.sqrt(i + 1) + r, at: new Date(t0 + i).toISOString() },
        };
      });
      await server.deps.db.insert(metrics).values(rows);
    }
    const nav = performance.now();
    await page.goto(`${server.url}/compare?runs=${ids.join(",")}`);
    const union = 2 * POINTS;
    await page.waitForFunction(
      (n) => Number(document.querySelector(".chart-plot")?.getAttribute("data-points")) === n,
      union,
      {
        timeout: 30_000,
      },
    );
    const fullMs = performance.now() - nav;
    const redrawMs = await page.$eval(".chart-plot", (el) => {
      const u = (el as unknown as {
        uplot: { data: unknown; batch(f: () => void): void; setData(d: unknown, r: boolean): void };
      })
        .uplot;
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        u.batch(() => u.setData(u.data, false));
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[2];
    });
    console.log(
      `${RUNS} runs x ${POINTS} points (${union} x values): chart complete ${
        fullMs.toFixed(0)
      } ms after navigation; ` +
        `one redraw (median of 5) ${redrawMs.toFixed(1)} ms`,
    );
    assert.ok(redrawMs < 250, `a redraw took ${redrawMs.toFixed(0)} ms`);
    assert.ok(fullMs < 20_000, `the chart took ${fullMs.toFixed(0)} ms to fill`);

    // A live point still lands promptly with all of that on screen, and the zoom stays put.
    await page.$eval(
      ".chart-plot",
      (el) =>
        (el as unknown as { uplot: { setScale(k: string, z: unknown): void } }).uplot.setScale("x", {
          min: 1000,
          max: 5000,
        }),
    );
    await page.waitForFunction(() => new URL(location.href).searchParams.get("xmin") === "1000");
    const t1 = performance.now();
    await streamBatch(server, ids[0], 30, 999);
    await waitForPoints(page, union, ".chart-plot");
    console.log(
      `a streamed batch reached the 24-run chart ${(performance.now() - t1).toFixed(0)} ms after upload`,
    );
    const x = await page.$eval(".chart-plot", (el) => {
      const u = (el as unknown as { uplot: { scales: { x: { min: number; max: number } } } }).uplot;
      return [u.scales.x.min, u.scales.x.max];
    });
    assert.deepEqual(x, [1000, 5000]);
  });
});
