/// <reference lib="dom" />
/**
 * The dashboard against a server with FIDSTREAM_AUTH=on: it asks for a key, then reads with it (fetches carry
 * the bearer header, the SSE stream an access_token), and a read key's upload is refused with the server's
 * message.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createApiKey } from "../../functions/auth/api_key.ts";
import { encodeNpz } from "../../src/tensors/npz.ts";
import {
  browserSuite,
  createReference,
  createRun,
  streamBatch,
  useApiKey,
  waitForPoints,
} from "./_browser.ts";

browserSuite("dashboard with API keys in Chromium", async ({ server, step }) => {
  const write = await createApiKey(server.deps.db, "vision", "write");
  const read = await createApiKey(server.deps.db, "vision", "read");
  useApiKey(write.key);
  const ref = await createReference(server);
  const run = await createRun(server, ref, "keyed run", ["seed:1"]);
  await streamBatch(server, run, 12, 1);

  await step(
    "without a key the app asks for one; with a read key it shows the run and streams new points",
    async ({ page }) => {
      await page.goto(`${server.url}/runs/${run}`);
      await page.waitForSelector("#api-key");
      assert.match(await page.textContent("#key-title") ?? "", /needs an API key/);
      assert.match(await page.textContent('[data-testid="key-help"]') ?? "", /\.data\/initial-admin-key/);
      await page.fill("#api-key", read.key);
      await Promise.all([page.waitForEvent("load"), page.click("button:has-text('Use this key')")]);
      assert.equal(await waitForPoints(page, 0), 1);
      await page.waitForSelector('[data-testid="live"]');
      assert.equal(await page.locator("#api-key").count(), 0, "no prompt once the key works");
      await streamBatch(server, run, 15, 2);
      assert.equal(await waitForPoints(page, 1), 2, "the event stream authenticates with the key");
      assert.match(await page.textContent(".key-badge") ?? "", new RegExp(read.key.slice(0, 16)));
    },
  );

  await step(
    "a read key cannot upload a reference: the form shows the server's refusal",
    async ({ page }) => {
      await page.goto(`${server.url}/references`);
      await page.evaluate((k) => sessionStorage.setItem("fidstream.apiKey", k), read.key);
      await page.reload();
      await page.waitForSelector(`tr[data-reference="${ref}"]`);
      const npz = encodeNpz({
        mu: { dtype: "float64", shape: [2], data: new Float64Array([0, 1]) },
        sigma: { dtype: "float64", shape: [2, 2], data: new Float64Array([1, 0, 0, 1]) },
      });
      await page.fill("#ref-name", "not allowed");
      await page.setInputFiles("#ref-file", {
        name: "s.npz",
        mimeType: "application/zip",
        buffer: Buffer.from(npz),
      });
      await page.click("button[type=submit]");
      await page.waitForSelector("form p.error");
      assert.match(await page.textContent("form p.error") ?? "", /write/);
    },
  );
}, { config: { auth: "on" } });
