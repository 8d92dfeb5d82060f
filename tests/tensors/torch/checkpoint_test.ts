import assert from "node:assert/strict";
import {
  detectTorchFormat,
  readTorchCheckpoint,
  readTorchStateDict,
  TorchTensor,
} from "../../../src/tensors/torch/checkpoint.ts";
import { PyDict, PyList } from "../../../src/tensors/torch/pickle_values.ts";
import {
  buildLegacyCheckpoint,
  buildZipCheckpoint,
  naiveStridedValues,
  storage,
  type TestValue,
} from "../../../tools/torch_checkpoint_writer.ts";

type Builder = (root: TestValue) => Uint8Array;
const FORMATS: [string, Builder][] = [
  ["zip", (r) => buildZipCheckpoint(r)],
  ["zip, pickle protocol 4", (r) => buildZipCheckpoint(r, { protocol: 4 })],
  ["legacy", (r) => buildLegacyCheckpoint(r)],
  ["legacy, pickle protocol 4", (r) => buildLegacyCheckpoint(r, { protocol: 4 })],
];

// Storages shared by the state dict below; values chosen so every element differs.
const f32Values = Array.from({ length: 12 }, (_, i) => (i - 5.5) * 0.375);
const f64Values = [Math.PI, -Math.E, 1e-300, 1e300, -0.0];
const i64Values = [0n, -1n, 2n ** 62n, -(2n ** 63n), 123456789012345n, 7n];
const f32 = storage("3", "FloatStorage", f32Values);
const f64 = storage("11", "DoubleStorage", f64Values);
const i64 = storage("2", "LongStorage", i64Values);

interface Expect {
  name: string;
  src: ArrayLike<number | bigint>;
  offset: number;
  shape: number[];
  stride: number[];
  dtype: string;
}
const EXPECT: Expect[] = [
  // contiguous
  {
    name: "Conv2d_1a_3x3.conv.weight",
    src: f32Values,
    offset: 0,
    shape: [2, 3, 1, 2],
    stride: [6, 2, 2, 1],
    dtype: "float32",
  },
  // transpose of a [3, 4] view: non-contiguous strides
  {
    name: "Conv2d_1a_3x3.bn.weight",
    src: f32Values,
    offset: 0,
    shape: [4, 3],
    stride: [1, 4],
    dtype: "float32",
  },
  // offset + step: every other element of rows 0 and 1, starting at element 1 (shares the storage above)
  {
    name: "Mixed_5b.branch1x1.bn.running_mean",
    src: f32Values,
    offset: 1,
    shape: [2, 2],
    stride: [4, 2],
    dtype: "float32",
  },
  // broadcast dimension (stride 0)
  {
    name: "Mixed_5b.branch_pool.bn.running_var",
    src: f32Values,
    offset: 11,
    shape: [3],
    stride: [0],
    dtype: "float32",
  },
  { name: "fc.weight", src: f64Values, offset: 0, shape: [5], stride: [1], dtype: "float64" },
  { name: "fc.bias", src: f64Values, offset: 4, shape: [1, 1], stride: [7, 1], dtype: "float64" },
  {
    name: "Conv2d_1a_3x3.bn.num_batches_tracked",
    src: i64Values,
    offset: 5,
    shape: [],
    stride: [],
    dtype: "int64",
  },
  {
    name: "Conv2d_2a_3x3.conv.weight",
    src: i64Values,
    offset: 0,
    shape: [3, 2],
    stride: [2, 1],
    dtype: "int64",
  },
  { name: "empty", src: f32Values, offset: 0, shape: [0, 3], stride: [3, 1], dtype: "float32" },
];
const STORAGE_OF: Record<string, typeof f32> = { float32: f32, float64: f64, int64: i64 };

function stateDict(): TestValue {
  return {
    testDict: EXPECT.map((e) => [
      e.name,
      { tensor: { storage: STORAGE_OF[e.dtype], offset: e.offset, shape: e.shape, stride: e.stride } },
    ]),
    // model.state_dict() carries _metadata set by BUILD on the OrderedDict.
    state: [["_metadata", {
      ordered: [["", { dict: [["version", 1]] }], ["Conv2d_1a_3x3.bn", { dict: [["version", 2]] }]],
    }]],
  };
}

