/// <reference lib="deno.worker" />
/** A worker for the RPC tests: each request names what to do. */
import { UnprocessableError } from "../../src/errors.ts";
import { emitEvent, serveRpc } from "../../src/workers/rpc_server.ts";

/** What the tests ask for. */
export type TestRequest =
  | { op: "echo"; value: unknown }
  | { op: "setup" }
  | { op: "instance" }
  | { op: "typed" }
  | { op: "plain" }
  | { op: "progress"; steps: number }
  | { op: "sleep"; ms: number; value: unknown }
  | { op: "crash" }
  | { op: "event"; value: unknown }
  | { op: "buffer"; n: number };

const instance = crypto.randomUUID();
let setup: unknown = null;

serveRpc<TestRequest>(async (req, ctx) => {
  switch (req.op) {
    case "echo":
      return req.value;
    case "setup":
      return setup;
    case "instance":
      return instance;
    case "typed":
      throw new UnprocessableError("test_code", "a typed failure");
    case "plain":
      throw Object.assign(new Error("a driver failure"), { code: "23505", detail: "key (k)=(a) exists" });
    case "progress":
      for (let i = 0; i < req.steps; i++) ctx.progress(i);
      return "done";
    case "sleep":
      await new Promise((r) => setTimeout(r, req.ms));
      return req.value;
    case "crash":
      setTimeout(() => {
        throw new Error("boom");
      }, 0);
      return await new Promise(() => {});
    case "event":
      emitEvent(req.value);
      return "sent";
    case "buffer":
      return new Float64Array(req.n).fill(1);
  }
}, {
  serial: true,
  setup: async (s) => {
    await new Promise((r) => setTimeout(r, 50)); // requests must wait for it
    setup = s;
  },
  transfer: (v) => v instanceof Float64Array ? [v.buffer as ArrayBuffer] : [],
});
