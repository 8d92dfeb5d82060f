/** An uploaded model's files become one bundle only when every weight path stays inside the upload and sizes agree. */
import assert from "node:assert/strict";
import {
  modelBundleFromFiles,
  modelBundleFromStored,
  modelFormat,
  resolveWeightPath,
  weightByteLength,
} from "../../src/tfjs/model_bundle.ts";
import type { UploadFiles } from "../../src/tfjs/upload_files.ts";

const enc = new TextEncoder();

function model(
  paths: string[][],
  specs: { name: string; shape: number[]; dtype: string; quantization?: unknown }[][],
  extra = {},
) {
  return enc.encode(JSON.stringify({
    format: "layers-model",
    modelTopology: { class_name: "Sequential", config: {} },
    weightsManifest: paths.map((p, i) => ({ paths: p, weights: specs[i] })),
    ...extra,
  }));
}

Deno.test("weight paths resolve against model.json's folder; anything leaving the upload is a 422 naming it", () => {
  assert.equal(resolveWeightPath("", "group1-shard1of1.bin"), "group1-shard1of1.bin");
  assert.equal(resolveWeightPath("dec", "./w/a.bin"), "dec/w/a.bin");
  assert.equal(resolveWeightPath("dec", "w//a.bin"), "dec/w/a.bin");
  for (
    const bad of [
      "../a.bin",
      "w/../../a.bin",
      "/abs.bin",
      "https://x.org/a.bin",
      "file:a.bin",
      "data:,x",
      "C:\\a.bin",
      "w\\a.bin",
      "%2e%2e/a.bin",
      ".%2E/a.bin",
      "a\u0000.bin",
      "",
      ".",
      "./",
    ]
  ) {
    assert.throws(
      () => resolveWeightPath("dec", bad),
      (e: Error & { code?: string }) => e.code === "model_weight_path_unsafe" && e.message.includes(bad),
      JSON.stringify(bad),
    );
  }
  assert.throws(() => resolveWeightPath("", 7), { code: "model_weight_path_unsafe" });
});

Deno.test("a bundle concatenates the shards of every group in manifest order", () => {
  const files: UploadFiles = new Map([
    [
      "m/model.json",
      model([["a.bin", "b.bin"], ["sub/c.bin"]], [[{ name: "k", shape: [2, 2], dtype: "float32" }], [{
        name: "q",
        shape: [3],
        dtype: "float32",
        quantization: { dtype: "uint8", scale: 1, min: 0 },
      }]]),
    ],
    ["m/a.bin", Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])],
    ["m/b.bin", Uint8Array.from([9, 10, 11, 12, 13, 14, 15, 16])],
    ["m/sub/c.bin", Uint8Array.from([17, 18, 19])],
    ["other/unused.txt", Uint8Array.from([0])],
  ]);
  const b = modelBundleFromFiles(files);
  assert.equal(b.format, "layers-model");
  assert.deepEqual(Array.from(b.weightData), Array.from({ length: 19 }, (_, i) => i + 1));
  assert.deepEqual(b.weightSpecs.map((s) => s.name), ["k", "q"]);
  // The stored form (model.json + bytes) rebuilds the same bundle.
  const again = modelBundleFromStored(b.modelJson, b.weightData);
  assert.deepEqual(again.weightSpecs, b.weightSpecs);
});

Deno.test("sizes, dtypes, missing or ambiguous files are refused", () => {
  const w = (n: number) => new Uint8Array(n);
  const spec = [{ name: "k", shape: [4], dtype: "float32" }];
  const cases: [UploadFiles, string][] = [
    [new Map([["model.json", model([["w.bin"]], [spec])], ["w.bin", w(15)]]), "model_weights_size_mismatch"],
    [new Map([["model.json", model([["w.bin"]], [spec])], ["w.bin", w(17)]]), "model_weights_size_mismatch"],
    [new Map([["model.json", model([["x.bin"]], [spec])], ["w.bin", w(16)]]), "model_weight_file_missing"],
    [
      new Map([["model.json", model([["w.bin"]], [[{ name: "s", shape: [1], dtype: "string" }]])], [
        "w.bin",
        w(4),
      ]]),
      "model_weight_dtype_unsupported",
    ],
    [
      new Map([["model.json", model([["w.bin"]], [[{ name: "k", shape: [-1], dtype: "float32" }]])], [
        "w.bin",
        w(4),
      ]]),
      "model_weight_spec_invalid",
    ],
    [new Map([["w.bin", w(16)]]), "model_json_missing"],
    [new Map([["a/model.json", model([], [])], ["b/model.json", model([], [])]]), "model_json_ambiguous"],
    [new Map([["model.json", enc.encode("[1]")]]), "model_json_invalid"],
    [
      new Map([["model.json", enc.encode(JSON.stringify({ modelTopology: { foo: 1 } }))]]),
      "model_format_unknown",
    ],
    [
      new Map([["model.json", enc.encode(JSON.stringify({ format: "graph-model", weightsManifest: {} }))]]),
      "model_weights_manifest_invalid",
    ],
  ];
  for (const [files, code] of cases) assert.throws(() => modelBundleFromFiles(files), { code }, code);
  // Declared weights over the limit: 413 before anything is copied.
  const huge = new Map([[
    "model.json",
    model([["w.bin"]], [[{ name: "k", shape: [1 << 20, 1 << 10], dtype: "float32" }]]),
  ], ["w.bin", w(4)]]);
  assert.throws(() => modelBundleFromFiles(huge), { code: "model_too_large", name: "PayloadTooLargeError" });
  const bigJson = new Map([["model.json", new Uint8Array(100)]]);
  assert.throws(
    () => modelBundleFromFiles(bigJson, { maxFiles: 9, maxTotalBytes: 1000, maxModelJsonBytes: 50 }),
    { code: "model_json_too_large" },
  );
});

Deno.test("formats are read from model.json or its topology; weight sizes follow dtype and quantization", () => {
  assert.equal(modelFormat({ format: "graph-model" }), "graph-model");
  assert.equal(modelFormat({ modelTopology: { node: [] } }), "graph-model");
  assert.equal(modelFormat({ modelTopology: { model_config: {} } }), "layers-model");
  assert.throws(() => modelFormat({ format: "onnx", modelTopology: {} }), { code: "model_format_unknown" });
  assert.equal(weightByteLength({ name: "a", shape: [2, 3], dtype: "float32" }), 24);
  assert.equal(weightByteLength({ name: "a", shape: [2, 3], dtype: "bool" }), 6);
  assert.equal(
    weightByteLength({ name: "a", shape: [5], dtype: "float32", quantization: { dtype: "float16" } }),
    10,
  );
  assert.equal(weightByteLength({ name: "a", shape: [], dtype: "int32" }), 4);
});
