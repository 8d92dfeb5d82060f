/**
 * Partial metrics over HTTP, on PGlite and PostgreSQL: from PENDING_VENDI_MIN_DIM on the FID goes out before the
 * Vendi score (marked pending), then the complete snapshot follows at the same n, and only that one enters the
 * history; below it, one snapshot. The Vendi score is held back by a gate in front of the real computation, so
 * the order is observed, not raced.
 */
import assert from "node:assert/strict";
import { frechetDistance } from "../../../src/stats/frechet.ts";
import { naiveMeanCov, npyOf, randomFeatures } from "../../../tools/arrays.ts";
import { PENDING_VENDI_MIN_DIM } from "../../../engine/pipeline/run_metrics.ts";
import { vendiOracle } from "../../_support/metric_oracles.ts";
import { postJson, postNpy, readEvents, testEachService, type TestService } from "../../_support/service.ts";

const D = PENDING_VENDI_MIN_DIM;

function close(actual: unknown, expected: number, rel = 1e-9) {
  assert.ok(
    typeof actual === "number" && Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)),
    `${actual} != ${expected}`,
  );
}

/** Makes the service's Vendi score wait for `release`; `called` resolves once an evaluation is waiting there. */
function holdVendi(s: TestService): { release: () => void; called: Promise<void> } {
  const compute = s.deps.compute;
  const vendi = compute.vendi.bind(compute);
  let release!: () => void, entered!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const called = new Promise<void>((r) => entered = r);
  compute.vendi = async (unit) => {
    entered();
    await gate;
    return await vendi(unit);
  };
  return { release, called };
}

async function runState(s: TestService, runId: string) {
  return (await (await s.request(`/v1/runs/${runId}`)).json()).latest;
}

async function waitForLatest(
  s: TestService,
  runId: string,
  ok: (latest: Record<string, unknown>) => boolean,
) {
  for (let i = 0; i < 500; i++) {
    const latest = await runState(s, runId);
    if (latest && ok(latest)) return latest;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the expected metrics never arrived");
}

testEachService(
  "at D >= 1024 a partial FID goes out before its Vendi score, which follows at the same n and alone is stored",
  async (s) => {
    const refRows = randomFeatures(40, D, 1);
    const ref = await (await postNpy(s, "/v1/references?name=r", npyOf(refRows, 40, D))).json();
    const run = await (await postJson(s, "/v1/runs", { name: "g", reference: ref.id })).json();
    const { release } = holdVendi(s);
    const rows = randomFeatures(30, D, 2, 0.2);
    assert.equal((await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(rows, 30, D), "a")).status, 200);

    const first = await waitForLatest(s, run.id, (l) => l.n === 30);
    const r = naiveMeanCov(refRows, 40, D), g = naiveMeanCov(rows, 30, D);
    close(first.fid, frechetDistance(r.mu, r.cov, g.mu, g.cov));
    assert.deepEqual(first.pending, ["vendi"]);
    assert.equal(first.vendi, undefined, "no Vendi score before it is computed");
    const history = async () => (await (await s.request(`/v1/runs/${run.id}/metrics`)).json()).metrics;
    assert.deepEqual(await history(), [], "a snapshot with work pending is not stored in the history");

    // A client that connects now gets the FID-only snapshot, then the complete one.
    const stream = await s.request(`/v1/runs/${run.id}/events`);
    const events = readEvents(stream, (e) => e.event === "metrics" && !JSON.parse(e.data).pending);
    release();
    const seen = (await events).map((e) => JSON.parse(e.data));
    assert.deepEqual(seen.map((m) => [m.n, m.pending ?? null]), [[30, ["vendi"]], [30, null]]);
    const complete = seen[1];
    // `at` is each snapshot's event id: the complete one's is later, so a client holding the first still gets it.
    assert.ok(Date.parse(complete.at) > Date.parse(first.at), "the complete snapshot is the later one");
    assert.equal(complete.fid, first.fid);
    close(complete.vendi, vendiOracle(rows, 30, D));

    await s.deps.scheduler.idle();
    const stored = await history();
    assert.deepEqual(stored, [{ ...complete, kind: "partial" }], "one row, the complete snapshot");
  },
);

testEachService("below that dimension the FID and the Vendi score go out together, once", async (s) => {
  const d = PENDING_VENDI_MIN_DIM - 1;
  const refRows = randomFeatures(20, d, 3);
  const ref = await (await postNpy(s, "/v1/references?name=r", npyOf(refRows, 20, d))).json();
  const run = await (await postJson(s, "/v1/runs", { name: "g", reference: ref.id })).json();
  const { release, called } = holdVendi(s);
  const rows = randomFeatures(10, d, 4, 0.2);
  assert.equal((await postNpy(s, `/v1/runs/${run.id}/batches`, npyOf(rows, 10, d), "a")).status, 200);
  await called; // the FID is computed by now
  assert.equal(await runState(s, run.id), null, "nothing is announced while the Vendi score is computed");
  release();
  await s.deps.scheduler.idle();
  const latest = await runState(s, run.id);
  assert.equal(latest.pending, undefined);
  close(latest.vendi, vendiOracle(rows, 10, d));
});
