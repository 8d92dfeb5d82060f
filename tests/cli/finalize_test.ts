/** `cli finalize` against the real service over loopback: phases on stderr as they happen, the final on stdout. */
import assert from "node:assert/strict";
import { startLocalServer } from "../../dashboard/tools/local_server.ts";
import { npyOf, randomFeatures } from "../../tools/arrays.ts";
import { runCli } from "./_cli.ts";
import { looseTest } from "../_support/loose_test.ts";

const D = 6;

looseTest(
  "cli finalize prints each phase as the server announces it, then the final metrics and phase times",
  async () => {
    const server = await startLocalServer();
    const base = server.url;
    const post = async (path: string, body: BodyInit, type: string) => {
      const res = await fetch(`${base}${path}`, { method: "POST", body, headers: { "content-type": type } });
      assert.ok(res.ok, `${path}: ${res.status}`);
      return await res.json();
    };
    try {
      const ref = await post(
        "/v1/references?name=r",
        npyOf(randomFeatures(80, D, 1), 80, D) as BodyInit,
        "application/x-npy",
      );
      const run = await post(
        "/v1/runs",
        JSON.stringify({
          name: "to finalize",
          reference: ref.id,
          config: { kid: { subsets: 5, subset_size: 20 } },
        }),
        "application/json",
      );
      await post(
        `/v1/runs/${run.id}/batches`,
        npyOf(randomFeatures(70, D, 2, 0.2), 70, D) as BodyInit,
        "application/x-npy",
      );

      const out = await runCli(["finalize", "--server", base, "--run", run.id]);
      assert.equal(out.code, 0, out.stderr);
      const stored = await (await fetch(`${base}/v1/runs/${run.id}`)).json();
      assert.deepEqual(out.json?.final, stored.final, "stdout carries the stored final metrics");
      assert.ok(
        typeof stored.final.kid?.mean === "number" && typeof stored.final.prdc?.precision === "number",
      );
      // Every phase, in order, as it began; then their durations.
      const phases = [...out.stderr.matchAll(/^finalize: ([a-z ]+) \(at /gm)].map((m) => m[1]);
      assert.deepEqual(phases, [
        "closing",
        "statistics",
        "fid",
        "vendi",
        "reading features",
        "distances",
        "kid",
        "storing",
      ]);
      const timed = out.json?.phases as { phase: string; seconds: number }[];
      assert.deepEqual(timed.map((p) => p.phase), phases);
      assert.ok(timed.every((p) => p.seconds >= 0));
      assert.match(out.stderr, /finalize: done in [\d.]+ s/);

      // Again: the run is final already, so it answers at once with the same numbers and no phases.
      const again = await runCli(["finalize", "--server", base, "--run", run.id]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(again.json?.final, stored.final);
      assert.deepEqual(again.json?.phases, []);
    } finally {
      await server.close();
    }
  },
);

looseTest("cli finalize names what is missing, and a server's refusal", async () => {
  const missing = await runCli(["finalize", "--run", "x"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--server URL is required/);
  const server = await startLocalServer();
  try {
    const unknown = await runCli(["finalize", "--server", server.url, "--run", "nope"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /HTTP 404/);
  } finally {
    await server.close();
  }
});
