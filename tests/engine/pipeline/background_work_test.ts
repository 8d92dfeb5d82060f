import assert from "node:assert/strict";
import { BackgroundWork } from "../../../engine/pipeline/background_work.ts";

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

Deno.test("tasks of one lane run one at a time, in order, a failure included; other lanes do not wait", async () => {
  const work = new BackgroundWork();
  const log: string[] = [];
  const errors: unknown[] = [];
  const task = (name: string, ms: number, fail = false) => async () => {
    log.push(`${name} begins`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`${name} ends`);
    if (fail) throw new Error(`${name} failed`);
  };
  work.startInTurn("lane", task("a", 40, true), (e) => errors.push(e));
  work.startInTurn("lane", task("b", 10), (e) => errors.push(e));
  work.startInTurn("other", task("c", 5), (e) => errors.push(e));
  await work.settled();
  assert.deepEqual(log, ["a begins", "c begins", "c ends", "a ends", "b begins", "b ends"]);
  assert.equal(errors.length, 1);
  work.startInTurn("lane", task("d", 1), (e) => errors.push(e));
  await work.settled();
  assert.deepEqual(log.slice(-2), ["d begins", "d ends"], "an idle lane starts at once");
});
