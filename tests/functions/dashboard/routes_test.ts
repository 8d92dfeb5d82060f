/** The dashboard function: the page shell on every app path, the bundle built on demand, the API untouched. */
import assert from "node:assert/strict";
import { createApp } from "../../../functions/app.ts";
import { createDeps, disposeDeps } from "../../../functions/deps.ts";
import { dashboard } from "../../../functions/dashboard/routes.ts";
import { openPglite } from "../../../db/pglite/open.ts";
import { looseTest } from "../../_support/loose_test.ts";

Deno.test({
  name:
    "GET / and the app's page paths serve the shell; app.js and app.css are the built bundle, gzipped on request",
  fn: async () => {
    // The dashboard's handlers need no dependencies: its sub-app alone answers.
    const app = dashboard;
    for (const path of ["/", "/runs", "/runs/abc-123", "/compare?runs=a,b", "/references"]) {
      const res = await app.request(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /script-src 'self'(;|$)/, "no inline or foreign script");
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers.get("x-frame-options"), "DENY");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      const html = await res.text();
      assert.match(html, /<script type="module" src="\/app\.js">/);
      assert.match(html, /<div id="app">/);
    }
    const js = await app.request("/app.js");
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    const code = await js.text();
    assert.ok(code.length > 20_000, `bundle is ${code.length} bytes`);
    assert.ok(
      !/^\s*import\s/m.test(code),
      "every import is bundled (nothing left for the browser to resolve)",
    );
    assert.ok(code.includes("/v1/runs"), "the bundle talks to the API by same-origin paths");

    const gz = await app.request("/app.js", { headers: { "accept-encoding": "gzip, br" } });
    assert.equal(gz.headers.get("content-encoding"), "gzip");
    const unzipped = await new Response(gz.body!.pipeThrough(new DecompressionStream("gzip"))).text();
    assert.equal(unzipped, code);
    const etag = gz.headers.get("etag")!;
    assert.equal((await app.request("/app.js", { headers: { "if-none-match": etag } })).status, 304);

    const css = await app.request("/app.css");
    assert.equal(css.status, 200);
    const text = await css.text();
    assert.ok(text.includes(".uplot"), "uPlot's stylesheet is bundled into app.css");
    assert.ok(text.includes("prefers-color-scheme: dark"), "dark mode rules are present");
  },
});

looseTest(
  "with the dashboard mounted, API routes and unknown paths answer as before (JSON 404)",
  async () => {
    const database = await openPglite();
    const deps = await createDeps(database, {}, { log: () => {}, compute: "inline" });
    try {
      const app = createApp(deps);
      const runs = await app.request("/v1/runs");
      assert.deepEqual(await runs.json(), { runs: [], next_cursor: null });
      const missing = await app.request("/nope/deeper");
      assert.equal(missing.status, 404);
      assert.ok((await missing.json()).error.code);
      const unknownRun = await app.request("/v1/runs/none");
      assert.equal(unknownRun.status, 404);
    } finally {
      await disposeDeps(deps);
      await database.close();
    }
  },
);
