/** Hostile and broken checkpoints: each must end in a typed FidstreamError, never a crash, a hang or a call. */
import assert from "node:assert/strict";
import {
  FidstreamError,
  InvalidInputError,
  PayloadTooLargeError,
  UnprocessableError,
} from "../../../src/errors.ts";
import { readTorchCheckpoint, readTorchStateDict } from "../../../src/tensors/torch/checkpoint.ts";
import { PyList } from "../../../src/tensors/torch/pickle_values.ts";
import { buildZip } from "../../../tools/zip_builder.ts";
import { Bytes, type PyNode, writePickle } from "../../../tools/pickle_writer.ts";
import { REAL_CHECKPOINTS } from "./_real_checkpoints.ts";
import {
  buildLegacyCheckpoint,
  buildZipCheckpoint,
  storage,
  type TestValue,
} from "../../../tools/torch_checkpoint_writer.ts";

type ErrorClass = new (code: string, message: string) => FidstreamError;

function throwsTyped(f: () => unknown, cls: ErrorClass, code: string, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(
      e instanceof cls,
      `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : e}`,
    );
    assert.equal((e as FidstreamError).code, code);
    if (message) assert.match((e as Error).message, message);
    return true;
  });
}

/** A zip checkpoint whose data.pkl is exactly `pkl`. */
const zipWithPickle = (pkl: Uint8Array, extra: { name: string; data: Uint8Array }[] = []) =>
  buildZip([{ name: "archive/data.pkl", data: pkl }, ...extra]);

/** A legacy checkpoint whose main pickle is exactly `pkl`, with no storages. */
function legacyWithPickle(pkl: Uint8Array): Uint8Array {
  const out = new Bytes();
  out.raw(writePickle(0x1950a86a20f9469cfc6cn));
  out.raw(writePickle(1001));
  out.raw(writePickle({ dict: [["little_endian", true]] }));
  out.raw(pkl);
  out.raw(writePickle({ list: [] }));
  return out.bytes();
}

const raw = (...parts: (number | string)[]) => {
  const b = new Bytes();
  for (const p of parts) typeof p === "number" ? b.byte(p) : b.raw(new TextEncoder().encode(p));
  return b.bytes();
};

const f32 = storage("0", "FloatStorage", [1, 2, 3]);
const tensorDict = (shape: number[], stride: number[], offset = 0): TestValue => ({
  testDict: [["w", { tensor: { storage: f32, offset, shape, stride } }]],
});

Deno.test("globals outside the allow-list are refused by name, in every pickle of both formats", () => {
  const evil: [string, string][] = [
    ["os", "system"],
    ["posix", "system"],
    ["builtins", "eval"],
    ["subprocess", "Popen"],
    ["torch", "load"],
    ["torch._utils", "_rebuild_qtensor"],
    ["torch.storage", "_load_from_bytes"],
    ["collections", "Counter"],
    ["torch", "UntypedStorage"],
  ];
  for (const [module, name] of evil) {
    const node: PyNode = { reduce: { global: [module, name] }, args: ["echo pwned"] };
    const full = new RegExp(`"${module.replace(".", "\\.")}\\.${name}"`);
    for (const protocol of [2, 4] as const) {
      const pkl = writePickle(node, { protocol });
      throwsTyped(
        () => readTorchCheckpoint(zipWithPickle(pkl)),
        InvalidInputError,
        "torch_pickle_forbidden_global",
        full,
      );
      throwsTyped(
        () => readTorchCheckpoint(legacyWithPickle(pkl)),
        InvalidInputError,
        "torch_pickle_forbidden_global",
        full,
      );
    }
  }
  // A global in the legacy sys_info header is refused too.
  const out = new Bytes();
  out.raw(writePickle(0x1950a86a20f9469cfc6cn));
  out.raw(writePickle(1001));
  out.raw(writePickle({ reduce: { global: ["os", "system"] }, args: ["x"] }));
  throwsTyped(
    () => readTorchCheckpoint(out.bytes()),
    InvalidInputError,
    "torch_pickle_forbidden_global",
    /os\.system/,
  );
});

