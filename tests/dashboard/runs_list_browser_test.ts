/// <reference lib="dom" />
/**
 * The runs list and references pages in Chromium against a real server: live values without a reload, tag and
 * text filters, sorting, scroll and selection kept across refreshes, keyboard use, and a reference upload.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeNpz } from "../../src/tensors/npz.ts";
import {
  browserSuite,
  createReference,
  createRun,
  finalizeRun,
  firstRenderMs,
  streamBatch,
} from "./_browser.ts";

browserSuite("runs list and references pages in Chromium", async ({ server, step }) => {
  const ref = await createReference(server);

  await step(
    "runs appear with their latest FID live, filter by tag and text, and sort by a column",
    async ({ page }) => {
      const a = await createRun(server, ref, "alpha", ["model:vae", "seed:1"]);
      const b = await createRun(server, ref, "beta", ["model:gan", "seed:1"]);
      await streamBatch(server, b, 30, 1, 0.8);
      await finalizeRun(server, b);

      await page.goto(`${server.url}/`);
      const ms = await firstRenderMs(page);
      console.log(`first render of the runs list: ${ms.toFixed(0)} ms after navigation start`);
      const rowA = page.locator(`tr[data-run="${a}"]`);
      assert.equal(await rowA.locator('[data-col="fid"]').textContent(), "—");
      assert.match(await page.textContent(`tr[data-run="${b}"]`) ?? "", /finalized/);
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));

      // A batch arrives: within a refresh the row shows samples and FID, on the same page.
      await streamBatch(server, a, 40, 2, 0.1);
      const latest = (await (await fetch(`${server.url}/v1/runs/${a}`)).json()).latest.fid as number;
      await page.waitForFunction(
        (id) => {
          const cell = document.querySelector(`tr[data-run="${id}"] [data-col="fid"]`);
          return cell && cell.textContent !== "—";
        },
        a,
        { timeout: 6000 },
      );
      const shown = Number(await rowA.locator('[data-col="fid"]').textContent());
      assert.ok(Math.abs(shown - latest) <= 5e-4 * latest, `${shown} vs ${latest}`);
      assert.equal(await rowA.locator('[data-col="samples"]').textContent(), "40");
      assert.match(await rowA.textContent() ?? "", /streaming/);
      assert.equal(
        await page.evaluate(() => (window as unknown as { marker: number }).marker),
        1,
        "no reload",
      );

      // Sort by FID ascending (keyboard: focus the header button, press Enter).
      await page.focus("th button.sort:has-text('FID') >> nth=0");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => new URL(location.href).searchParams.get("sort") === "fid");
      const order = await page.locator("tbody tr").evaluateAll((rows) =>
        rows.map((r) => r.getAttribute("data-run"))
      );
      const fidB = (await (await fetch(`${server.url}/v1/runs/${b}`)).json()).latest.fid as number;
      assert.deepEqual(order, latest < fidB ? [a, b] : [b, a]);

      // Tag filter (clicking a chip), then text filter.
      await page.click(`tr[data-run="${a}"] button.tag:has-text("model:vae")`);
      await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
      assert.match(page.url(), /tag=model:vae/);
      await page.selectOption("#runs-tag", "");
      await page.fill("#runs-filter", "bet");
      await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
      assert.equal(await page.locator("tbody tr").getAttribute("data-run"), b);
    },
  );

  await step("refreshes keep the scroll position and the selection", async ({ page }) => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(await createRun(server, ref, `run ${String(i).padStart(2, "0")}`, ["bulk"]));
    }
    await page.setViewportSize({ width: 1280, height: 500 });
    await page.goto(`${server.url}/?tag=bulk&sort=name&dir=asc`);
    await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 30);
    await page.check(`tr[data-run="${ids[20]}"] input[type=checkbox]`);
    await page.evaluate(() => scrollTo(0, 600));
    const y = await page.evaluate(() => scrollY);
    assert.ok(y > 300, `page scrolled (${y})`);
    await streamBatch(server, ids[25], 12, 3);
    await page.waitForFunction(
      (id) => {
        return document.querySelector(`tr[data-run="${id}"] [data-col="samples"]`)?.textContent === "12";
      },
      ids[25],
      { timeout: 6000 },
    );
    assert.equal(await page.evaluate(() => scrollY), y, "scroll position unchanged by the refresh");
    assert.ok(await page.isChecked(`tr[data-run="${ids[20]}"] input[type=checkbox]`), "selection kept");
    assert.match(page.url(), new RegExp(`runs=${ids[20]}`));
    await page.click("a:has-text('Compare 1 selected')");
    await page.waitForURL(/\/compare\?runs=/);
  });

  await step(
    "the references page lists dims and sample counts and uploads a stats .npz",
    async ({ page }) => {
      await page.goto(`${server.url}/references`);
      await page.waitForSelector(`tr[data-reference="${ref}"]`);
      const cells = await page.locator(`tr[data-reference="${ref}"] td`).allTextContents();
      assert.deepEqual(cells.slice(0, 2), ["8", "200"]);

      const d = 3;
      const sigma = new Float64Array(d * d);
      for (let i = 0; i < d; i++) sigma[i * d + i] = 1 + i;
      const npz = encodeNpz({
        mu: { dtype: "float64", shape: [d], data: new Float64Array([0.5, -1, 2]) },
        sigma: { dtype: "float64", shape: [d, d], data: sigma },
      });
      await page.fill("#ref-name", "uploaded stats");
      await page.setInputFiles("#ref-file", {
        name: "stats.npz",
        mimeType: "application/zip",
        buffer: Buffer.from(npz),
      });
      await page.click("button[type=submit]");
      await page.waitForSelector("p.ok");
      assert.match(await page.textContent("p.ok") ?? "", /uploaded stats.*3 dims/);
      const list = (await (await fetch(`${server.url}/v1/references`)).json()).references as {
        name: string;
        dim: number;
      }[];
      assert.ok(list.some((r) => r.name === "uploaded stats" && r.dim === 3));
      await page.waitForSelector("th:has-text('uploaded stats')");

      // A wrong file is refused with the service's message, not a crash.
      await page.fill("#ref-name", "junk");
      await page.setInputFiles("#ref-file", {
        name: "junk.npy",
        mimeType: "application/octet-stream",
        buffer: Buffer.from([1, 2, 3]),
      });
      await page.click("button[type=submit]");
      await page.waitForSelector("form p.error");
    },
  );
});
