import assert from "node:assert/strict";
import { type FinalizeProgress, ProgressReporter } from "../../../engine/pipeline/finalize_progress.ts";

Deno.test("each phase is announced in order with the time since the start and the finished phases' durations", async () => {
  let now = 1000;
  const seen: FinalizeProgress[] = [];
  const reporter = new ProgressReporter(
    async (p) => {
      await new Promise((r) => setTimeout(r, p.phase === "fid" ? 20 : 0)); // a slow notification keeps its place
      seen.push(p);
    },
    () => now,
    () => {},
  );
  reporter.phase("statistics");
  now += 400;
  reporter.phase("fid");
  now += 1250;
  reporter.phase("kid");
  await reporter.settled();
  assert.deepEqual(seen, [
    { phase: "statistics", elapsed_s: 0, done: [] },
    { phase: "fid", elapsed_s: 0.4, done: [{ phase: "statistics", seconds: 0.4 }] },
    {
      phase: "kid",
      elapsed_s: 1.65,
      done: [{ phase: "statistics", seconds: 0.4 }, { phase: "fid", seconds: 1.25 }],
    },
  ]);
});

Deno.test("a failed announcement is logged and never fails the finalize", async () => {
  const logged: string[] = [];
  const reporter = new ProgressReporter(
    () => Promise.reject(new Error("db gone")),
    () => 0,
    (m) => logged.push(m),
  );
  reporter.phase("fid");
  reporter.phase("kid");
  await reporter.settled();
  assert.equal(logged.length, 2);
  assert.match(logged[0], /db gone/);
});