Deno.test("allowed globals that are not callable, and non-globals, cannot be called", () => {
  const storageCall = writePickle({ reduce: { global: ["torch", "FloatStorage"] }, args: [3] });
  throwsTyped(
    () => readTorchCheckpoint(zipWithPickle(storageCall)),
    InvalidInputError,
    "torch_pickle_forbidden_call",
    /FloatStorage/,
  );
  // "os.system" as a plain string on the stack, then REDUCE.
  const stringCall = raw(0x80, 2, 0x58, 9, 0, 0, 0, "os.system", 0x29, 0x52, 0x2e);
  throwsTyped(
    () => readTorchCheckpoint(zipWithPickle(stringCall)),
    InvalidInputError,
    "torch_pickle_forbidden_call",
  );
});

Deno.test("BUILD may only set state on an OrderedDict", () => {
  // [] then {} BUILD
  const onList = raw(0x80, 2, 0x5d, 0x7d, 0x62, 0x2e);
  throwsTyped(
    () => readTorchCheckpoint(zipWithPickle(onList)),
    InvalidInputError,
    "torch_pickle_forbidden_build",
  );
  const onDict = raw(0x80, 2, 0x7d, 0x7d, 0x62, 0x2e);
  throwsTyped(
    () => readTorchCheckpoint(zipWithPickle(onDict)),
    InvalidInputError,
    "torch_pickle_forbidden_build",
  );
});

Deno.test("opcodes outside torch's subset (INST, OBJ, EXT1, PERSID, text STRING/INT) are refused", () => {
  const cases = [
    raw(0x80, 2, "ios\nsystem\n", 0x2e), // INST
    raw(0x80, 2, 0x28, 0x6f, 0x2e), // OBJ
    raw(0x80, 2, 0x82, 1, 0x2e), // EXT1
    raw(0x80, 2, "Pabc\n", 0x2e), // PERSID
    raw(0x80, 2, "S'x'\n", 0x2e), // STRING
    raw(0x80, 2, "I1\n", 0x2e), // INT
  ];
  for (const pkl of cases) {
    throwsTyped(
      () => readTorchCheckpoint(zipWithPickle(pkl)),
      InvalidInputError,
      "torch_pickle_unsupported_opcode",
    );
  }
});

Deno.test("every truncation of real and built checkpoints is a typed error", () => {
  const files = [
    ...REAL_CHECKPOINTS,
    buildZipCheckpoint(tensorDict([3], [1])),
    buildLegacyCheckpoint(tensorDict([3], [1])),
    buildLegacyCheckpoint(tensorDict([3], [1]), { protocol: 4 }),
  ];
  for (const bytes of files) {
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(
        () => readTorchCheckpoint(bytes.subarray(0, n)),
        FidstreamError,
        `prefix of ${n}/${bytes.length}`,
      );
    }
  }
});

Deno.test("random byte corruption ends in a value or a typed error, never anything else", () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const original of REAL_CHECKPOINTS) {
    for (let trial = 0; trial < 1500; trial++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      try {
        readTorchCheckpoint(bytes);
      } catch (e) {
        assert.ok(e instanceof FidstreamError, `trial ${trial}: ${e instanceof Error ? e.stack : e}`);
      }
    }
  }
});

