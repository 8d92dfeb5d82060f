/**
 * What finalize adds beyond FID, over HTTP on PGlite and PostgreSQL: the Vendi score of the run and of its
 * reference (also in every partial), and CMMD where the reference lives in a CLIP space, each against the
 * published recipe written out in tests/_support/metric_oracles.ts.
 */
import assert from "node:assert/strict";
import { npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { cmmdOracle, unitEmbeddings, vendiOracle } from "../../_support/metric_oracles.ts";
import { postJson, postNpy, readEvents, testEachService, type TestService } from "../../_support/service.ts";

function close(actual: unknown, expected: number, rel = 1e-9) {
  assert.ok(
    typeof actual === "number" && Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)),
    `${actual} != ${expected}`,
  );
}

async function reference(s: TestService, rows: Float32Array, n: number, d: number, space?: string) {
  const query = space ? `&features=${encodeURIComponent(space)}` : "";
  const res = await postNpy(s, `/v1/references?name=r${query}`, npyOf(rows, n, d));
  assert.equal(res.status, 201);
  return await res.json();
}

async function finalizeWithPhases(s: TestService, runId: string) {
  const stream = await s.request(`/v1/runs/${runId}/events`);
  const events = readEvents(stream, (e) => e.event === "final");
  const final = await (await s.request(`/v1/runs/${runId}/finalize`, { method: "POST" })).json();
  const phases = (await events).filter((e) => e.event === "progress").map((e) => JSON.parse(e.data).phase);
  return { final, phases };
}

testEachService(
  "partial metrics and the final carry the Vendi score of the run and of its reference",
  async (s) => {
    const d = 7;
    const refRows = randomFeatures(90, d, 1, -0.4);
    const ref = await reference(s, refRows, 90, d);
    const run = await (await postJson(s, "/v1/runs", { name: "v", reference: ref.id })).json();
    const rows = randomFeatures(50, d, 2, -0.3);
    await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(rows.slice(0, 20 * d), 20, d), "a");
    const first = await readEvents(
      await s.request(`/v1/runs/${run.id}/events`),
      (e) => e.event === "metrics",
    );
    const partial = JSON.parse(first[0].data);
    assert.equal(partial.n, 20);
    close(partial.vendi, vendiOracle(rows, 20, d));
    await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(rows.slice(20 * d), 30, d), "b");
    const { final, phases } = await finalizeWithPhases(s, run.id);
    close(final.vendi, vendiOracle(rows, 50, d));
    close(final.reference.vendi, vendiOracle(refRows, 90, d));
    assert.deepEqual(phases.slice(0, 4), ["closing", "statistics", "fid", "vendi"]);
    const view = await (await s.request(`/v1/references/${ref.id}`)).json();
    close(view.vendi, vendiOracle(refRows, 90, d));
  },
);

testEachService(
  "in a CLIP space finalize adds CMMD (the published estimator); elsewhere it does not",
  async (s) => {
    const d = 768;
    const refRows = unitEmbeddings(randomFeatures, 40, d, 3, 0);
    const rows = unitEmbeddings(randomFeatures, 36, d, 4, 0.02);
    const clip = await reference(s, refRows, 40, d, "clip-vitl14-336");
    const want = cmmdOracle(rows, 36, refRows, 40, d);
    const cases: [string, Record<string, unknown>, number | undefined, boolean][] = [
      [clip.id, {}, want, false], // PRDC's rows are CMMD's: one Gram product serves both, no phase of its own
      [clip.id, { prdc: false, kid: false }, want, true],
      [clip.id, { cmmd: false }, undefined, false],
      [(await reference(s, refRows, 40, d, "custom:clip-elsewhere")).id, {}, undefined, false],
      [(await reference(s, refRows, 40, d)).id, {}, undefined, false],
    ];
    for (const [i, [refId, config, expected, ownPhase]] of cases.entries()) {
      const run = await (await postJson(s, "/v1/runs", { name: `c${i}`, reference: refId, config })).json();
      await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(rows, 36, d), "x");
      const { final, phases } = await finalizeWithPhases(s, run.id);
      if (expected === undefined) assert.equal(final.cmmd, undefined, `case ${i}`);
      else close(final.cmmd, expected, 1e-8);
      assert.equal(phases.includes("cmmd"), ownPhase, `case ${i}: ${phases}`);
    }
    const bad = await postJson(s, "/v1/runs", {
      name: "b",
      reference: clip.id,
      config: { cmmd: { seed: -1 } },
    });
    assert.equal((await bad.json()).error.code, "bad_cmmd_config");
  },
);
