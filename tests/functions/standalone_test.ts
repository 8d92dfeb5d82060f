/**
 * Each function served alone by `deno serve` (as an edge platform runs them): four separate processes, one per
 * function, on one PostgreSQL, together carry a run from reference to final FID.
 */
import assert from "node:assert/strict";
import { frechetDistance } from "../../src/stats/frechet.ts";
import { naiveMeanCov, npyOf, randomFeatures } from "../../tools/arrays.ts";
import { freshPostgresDatabase, testPostgresUrl } from "../_support/databases.ts";
import { freePort } from "./faults/_harness.ts";

const D = 6;

interface Served {
  url: string;
  child: Deno.ChildProcess;
}

/** `deno serve` of functions/<name>/serve.ts on a free loopback port, once it answers HTTP. */
async function serveAlone(name: string, databaseUrl: string): Promise<Served> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["serve", "-A", "--host", "127.0.0.1", "--port", String(port), `functions/${name}/serve.ts`],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { DATABASE_URL: databaseUrl, FIDSTREAM_AUTH: "off", HOST: "127.0.0.1" },
    // Nothing is read from the child: with pipes nobody drains, a chatty child would block on a full pipe.
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      await (await fetch(`${url}/v1/none`)).body?.cancel();
      return { url, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill("SIGKILL");
  await child.status;
  throw new Error(`deno serve functions/${name}/serve.ts did not answer within 60 s`);
}

async function post(url: string, body: BodyInit, type: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": type, ...headers } });
  const text = await res.text();
  assert.ok(res.status === 200 || res.status === 201, `${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

Deno.test({
  name: testPostgresUrl
    ? "[postgres] references, runs, batches and finalize each served alone by `deno serve` carry a run to its FID"
    : "[postgres] functions served alone by `deno serve` (SKIPPED: no test PostgreSQL)",
  ignore: !testPostgresUrl,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const databaseUrl = await freshPostgresDatabase();
    const names = ["references", "runs", "batches", "finalize"];
    const served: Served[] = [];
    try {
      served.push(...await Promise.all(names.map((n) => serveAlone(n, databaseUrl))));
      const [refs, runs, batches, finalize] = served.map((s) => s.url);
      const refData = randomFeatures(80, D, 1);
      const ref = await post(
        `${refs}/v1/references?name=edge`,
        npyOf(refData, 80, D) as BodyInit,
        "application/x-npy",
      );
      const run = await post(
        `${runs}/v1/runs`,
        JSON.stringify({ name: "edge", reference: ref.id, config: { kid: false } }),
        "application/json",
      );
      // A function serves its own routes only.
      const elsewhere = await fetch(`${batches}/v1/runs/${run.id}`);
      await elsewhere.body?.cancel();
      assert.equal(elsewhere.status, 404);

      const gen = randomFeatures(60, D, 2, 0.5);
      for (let i = 0; i < 6; i++) {
        const part = gen.subarray(i * 10 * D, (i + 1) * 10 * D);
        const receipt = await post(
          `${batches}/v1/runs/${run.id}/batches`,
          npyOf(part, 10, D) as BodyInit,
          "application/x-npy",
          { "idempotency-key": `edge-${i}` },
        );
        assert.equal(receipt.n, 10 * (i + 1));
      }
      const status = await (await fetch(`${runs}/v1/runs/${run.id}`)).json();
      assert.equal(status.n, 60, "the runs process sees what the batches process stored");
      const final = await post(`${finalize}/v1/runs/${run.id}/finalize`, "", "application/json");
      const r = naiveMeanCov(refData, 80, D), g = naiveMeanCov(gen, 60, D);
      const expected = frechetDistance(r.mu, r.cov, g.mu, g.cov);
      assert.equal(final.n, 60);
      assert.ok(
        Math.abs(final.fid - expected) <= 1e-9 * Math.max(1, expected),
        `${final.fid} vs ${expected}`,
      );
    } finally {
      for (const s of served) {
        try {
          s.child.kill("SIGKILL");
        } catch { /* gone */ }
        await s.child.status;
      }
    }
  },
});