Deno.test("lying sizes: storage counts, view bounds, string and frame lengths", () => {
  // Zip: the pickle declares 100 elements, the member holds 3.
  const liar = { ...f32, numel: 100 };
  throwsTyped(
    () =>
      readTorchCheckpoint(
        buildZipCheckpoint({
          testDict: [["w", { tensor: { storage: liar, offset: 0, shape: [3], stride: [1] } }]],
        }),
      ),
    InvalidInputError,
    "torch_checkpoint_corrupt",
    /declares 100/,
  );
  // Legacy: the int64 count disagrees with the pickle (or is absurd).
  for (const count of [4n, 2n ** 62n, -1n]) {
    throwsTyped(
      () =>
        readTorchCheckpoint(buildLegacyCheckpoint(tensorDict([3], [1]), { countOverride: { "0": count } })),
      InvalidInputError,
      "torch_checkpoint_corrupt",
      /holds .* elements but the pickle declared 3/,
    );
  }
  // Legacy: the pickle declares more elements than the file holds.
  throwsTyped(
    () =>
      readTorchCheckpoint(
        buildLegacyCheckpoint({
          testDict: [["w", { tensor: { storage: liar, offset: 0, shape: [3], stride: [1] } }]],
        }, { countOverride: { "0": 100n } }),
      ),
    InvalidInputError,
    "torch_checkpoint_corrupt",
    /truncated/,
  );
  // Views reaching past their 3-element storage.
  for (
    const [shape, stride, offset] of [[[4], [1], 0], [[2], [2], 1], [[1], [1], 3], [[2, 2], [1, 1], 2]] as [
      number[],
      number[],
      number,
    ][]
  ) {
    for (const build of [buildZipCheckpoint, buildLegacyCheckpoint]) {
      throwsTyped(
        () => readTorchCheckpoint(build(tensorDict(shape, stride, offset))),
        InvalidInputError,
        "torch_checkpoint_corrupt",
        /reaches element/,
      );
    }
  }
  // BINUNICODE of 4 GiB - 1, FRAME of 2^40, LONG4 of a million bytes, in 20-byte pickles.
  const lies = [
    raw(0x80, 2, 0x58, 0xff, 0xff, 0xff, 0xff, "abc", 0x2e),
    raw(0x80, 4, 0x95, 0, 0, 0, 0, 0, 1, 0, 0, 0x4e, 0x2e),
    raw(0x80, 2, 0x8b, 0x40, 0x42, 0x0f, 0, 1, 2, 0x2e),
  ];
  for (const pkl of lies) {
    throwsTyped(() => readTorchCheckpoint(zipWithPickle(pkl)), InvalidInputError, "torch_pickle_corrupt");
  }
  // A storage whose zip member is missing.
  const pid = writePickle({
    reduce: { global: ["torch._utils", "_rebuild_tensor_v2"] },
    args: [
      { persid: { tuple: ["storage", { global: ["torch", "FloatStorage"] }, "7", "cpu", 1] } },
      0,
      { tuple: [1] },
      { tuple: [1] },
      false,
      { ordered: [] },
    ],
  });
  throwsTyped(
    () => readTorchCheckpoint(zipWithPickle(pid)),
    InvalidInputError,
    "torch_checkpoint_corrupt",
    /no zip member 'archive\/data\/7'/,
  );
});

Deno.test("output bombs: a broadcast view of a 1-element storage, or a low byte cap, are refused before allocating", () => {
  const one = storage("0", "DoubleStorage", [1]);
  const bomb: TestValue = {
    testDict: [["w", { tensor: { storage: one, offset: 0, shape: [100000, 100000], stride: [0, 0] } }]],
  };
  for (const build of [buildZipCheckpoint, buildLegacyCheckpoint]) {
    throwsTyped(() => readTorchCheckpoint(build(bomb)), PayloadTooLargeError, "torch_checkpoint_too_large");
  }
  throwsTyped(
    () => readTorchCheckpoint(buildZipCheckpoint(tensorDict([3], [1])), { maxOutputBytes: 11 }),
    PayloadTooLargeError,
    "torch_checkpoint_too_large",
  );
  assert.equal(readTorchStateDict(buildZipCheckpoint(tensorDict([3], [1])), { maxOutputBytes: 12 }).size, 1);
  // A zip member declaring 2 GiB is refused before inflating anything.
  const zipBomb = buildZip([
    { name: "archive/data.pkl", data: writePickle(null) },
    { name: "archive/data/0", data: new Uint8Array(4), deflate: true, declaredSize: 2 ** 31 },
  ]);
  throwsTyped(() => readTorchCheckpoint(zipBomb), PayloadTooLargeError, "torch_checkpoint_too_large");
});

