import assert from "node:assert/strict";
import { BackgroundWork } from "../../../functions/pipeline/background_work.ts";

Deno.test("settled() waits for every task, including one started while waiting; failures go to onError", async () => {
  const work = new BackgroundWork();
  const done: string[] = [];
  const errors: unknown[] = [];
  const later = (name: string, ms: number) => () =>
    new Promise<void>((r) => setTimeout(() => (done.push(name), r()), ms));
  work.start(later("a", 30), (e) => errors.push(e));
  work.start(() => Promise.reject(new Error("b failed")), (e) => errors.push(e));
  setTimeout(() => work.start(later("c", 40), (e) => errors.push(e)), 10);
  await work.settled();
  assert.deepEqual(done.sort(), ["a", "c"]);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /b failed/);
  await work.settled(); // nothing left: resolves at once
});
