/**
 * The worker RPC every worker of the service uses: values, typed errors and driver errors cross intact; setup
 * comes first; progress and events reach the caller; a call past its limit, a crash or idleness replaces the
 * worker and the next call gets a fresh one.
 */
import assert from "node:assert/strict";
import { UnavailableError, UnprocessableError } from "../../src/errors.ts";
import { RpcClient } from "../../src/workers/rpc_client.ts";
import type { TestRequest } from "./_test_worker.ts";

const WORKER = new URL("./_test_worker.ts", import.meta.url);

Deno.test("values, typed errors and driver errors cross the boundary; setup arrives before any request", async () => {
  const rpc = new RpcClient<TestRequest>(WORKER, { setup: { library: "libx.so" } });
  try {
    assert.deepEqual(await rpc.call({ op: "setup" }), { library: "libx.so" });
    assert.deepEqual(await rpc.call({ op: "echo", value: { a: [1, 2], b: "c" } }), { a: [1, 2], b: "c" });
    const typed = (await rpc.call({ op: "typed" }).catch((e) => e)) as UnprocessableError;
    assert.ok(typed instanceof UnprocessableError, "rebuilt as its own class (so it keeps its HTTP status)");
    assert.deepEqual([typed.code, typed.message], ["test_code", "a typed failure"]);
    const plain = (await rpc.call({ op: "plain" }).catch((e) => e)) as Error & {
      code: string;
      detail: string;
    };
    assert.deepEqual([plain.code, plain.detail, plain.message], [
      "23505",
      "key (k)=(a) exists",
      "a driver failure",
    ]);
    const buffer = await rpc.call<Float64Array>({ op: "buffer", n: 1000 });
    assert.equal(buffer.length, 1000);
  } finally {
    rpc.close();
  }
});

Deno.test("progress reaches its call's onProgress before the value; events reach onEvent", async () => {
  const events: unknown[] = [];
  const rpc = new RpcClient<TestRequest>(WORKER, { onEvent: (e) => events.push(e) });
  try {
    const seen: unknown[] = [];
    assert.equal(await rpc.call({ op: "progress", steps: 3 }, { onProgress: (p) => seen.push(p) }), "done");
    assert.deepEqual(seen, [0, 1, 2]);
    await rpc.call({ op: "event", value: { notify: "chan", payload: "x" } });
    assert.deepEqual(events, [{ notify: "chan", payload: "x" }]);
  } finally {
    rpc.close();
  }
});

Deno.test("a call past its time limit fails with its error, and the worker is replaced", async () => {
  const rpc = new RpcClient<TestRequest>(WORKER);
  try {
    const first = await rpc.call<string>({ op: "instance" });
    const slow = rpc.call({ op: "sleep", ms: 5000, value: 1 }, {
      timeoutMs: 100,
      timeoutError: () => new UnprocessableError("model_timeout", "too slow"),
    });
    await assert.rejects(slow, (e: Error & { code?: string }) => e.code === "model_timeout");
    const second = await rpc.call<string>({ op: "instance" });
    assert.notEqual(second, first, "a fresh worker");
  } finally {
    rpc.close();
  }
});

Deno.test("a crashed worker fails its calls with the crash error; the next call starts another", async () => {
  const rpc = new RpcClient<TestRequest>(WORKER, {
    crashError: (message) => new UnavailableError("test_crashed", `crashed: ${message}`),
  });
  try {
    const first = await rpc.call<string>({ op: "instance" });
    await assert.rejects(
      rpc.call({ op: "crash" }),
      (e: Error & { code?: string }) => e.code === "test_crashed" && /boom/.test(e.message),
    );
    assert.notEqual(await rpc.call<string>({ op: "instance" }), first);
  } finally {
    rpc.close();
  }
});

Deno.test("an idle worker stops and the next call starts it again; a closed client refuses calls", async () => {
  const rpc = new RpcClient<TestRequest>(WORKER, { idleMs: 50 });
  const first = await rpc.call<string>({ op: "instance" });
  assert.equal(await rpc.call<string>({ op: "instance" }), first, "busy enough: the same worker");
  await new Promise((r) => setTimeout(r, 200));
  assert.notEqual(await rpc.call<string>({ op: "instance" }), first, "idle: stopped, then started anew");
  rpc.close();
  await assert.rejects(
    rpc.call({ op: "instance" }),
    (e: Error & { code?: string }) => e.code === "worker_closed",
  );
});
