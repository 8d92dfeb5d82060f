/** The pickle machine on hand-assembled pickles (opcodes from CPython's Lib/pickletools.py). */
import assert from "node:assert/strict";
import { unpickle } from "../../../src/tensors/torch/pickle_machine.ts";
import { PyDict, PyFloat, PyList, PyTuple } from "../../../src/tensors/torch/pickle_values.ts";
import { callTorchGlobal, findTorchGlobal } from "../../../src/tensors/torch/torch_objects.ts";

const hooks = {
  findGlobal: findTorchGlobal,
  call: callTorchGlobal,
  persistentLoad: () => {
    throw new Error("no persistent ids here");
  },
};

const bytes = (...parts: (number | string)[]) => {
  const out: number[] = [];
  for (const p of parts) typeof p === "number" ? out.push(p) : out.push(...new TextEncoder().encode(p));
  return new Uint8Array(out);
};
const run = (...parts: (number | string)[]) => unpickle(bytes(0x80, 2, ...parts), 0, hooks).value;

Deno.test("integer opcodes: BININT1/2, negative BININT, LONG1 (negative, beyond 2^53), LONG4", () => {
  assert.equal(run(0x4b, 200, 0x2e), 200);
  assert.equal(run(0x4d, 0x34, 0x12, 0x2e), 0x1234);
  assert.equal(run(0x4a, 0xfe, 0xff, 0xff, 0xff, 0x2e), -2);
  assert.equal(run(0x8a, 1, 0xff, 0x2e), -1);
  assert.equal(run(0x8a, 0, 0x2e), 0);
  assert.equal(run(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x2e), 2n ** 64n);
  assert.equal(run(0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x2e), -(2n ** 63n));
  assert.equal(run(0x8b, 2, 0, 0, 0, 0xff, 0x7f, 0x2e), 32767);
});

Deno.test("strings, bytes and floats: BINUNICODE8, SHORT_BINUNICODE, BINBYTES, big-endian BINFLOAT", () => {
  assert.equal(run(0x8d, 3, 0, 0, 0, 0, 0, 0, 0, "hé", 0x2e), "hé");
  assert.equal(run(0x8c, 2, "ok", 0x2e), "ok");
  assert.deepEqual(run(0x42, 3, 0, 0, 0, "abc", 0x2e), new TextEncoder().encode("abc"));
  const f = run(0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x2e);
  assert.ok(f instanceof PyFloat);
  assert.equal(f.value, 1.5);
});

Deno.test("containers from MARK: LIST, DICT, TUPLE; stack ops POP, POP_MARK, DUP", () => {
  const l = run(0x28, 0x4b, 1, 0x4b, 2, 0x6c, 0x2e);
  assert.ok(l instanceof PyList);
  assert.deepEqual(l.items, [1, 2]);
  const d = run(0x28, 0x58, 1, 0, 0, 0, "a", 0x4b, 1, 0x64, 0x2e);
  assert.ok(d instanceof PyDict && !d.ordered);
  assert.deepEqual([...d.entries], [["a", 1]]);
  const t = run(0x4b, 5, 0x32, 0x86, 0x2e); // 5 DUP TUPLE2
  assert.ok(t instanceof PyTuple);
  assert.deepEqual(t.items, [5, 5]);
  assert.equal(run(0x4b, 1, 0x4b, 2, 0x30, 0x2e), 1); // POP
  assert.equal(run(0x4b, 7, 0x28, 0x4b, 1, 0x4b, 2, 0x31, 0x2e), 7); // POP_MARK
  const t4 = run(0x28, 0x4b, 1, 0x4b, 2, 0x4b, 3, 0x4b, 4, 0x74, 0x2e);
  assert.ok(t4 instanceof PyTuple);
  assert.deepEqual(t4.items, [1, 2, 3, 4]);
});

Deno.test("memo: LONG_BINPUT/LONG_BINGET at slot 10000, MEMOIZE, shared references stay shared", () => {
  assert.equal(run(0x4b, 9, 0x72, 0x10, 0x27, 0, 0, 0x30, 0x6a, 0x10, 0x27, 0, 0, 0x2e), 9);
  assert.equal(run(0x4b, 9, 0x94, 0x30, 0x68, 0, 0x2e), 9);
  // [x, x] where x = [] memoized at 1
  const l = run(0x5d, 0x71, 0, 0x5d, 0x71, 1, 0x61, 0x68, 1, 0x61, 0x2e);
  assert.ok(l instanceof PyList);
  assert.equal(l.items[0], l.items[1]);
});

Deno.test("protocol 4/5 forms: STACK_GLOBAL + NEWOBJ of OrderedDict, FRAME, PROTO 5", () => {
  const od = unpickle(
    bytes(
      0x80,
      5,
      0x95,
      30,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x8c,
      11,
      "collections",
      0x8c,
      11,
      "OrderedDict",
      0x93,
      0x29,
      0x81,
      0x2e,
    ),
    0,
    hooks,
  ).value;
  assert.ok(od instanceof PyDict && od.ordered);
});

Deno.test("unpickle reports where it stopped, so consecutive pickles can be read", () => {
  const two = bytes(0x80, 2, 0x4b, 1, 0x2e, 0x80, 2, 0x4b, 2, 0x2e);
  const a = unpickle(two, 0, hooks);
  assert.deepEqual([a.value, a.end], [1, 5]);
  const b = unpickle(two, a.end, hooks);
  assert.deepEqual([b.value, b.end], [2, 10]);
});
