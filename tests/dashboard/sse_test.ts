/** The reconnecting event stream: exponential backoff with jitter, reset on open, no retry after close. */
import assert from "node:assert/strict";
import {
  backoffDelay,
  type EventSourceLike,
  openEventStream,
  type StreamStatus,
} from "../../dashboard/sse.ts";

Deno.test("backoff doubles from the base, is capped, and jitter keeps it within [0.5, 1) of that", () => {
  const opts = { baseMs: 100, maxMs: 1000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, { ...opts, random: () => 0.999999 })).map(Math.round),
    [
      100,
      200,
      400,
      800,
      1000,
      1000,
    ],
  );
  assert.equal(backoffDelay(3, { ...opts, random: () => 0 }), 400);
});

class FakeSource implements EventSourceLike {
  static all: FakeSource[] = [];
  readyState = 0;
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  listeners = new Map<string, (e: MessageEvent) => void>();
  closed = false;
  constructor(readonly url: string) {
    FakeSource.all.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, fn);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: string) {
    this.listeners.get(type)?.(new MessageEvent(type, { data }));
  }
}

Deno.test("errors reconnect after growing delays; an open resets them; events are parsed JSON", async () => {
  FakeSource.all = [];
  const statuses: StreamStatus[] = [];
  const got: unknown[] = [];
  let opens = 0;
  const stream = openEventStream("/e", {
    events: { metrics: (d) => got.push(d) },
    onOpen: () => opens++,
    onStatus: (s) => statuses.push(s),
  }, { baseMs: 5, maxMs: 40, random: () => 0.999, create: (u) => new FakeSource(u) });
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  FakeSource.all[0].onerror!(new Event("error"));
  assert.ok(FakeSource.all[0].closed, "the failed source is closed, not left to the browser's retry");
  await wait(15);
  assert.equal(FakeSource.all.length, 2);
  FakeSource.all[1].onerror!(new Event("error"));
  await wait(25);
  assert.equal(FakeSource.all.length, 3);
  const delays = statuses.filter((s) => s.state === "retrying").map((s) => (s as { inMs: number }).inMs);
  assert.ok(delays[1] > delays[0] * 1.9, `delays grow: ${delays}`);

  FakeSource.all[2].onopen!(new Event("open"));
  assert.equal(opens, 1);
  FakeSource.all[2].emit("metrics", '{"n":5,"fid":1.5}');
  FakeSource.all[0].emit("metrics", '{"n":1}');
  assert.deepEqual(got, [{ n: 5, fid: 1.5 }], "events of an abandoned source are ignored");
  FakeSource.all[2].onerror!(new Event("error"));
  const last = statuses.filter((s) => s.state === "retrying").at(-1) as { inMs: number; attempt: number };
  assert.equal(last.attempt, 1, "after an open the backoff starts over");

  stream.close();
  await wait(20);
  assert.equal(FakeSource.all.length, 3, "no reconnect after close");
  assert.equal(statuses.at(-1)?.state, "closed");
});