Deno.test("deep nesting is refused; cycles neither hang nor recurse", () => {
  const depth = 200_000;
  const b = new Bytes();
  b.byte(0x80, 2);
  for (let i = 0; i < depth; i++) b.byte(0x5d); // EMPTY_LIST
  for (let i = 1; i < depth; i++) b.byte(0x61); // APPEND
  b.byte(0x2e);
  const deep = b.bytes();
  throwsTyped(() => readTorchCheckpoint(zipWithPickle(deep)), InvalidInputError, "torch_pickle_too_deep");
  throwsTyped(() => readTorchCheckpoint(legacyWithPickle(deep)), InvalidInputError, "torch_pickle_too_deep");
  // The option moves the limit: [[[]]] nests two levels below the root.
  throwsTyped(
    () =>
      readTorchCheckpoint(zipWithPickle(raw(0x80, 2, 0x5d, 0x5d, 0x5d, 0x61, 0x61, 0x2e)), { maxDepth: 1 }),
    InvalidInputError,
    "torch_pickle_too_deep",
  );
  assert.ok(
    readTorchCheckpoint(zipWithPickle(raw(0x80, 2, 0x5d, 0x5d, 0x5d, 0x61, 0x61, 0x2e)), {
      maxDepth: 2,
    }) instanceof PyList,
  );
  // 200k MARKs never closed: corrupt, not a crash.
  const marks = new Bytes();
  marks.byte(0x80, 2);
  for (let i = 0; i < depth; i++) marks.byte(0x28);
  marks.byte(0x4e, 0x2e);
  throwsTyped(
    () => readTorchCheckpoint(zipWithPickle(marks.bytes())),
    InvalidInputError,
    "torch_pickle_corrupt",
  );
  // A list containing itself: [] BINPUT 0, BINGET 0, APPEND.
  const cyc = readTorchCheckpoint(zipWithPickle(raw(0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e)));
  assert.ok(cyc instanceof PyList && cyc.items[0] === cyc);
  // A dict containing itself is not a state dict.
  const selfDict = raw(0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, "a", 0x68, 0, 0x73, 0x2e);
  throwsTyped(
    () => readTorchStateDict(zipWithPickle(selfDict)),
    InvalidInputError,
    "torch_state_dict_invalid",
    /same dict twice/,
  );
});

Deno.test("machine-level corruption: unknown memo slot, stack underflow, bad UTF-8, leftovers, trailing bytes", () => {
  const cases = [
    raw(0x80, 2, 0x68, 5, 0x2e), // BINGET of an empty slot
    raw(0x80, 2, 0x52, 0x2e), // REDUCE on an empty stack
    raw(0x80, 2, 0x58, 2, 0, 0, 0, 0xc3, 0x28, 0x2e), // invalid UTF-8
    raw(0x80, 2, 0x4e, 0x4e, 0x2e), // two values left at STOP
    raw(0x80, 9, 0x4e, 0x2e), // protocol 9
    raw(0x80, 2, 0x63, "os"), // GLOBAL line without end
    raw(0x80, 2, 0x4e, 0x4e, 0x93, 0x2e), // STACK_GLOBAL of non-strings
    raw(0x80, 2, 0x5d, 0x4e, 0x4e, 0x73, 0x2e), // SETITEM on a list
  ];
  for (const pkl of cases) {
    throwsTyped(() => readTorchCheckpoint(zipWithPickle(pkl)), InvalidInputError, "torch_pickle_corrupt");
  }
  // Bytes after STOP in data.pkl
  throwsTyped(
    () => readTorchCheckpoint(zipWithPickle(raw(0x80, 2, 0x4e, 0x2e, 0x4e))),
    InvalidInputError,
    "torch_checkpoint_corrupt",
    /after its STOP/,
  );
});

