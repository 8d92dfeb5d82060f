import assert from "node:assert/strict";
import type { MetricPoint, Run } from "../../dashboard/api.ts";
import { markFinalizing, mergePoint, newerRun } from "../../dashboard/run_updates.ts";

const run = (over: Partial<Run> = {}): Run => ({
  id: "r1",
  name: "run",
  reference: "ref",
  dim: 4,
  tags: [],
  status: "streaming",
  n: 100,
  retain_features: true,
  latest: null,
  final: null,
  created_at: "2026-12-05T00:00:00Z",
  updated_at: "2026-12-05T00:00:00Z",
  ...over,
});
const point = (kind: "partial" | "final", n: number, fid: number): MetricPoint => ({
  kind,
  n,
  fid,
  at: "2026-12-05T00:00:01Z",
});

Deno.test("a row fetched before the finalize began does not take back the finalizing status the events showed", () => {
  const held = markFinalizing(run());
  assert.equal(held.status, "finalizing");
  const stale = run({ n: 120, latest: point("partial", 120, 9) });
  const got = newerRun(held, stale);
  assert.equal(got.status, "finalizing");
  assert.equal(got.n, 120, "the rest of the fetched row is taken");
  assert.deepEqual(got.latest, stale.latest);
});

Deno.test("a stale row keeps the final metrics a live final event brought", () => {
  const final = point("final", 120, 7.5);
  const held = mergePoint(run(), final);
  assert.equal(held.status, "finalized");
  const got = newerRun(held, run({ status: "finalizing", n: 120 }));
  assert.equal(got.status, "finalized");
  assert.deepEqual(got.final, final);
});

Deno.test("a row as far along or further replaces the held one, and another run's row is taken as is", () => {
  const held = markFinalizing(run());
  const done = run({ status: "finalized", final: point("final", 100, 5), n: 100 });
  assert.equal(newerRun(held, done), done);
  const same = run({ status: "finalizing", n: 130 });
  assert.equal(newerRun(held, same), same);
  const other = run({ id: "r2" });
  assert.equal(newerRun(held, other), other);
  assert.equal(newerRun(null, other), other);
});

Deno.test("progress marks only a streaming run finalizing; a finalized run stays finalized", () => {
  assert.equal(markFinalizing(run()).status, "finalizing");
  const finalized = run({ status: "finalized" });
  assert.equal(markFinalizing(finalized), finalized);
});
