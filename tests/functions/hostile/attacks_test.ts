/**
 * One write key against a real server process (the default: PGlite, auth off = one key for everyone): each attack
 * of the hardening probe gets a clear 4xx, other clients are answered within a second throughout, and the
 * server's memory stays within a stated bound. Before the fix, deep JSON hung PGlite for good, a million empty
 * multipart parts blocked every request for seconds, and claimed Content-Lengths cost 16 MB of RSS each.
 */
import assert from "node:assert/strict";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { startServerProcess } from "../../../tools/server_process.ts";
import {
  claimedBodies,
  createTarget,
  deepConfig,
  manyParts,
  Probe,
  slowHeaders,
  statsBurst,
  statsNpz,
} from "../../../tools/attacks.ts";

/** Other clients must be answered within this while an attack runs. */
const PROBE_LIMIT_MS = 1000;

Deno.test({
  name:
    "attacks of one key get a 4xx while other requests are answered within a second and memory stays bounded",
  ignore: Deno.build.os !== "linux",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const dataDir = await Deno.makeTempDir({ prefix: "fidstream-attacks-" });
    const server = await startServerProcess({
      FIDSTREAM_DATA_DIR: dataDir,
      FIDSTREAM_HEADER_TIMEOUT_MS: "1000",
      FIDSTREAM_BODY_IDLE_TIMEOUT_MS: "2000",
      // One stats decode at a time (each is given 4 x 16 MiB at D = 2048).
      FIDSTREAM_DECODE_MEMORY_BYTES: String(80 * 1024 * 1024),
    });
    const url = server.url;
    try {
      const { refId, runId } = await createTarget(url);
      await statsBurst(url, 1, statsNpz(64));

      await t.step(
        "a config nested 10,000 deep, sent twice: 422 both times, the server keeps answering",
        async () => {
          const probe = await new Probe(url, server.child.pid).start();
          const got = await deepConfig(url, refId, 10_000, 2);
          const { maxLatencyMs } = await probe.stop();
          assert.deepEqual(got, ["422 json_too_deep", "422 json_too_deep"]);
          assert.ok(maxLatencyMs < PROBE_LIMIT_MS, `probe waited ${maxLatencyMs.toFixed(0)} ms`);
          // The database still works: a normal run is created and listed.
          const ok = await deepConfig(url, refId, 30, 1);
          assert.deepEqual(ok, ["201"]);
        },
      );

      await t.step("a batch of 1,000,000 empty multipart parts: 413 at part 4,097, no stall", async () => {
        const probe = await new Probe(url, server.child.pid).start();
        const t0 = performance.now();
        const got = await manyParts(url, runId, 1_000_000);
        const seconds = (performance.now() - t0) / 1000;
        const { maxLatencyMs, rssGrowthMb } = await probe.stop();
        assert.ok(got === "413 too_many_images" || got.startsWith("connection closed"), got);
        assert.ok(maxLatencyMs < PROBE_LIMIT_MS, `probe waited ${maxLatencyMs.toFixed(0)} ms`);
        assert.ok(rssGrowthMb < 150, `RSS grew ${rssGrowthMb.toFixed(0)} MiB`);
        assert.ok(seconds < 20, `${seconds.toFixed(1)} s`);
      });

      await t.step(
        "200 connections claiming 256 MiB and sending 6 bytes: bounded memory, 429 or 408",
        async () => {
          const probe = await new Probe(url, server.child.pid).start();
          const got = await claimedBodies(url, runId, 200, 268_435_000, 8000);
          const { maxLatencyMs, rssGrowthMb } = await probe.stop();
          const counts = Object.groupBy(got, (s) => s);
          // 32 uploads of one key at once: the others are refused at once; those 32 time out without a byte.
          assert.equal(counts["429 too_many_uploads"]?.length, 200 - 32, JSON.stringify(Object.keys(counts)));
          assert.equal(counts["408 body_timeout"]?.length, 32, JSON.stringify(Object.keys(counts)));
          assert.ok(maxLatencyMs < PROBE_LIMIT_MS, `probe waited ${maxLatencyMs.toFixed(0)} ms`);
          assert.ok(rssGrowthMb < 100, `RSS grew ${rssGrowthMb.toFixed(0)} MiB`);
        },
      );

      await t.step("500 half-sent request heads are closed after the header timeout", async () => {
        const probe = await new Probe(url, server.child.pid).start();
        const closed = await slowHeaders(url, 500, 4000);
        const { maxLatencyMs } = await probe.stop();
        assert.equal(closed, 500);
        assert.ok(maxLatencyMs < PROBE_LIMIT_MS, `probe waited ${maxLatencyMs.toFixed(0)} ms`);
      });

      await t.step("four statistics files at once are decoded in turns, off the request thread", async () => {
        const body = statsNpz(2048);
        assert.ok(body.length < 1 << 20, `${body.length} bytes inflate to 16 MiB`);
        // Four files one after another first: what decoding and storing them costs. Four at once must cost about
        // the same memory (they take turns within the decode budget), and nobody else may wait on them.
        const sequential = await new Probe(url, server.child.pid).start();
        for (let i = 0; i < 4; i++) assert.deepEqual(await statsBurst(url, 1, body), ["201"]);
        const oneByOne = await sequential.stop();
        const probe = await new Probe(url, server.child.pid).start();
        const got = await statsBurst(url, 4, body);
        const atOnce = await probe.stop();
        assert.deepEqual(got, ["201", "201", "201", "201"]);
        for (const { maxLatencyMs } of [oneByOne, atOnce]) {
          assert.ok(maxLatencyMs < PROBE_LIMIT_MS, `probe waited ${maxLatencyMs.toFixed(0)} ms`);
        }
        assert.ok(
          atOnce.peakRssMb < oneByOne.peakRssMb + 200,
          `peak RSS one by one ${oneByOne.peakRssMb.toFixed(0)} MiB, four at once ${
            atOnce.peakRssMb.toFixed(0)
          } MiB`,
        );
      });

      // After all of it, the run still takes a batch and counts it once.
      const res = await fetch(`${url}/v1/runs/${runId}/batches`, {
        method: "POST",
        headers: { "content-type": "application/x-npy", "idempotency-key": "after" },
        body: npyOf(randomFeatures(5, 8, 2), 5, 8) as BodyInit,
      });
      assert.deepEqual([res.status, (await res.json()).n], [200, 5]);
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