Deno.test("files that are not plain torch.save state dicts get a clear error", () => {
  const enc = new TextEncoder();
  // TorchScript archive
  throwsTyped(
    () =>
      readTorchCheckpoint(
        zipWithPickle(writePickle(null), [{ name: "archive/constants.pkl", data: writePickle(null) }]),
      ),
    UnprocessableError,
    "torch_checkpoint_unsupported",
    /TorchScript/,
  );
  // A zip that is no torch archive
  throwsTyped(
    () => readTorchCheckpoint(buildZip([{ name: "x.npy", data: new Uint8Array(3) }])),
    InvalidInputError,
    "torch_checkpoint_corrupt",
    /data\.pkl/,
  );
  // A tar file (torch <= 0.3)
  const tar = new Uint8Array(1024);
  tar.set(enc.encode("ustar"), 257);
  throwsTyped(() => readTorchCheckpoint(tar), UnprocessableError, "torch_checkpoint_unsupported", /tar/);
  // Random text, and a pickle that is not torch's
  throwsTyped(
    () => readTorchCheckpoint(enc.encode("not a checkpoint")),
    InvalidInputError,
    "torch_checkpoint_unknown_format",
  );
  throwsTyped(
    () => readTorchCheckpoint(writePickle(42)),
    InvalidInputError,
    "torch_checkpoint_unknown_format",
  );
  // Legacy of another protocol version
  const v1000 = new Bytes();
  v1000.raw(writePickle(0x1950a86a20f9469cfc6cn));
  v1000.raw(writePickle(1000));
  throwsTyped(
    () => readTorchCheckpoint(v1000.bytes()),
    UnprocessableError,
    "torch_checkpoint_unsupported",
    /1000/,
  );
  // torch.save(model): the class is a ('module', ...) persistent id
  const modulePid = writePickle({ persid: { tuple: ["module", "Net", "net.py", "source"] } });
  throwsTyped(
    () => readTorchCheckpoint(legacyWithPickle(modulePid)),
    UnprocessableError,
    "torch_checkpoint_unsupported",
    /state_dict/,
  );
  // A state dict holding a non-tensor
  throwsTyped(
    () => readTorchStateDict(buildZipCheckpoint({ testDict: [["epoch", 3]] })),
    InvalidInputError,
    "torch_state_dict_invalid",
    /'epoch' is a int/,
  );
  throwsTyped(
    () => readTorchStateDict(buildZipCheckpoint({ testList: [] })),
    InvalidInputError,
    "torch_state_dict_invalid",
  );
  // Legacy storage list naming a storage no tensor uses, or omitting one that is used
  const out = new Bytes();
  out.raw(writePickle(0x1950a86a20f9469cfc6cn));
  out.raw(writePickle(1001));
  out.raw(writePickle({ dict: [["little_endian", true]] }));
  out.raw(writePickle(null));
  out.raw(writePickle({ list: ["ghost"] }));
  throwsTyped(() => readTorchCheckpoint(out.bytes()), InvalidInputError, "torch_checkpoint_corrupt", /ghost/);
  const full = buildLegacyCheckpoint(tensorDict([3], [1]));
  // Cut just the storage list + data: re-build with an empty key list.
  const noData = new Bytes();
  noData.raw(writePickle(0x1950a86a20f9469cfc6cn));
  noData.raw(writePickle(1001));
  noData.raw(writePickle({ dict: [["little_endian", true]] }));
  noData.raw(writePickle({
    reduce: { global: ["torch._utils", "_rebuild_tensor_v2"] },
    args: [
      { persid: { tuple: ["storage", { global: ["torch", "FloatStorage"] }, "0", "cpu", 3, null] } },
      0,
      { tuple: [3] },
      { tuple: [1] },
      false,
      { ordered: [] },
    ],
  }));
  noData.raw(writePickle({ list: [] }));
  assert.ok(full.length > noData.length);
  throwsTyped(
    () => readTorchCheckpoint(noData.bytes()),
    InvalidInputError,
    "torch_checkpoint_corrupt",
    /no data/,
  );
});
