import assert from "node:assert/strict";
import { type JobOutcome, Scheduler } from "../../../engine/pipeline/scheduler.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("a burst of pokes runs one job, and a poke during a job runs exactly one more", async () => {
  const runs: string[] = [];
  let release!: () => void;
  const s = new Scheduler(
    async (key) => {
      runs.push(key);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    },
    5,
    () => {},
  );
  for (let i = 0; i < 5; i++) s.poke("run");
  await sleep(30);
  assert.deepEqual(runs, ["run"]);
  s.poke("run");
  s.poke("run");
  release();
  await s.idle();
  assert.deepEqual(runs, ["run", "run"]);
});

Deno.test("the first poke after a quiet spell runs the job at once, not after the delay", async () => {
  const start = performance.now();
  let ranAt = -1;
  const s = new Scheduler(() => Promise.resolve(void (ranAt = performance.now() - start)), 10_000, () => {});
  s.poke("run");
  await s.idle();
  assert.ok(ranAt >= 0 && ranAt < 1_000, `ran after ${ranAt} ms with a 10 s delay`);
});

Deno.test("a failing job is retried with backoff until it succeeds; a poke resets the backoff", async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const s = new Scheduler(
    () => {
      calls++;
      return calls < 3 ? Promise.reject(new Error(`down ${calls}`)) : Promise.resolve();
    },
    1,
    (_key, e) => errors.push(e),
    [10, 20],
  );
  s.poke("run");
  await s.idle();
  assert.equal(calls, 3, "two failures, then the retry that succeeds");
  assert.deepEqual(errors.map(String), ["Error: down 1", "Error: down 2"]);
  // Past the last delay it gives up until the next poke.
  let failing = 0;
  const g = new Scheduler(() => Promise.reject(new Error(`x${++failing}`)), 1, () => {}, [5]);
  g.poke("run");
  await g.idle();
  assert.equal(failing, 2, "one run, one retry, then it waits for a poke");
  g.poke("run");
  await g.idle();
  assert.equal(failing, 4, "a poke starts over with a fresh retry budget");
});

Deno.test("a job that asks to be checked back runs again after that delay, unless poked sooner", async () => {
  const at: number[] = [];
  const start = performance.now();
  const s = new Scheduler(
    (): Promise<JobOutcome> => {
      at.push(performance.now() - start);
      return Promise.resolve(at.length < 2 ? { recheckAfterMs: 60 } : undefined);
    },
    1,
    () => {},
  );
  s.poke("run");
  await s.idle();
  assert.equal(at.length, 2);
  assert.ok(at[1] - at[0] >= 55, `checked back after ${at[1] - at[0]} ms`);
  // A poke during the wait runs it at once (after the short delay), not after the recheck delay.
  at.length = 0;
  const t = new Scheduler(
    (): Promise<JobOutcome> => {
      at.push(performance.now());
      return Promise.resolve(at.length < 2 ? { recheckAfterMs: 10_000 } : undefined);
    },
    1,
    () => {},
  );
  t.poke("run");
  await sleep(20);
  t.poke("run");
  await t.idle();
  assert.equal(at.length, 2);
  assert.ok(at[1] - at[0] < 1000, "the poke pre-empted the 10 s recheck");
});

Deno.test("stop() cancels pending retries and waits for the running job", async () => {
  let calls = 0;
  const s = new Scheduler(
    async () => {
      calls++;
      await sleep(20);
      throw new Error("fails");
    },
    1,
    () => {},
    [5_000],
  );
  s.poke("run");
  await sleep(5);
  await s.stop();
  assert.equal(calls, 1);
  await sleep(30);
  assert.equal(calls, 1, "no retry after stop");
});

Deno.test("a steady stream of pokes does not postpone the job: it runs every delay, not after a lull", async () => {
  let runs = 0;
  const s = new Scheduler(() => Promise.resolve(void runs++), 20, () => {});
  const until = performance.now() + 150;
  while (performance.now() < until) {
    s.poke("run");
    await sleep(5);
  }
  assert.ok(runs >= 3, `ran ${runs} times during 150 ms of pokes every 5 ms`);
  await s.idle();
});