function cOrderStrides(shape: number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) s.unshift(acc), acc *= shape[i];
  return s;
}

for (const [format, build] of FORMATS) {
  Deno.test(`${format}: a state dict reads back with exact values, C-order, for strided, offset and shared views`, () => {
    const sd = readTorchStateDict(build(stateDict()));
    assert.deepEqual([...sd.keys()], EXPECT.map((e) => e.name));
    for (const e of EXPECT) {
      const t = sd.get(e.name)!;
      assert.equal(t.dtype, e.dtype, e.name);
      assert.deepEqual(t.shape, e.shape, e.name);
      assert.deepEqual(t.strides, cOrderStrides(e.shape), e.name);
      const want = naiveStridedValues(e.src, e.offset, e.shape, e.stride);
      // float32 storage: compare with the float32 rounding of the source values.
      const wantTyped = e.dtype === "float32" ? want.map((x) => Math.fround(Number(x))) : want;
      assert.deepEqual([...t.data], wantTyped, e.name);
    }
  });
}

Deno.test("format detection tells zip from legacy from anything else", () => {
  assert.equal(detectTorchFormat(buildZipCheckpoint({ testDict: [] })), "zip");
  assert.equal(detectTorchFormat(buildLegacyCheckpoint({ testDict: [] })), "legacy");
  assert.equal(detectTorchFormat(new TextEncoder().encode("hello")), "unknown");
  assert.equal(detectTorchFormat(new Uint8Array(0)), "unknown");
});

Deno.test("parameters (_rebuild_parameter) read as their tensor", () => {
  const s = storage("0", "FloatStorage", [1, 2, 3]);
  for (const build of [buildZipCheckpoint, buildLegacyCheckpoint]) {
    const sd = readTorchStateDict(build({
      testDict: [["p", { tensor: { storage: s, offset: 0, shape: [3], stride: [1], parameter: true } }]],
    }));
    assert.deepEqual([...sd.get("p")!.data], [1, 2, 3]);
  }
});

Deno.test("nested dicts flatten with dots; plain dicts and OrderedDicts both work", () => {
  const s = storage("0", "FloatStorage", [4, 5]);
  const t = (o: number) => ({ tensor: { storage: s, offset: o, shape: [1], stride: [1] } });
  const root: TestValue = {
    testDict: [
      ["Mixed_5b", { testDict: [["branch1x1", { testDict: [["weight", t(0)]], ordered: false }]] }],
      ["fc.bias", t(1)],
    ],
    ordered: false,
  };
  for (const build of [buildZipCheckpoint, buildLegacyCheckpoint]) {
    const sd = readTorchStateDict(build(root));
    assert.deepEqual([...sd.keys()].sort(), ["Mixed_5b.branch1x1.weight", "fc.bias"]);
    assert.deepEqual([...sd.get("Mixed_5b.branch1x1.weight")!.data], [4]);
    assert.deepEqual([...sd.get("fc.bias")!.data], [5]);
  }
});

Deno.test("every storage dtype decodes: half, bfloat16, bool, int8/16/32, uint8", () => {
  // float16 bit patterns: 1, -2, 0.5, 65504 (max), 2^-24 (smallest subnormal), -inf, +0
  const half = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0xfc00, 0x0000];
  const halfWant = [1, -2, 0.5, 65504, 2 ** -24, -Infinity, 0];
  // bfloat16 bit patterns: 1, -2.5, 3.140625, 2^-133 (subnormal float32)
  const bf16 = [0x3f80, 0xc020, 0x4049, 0x0001];
  const bf16Want = [1, -2.5, 3.140625, 2 ** -133];
  const cases: [string, number[], number[], string][] = [
    ["HalfStorage", half, halfWant, "float16"],
    ["BFloat16Storage", bf16, bf16Want, "bfloat16"],
    ["BoolStorage", [0, 1, 1, 0], [0, 1, 1, 0], "bool"],
    ["CharStorage", [0x80, 0x7f, 0xff, 1], [-128, 127, -1, 1], "int8"],
    ["ByteStorage", [0, 255, 128], [0, 255, 128], "uint8"],
    ["ShortStorage", [0x8000, 0x7fff, 0xffff], [-32768, 32767, -1], "int16"],
    ["IntStorage", [-(2 ** 31), 2 ** 31 - 1, -7], [-(2 ** 31), 2 ** 31 - 1, -7], "int32"],
  ];
  for (const [cls, raw, want, dtype] of cases) {
    const s = storage("k", cls, raw);
    for (const build of [buildZipCheckpoint, buildLegacyCheckpoint]) {
      const sd = readTorchStateDict(
        build({ testDict: [["x", { tensor: { storage: s, offset: 0, shape: [raw.length], stride: [1] } }]] }),
      );
      const t = sd.get("x")!;
      assert.equal(t.dtype, dtype, cls);
      assert.deepEqual([...t.data], want, cls);
    }
  }
});

