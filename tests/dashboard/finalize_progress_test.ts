/** The run page's finalize note: progress events become a phase line and a list of finished phases. */
import assert from "node:assert/strict";
import { asProgress, phaseLabel, progressLines } from "../../dashboard/finalize_progress.ts";

Deno.test("a progress event reads as the current phase with its start and the finished phases with durations", () => {
  const p = asProgress({
    phase: "kid",
    elapsed_s: 3.25,
    done: [{ phase: "fid", seconds: 1.1 }, { phase: "reading features", seconds: 0.4216 }],
  })!;
  assert.deepEqual(progressLines(p), {
    now: "KID (started at 3.3 s)",
    done: "FID 1.10 s · reading stored features 0.42 s",
  });
  assert.equal(progressLines({ phase: "statistics", elapsed_s: 0, done: [] }).done, "");
});

Deno.test("unknown phases keep their names; anything that is not a progress event is ignored", () => {
  assert.equal(phaseLabel("something new"), "something new");
  for (const bad of [null, 3, "kid", { phase: "kid" }, { phase: 1, elapsed_s: 0, done: [] }]) {
    assert.equal(asProgress(bad), null, JSON.stringify(bad));
  }
});
