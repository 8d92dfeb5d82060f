/** `cli upload` against the real service over loopback: chunked, resumable, never double counting. */
import assert from "node:assert/strict";
import { openPglite } from "../../db/pglite/open.ts";
import { createApp } from "../../functions/app.ts";
import { createDeps, disposeDeps } from "../../functions/deps.ts";
import { frechetDistance } from "../../src/stats/frechet.ts";
import { naiveMeanCov, npyOf, randomFeatures } from "../../tools/arrays.ts";
import { runCli } from "./_cli.ts";
import { looseTest } from "../_support/loose_test.ts";

const D = 5;

looseTest(
  "cli upload sends every file in chunks, and re-running it after an interruption counts nothing twice",
  async () => {
    const database = await openPglite();
    const deps = await createDeps(database, { metricsDelayMs: 10 }, { log: () => {} });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, createApp(deps).fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const dir = await Deno.makeTempDir({ prefix: "fidstream_upload_" });
    try {
      const refData = randomFeatures(60, D, 1);
      const ref = await (await fetch(`${base}/v1/references?name=r`, {
        method: "POST",
        body: npyOf(refData, 60, D) as BodyInit,
        headers: { "content-type": "application/x-npy" },
      })).json();
      const run = await (await fetch(`${base}/v1/runs`, {
        method: "POST",
        body: JSON.stringify({ name: "cli", reference: ref.id }),
        headers: { "content-type": "application/json" },
      })).json();
      const a = randomFeatures(25, D, 2), b = randomFeatures(17, D, 3);
      await Deno.writeFile(`${dir}/a.npy`, npyOf(a, 25, D));
      await Deno.writeFile(`${dir}/b.npy`, npyOf(b, 17, D));

      // An "interrupted" first attempt that only got through a.npy.
      const upload = (...files: string[]) =>
        runCli([
          "upload",
          "--server",
          base,
          "--run",
          run.id,
          "--chunk",
          "10",
          ...files.map((f) => `${dir}/${f}`),
        ]);
      const partial = await upload("a.npy");
      assert.equal(partial.code, 0, partial.stderr);
      assert.equal(partial.json?.n, 25);
      // The full re-run sends a.npy again (replayed, not counted) and then b.npy.
      const full = await upload("a.npy", "b.npy");
      assert.equal(full.code, 0, full.stderr);
      assert.equal(full.json?.n, 42);
      assert.equal(full.json?.batches, 5, "3 chunks of a.npy + 2 of b.npy");

      const final = await (await fetch(`${base}/v1/runs/${run.id}/finalize`, { method: "POST" })).json();
      assert.equal(final.n, 42);
      const gen = new Float32Array([...a, ...b]);
      const r = naiveMeanCov(refData, 60, D), g = naiveMeanCov(gen, 42, D);
      const expected = frechetDistance(r.mu, r.cov, g.mu, g.cov);
      assert.ok(Math.abs(final.fid - expected) <= 1e-9 * expected);

      const refused = await runCli([
        "upload",
        "--server",
        base,
        "--run",
        run.id,
        `${dir}/b.npy`,
        "--chunk",
        "5",
      ]);
      assert.equal(refused.code, 1, "a finalized run refuses new chunks and the CLI says so");
      assert.match(refused.stderr, /finalized|409|reused/);
    } finally {
      await server.shutdown();
      await disposeDeps(deps);
      await database.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