Deno.test("big-endian checkpoints (zip byteorder 'big', legacy little_endian False) decode correctly", () => {
  const values = [1.5, -2.25, 1e-3];
  const s = storage("0", "DoubleStorage", values, false);
  const l = storage("1", "LongStorage", [-3n, 2n ** 40n], false);
  const root: TestValue = {
    testDict: [
      ["d", { tensor: { storage: s, offset: 0, shape: [3], stride: [1] } }],
      ["l", { tensor: { storage: l, offset: 0, shape: [2], stride: [1] } }],
    ],
  };
  for (
    const bytes of [
      buildZipCheckpoint(root, { byteorder: "big" }),
      buildLegacyCheckpoint(root, { littleEndian: false }),
    ]
  ) {
    const sd = readTorchStateDict(bytes);
    assert.deepEqual([...sd.get("d")!.data], values);
    assert.deepEqual([...sd.get("l")!.data], [-3n, 2n ** 40n]);
  }
});

Deno.test("zip checkpoints without a byteorder record (PyTorch 1.6-1.x) read as little-endian", () => {
  const s = storage("0", "FloatStorage", [0.25, 8]);
  const sd = readTorchStateDict(
    buildZipCheckpoint(
      { testDict: [["w", { tensor: { storage: s, offset: 0, shape: [2], stride: [1] } }]] },
      { byteorder: null },
    ),
  );
  assert.deepEqual([...sd.get("w")!.data], [0.25, 8]);
});

Deno.test("the archive folder may have any name (torch uses the file's stem in some versions)", () => {
  const s = storage("0", "FloatStorage", [3]);
  const sd = readTorchStateDict(
    buildZipCheckpoint(
      { testDict: [["w", { tensor: { storage: s, offset: 0, shape: [1], stride: [1] } }]] },
      { archive: "pt_inception-2015-12-05" },
    ),
  );
  assert.deepEqual([...sd.get("w")!.data], [3]);
});

Deno.test("a shared view materializes once: two entries referencing the same tensor get the same object", () => {
  // The same TestTensor object is memoized by the writer, so the pickle BINGETs the rebuilt tensor.
  const s = storage("0", "FloatStorage", [1, 2]);
  const shared = { tensor: { storage: s, offset: 0, shape: [2], stride: [1] } };
  const v = readTorchCheckpoint(buildZipCheckpoint({ testList: [shared, shared] }));
  assert.ok(v instanceof PyList);
  assert.ok(v.items[0] instanceof TorchTensor);
  assert.equal(v.items[0], v.items[1]);
});

Deno.test("readTorchCheckpoint returns non-state-dict objects as plain values with tensors inside", () => {
  const s = storage("0", "LongStorage", [9n]);
  const v = readTorchCheckpoint(buildLegacyCheckpoint({
    testDict: [["epoch", 12], ["name", "run"], ["weights", {
      tensor: { storage: s, offset: 0, shape: [1], stride: [1] },
    }]],
    ordered: false,
  }));
  assert.ok(v instanceof PyDict);
  assert.equal(v.entries.get("epoch"), 12);
  assert.equal(v.entries.get("name"), "run");
  const t = v.entries.get("weights");
  assert.ok(t instanceof TorchTensor);
  assert.deepEqual([...t.data], [9n]);
});
