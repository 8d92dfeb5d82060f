/** The fid-inception FeatureExtractor: chunked extraction equals one direct forward pass; input checks. */
import * as tf from "@tensorflow/tfjs-core";
import assert from "node:assert/strict";
import { FidInceptionExtractor } from "../../../models/fid-inception/extractor.ts";
import { buildFidInception } from "../../../models/fid-inception/network.ts";
import { preprocessForFidInception } from "../../../models/fid-inception/preprocess.ts";
import { InvalidInputError, UnprocessableError } from "../../../src/errors.ts";
import type { ImageBatch } from "../../../src/features/extractor.ts";
import { randomImg, randomWeights, relErr, useBackend } from "../../../tools/fid_inception_reference.ts";

const WEIGHTS = randomWeights(77);

function batchOf(seeds: number[], h: number, w: number): ImageBatch {
  const imgs = seeds.map((s) => randomImg(h, w, 3, s, 0, 1));
  const data = new Float32Array(seeds.length * h * w * 3);
  imgs.forEach((im, i) => data.set(im.data, i * h * w * 3));
  return { n: seeds.length, height: h, width: w, channels: 3, data };
}

Deno.test("[wasm] chunked extraction (batchSize 1) equals one direct forward pass, for every output", async () => {
  await useBackend("wasm");
  const baseline = tf.memory().numTensors;
  const ex = FidInceptionExtractor.fromWeights(WEIGHTS, { batchSize: 1 });
  assert.equal(ex.space, "fid-inception");
  assert.deepEqual({ ...ex.dims }, { "2048": 2048, "768": 768, "192": 192, "64": 64, logits: 1008 });
  const images = batchOf([1, 2], 40, 50);

  const pool3 = await ex.extract(images);
  assert.equal(pool3.n, 2);
  assert.equal(pool3.dim, 2048);
  const many = await ex.extractMany(images, ["logits", "64", "768"]);

  const net = buildFidInception(WEIGHTS);
  const x = tf.tensor4d(images.data, [2, 40, 50, 3]);
  const pre = preprocessForFidInception(x);
  const direct = net.run(pre);
  const check = async (got: Float32Array, t: tf.Tensor, name: string) => {
    const err = relErr(got, await t.data());
    assert.ok(err < 1e-5, `${name}: ${err}`);
  };
  await check(pool3.data, direct.pool3!, "2048");
  await check(many.logits!.data, direct.logits!, "logits");
  await check(many["64"]!.data, direct.pool0!, "64");
  await check(many["768"]!.data, direct.pool2!, "768");
  assert.deepEqual(Object.keys(many).sort(), ["64", "768", "logits"]);
  tf.dispose([x, pre, ...Object.values(direct)]);
  net.dispose();
  ex.dispose();
  assert.equal(tf.memory().numTensors, baseline, "extraction and dispose leave no tensors behind");
});

Deno.test("[wasm] grayscale images give the features of the same image repeated to RGB", async () => {
  await useBackend("wasm");
  const ex = FidInceptionExtractor.fromWeights(WEIGHTS);
  const gray = randomImg(28, 28, 1, 5, 0, 1);
  const rgb = new Float32Array(28 * 28 * 3);
  for (let p = 0; p < 28 * 28; p++) rgb.fill(gray.data[p], 3 * p, 3 * p + 3);
  const a = await ex.extract(
    { n: 1, height: 28, width: 28, channels: 1, data: Float32Array.from(gray.data) },
    "64",
  );
  const b = await ex.extract({ n: 1, height: 28, width: 28, channels: 3, data: rgb }, "64");
  assert.ok(relErr(a.data, b.data) < 1e-6);
  ex.dispose();
});

Deno.test("bad requests are refused with typed errors before any network work", async () => {
  await useBackend("wasm");
  const ex = FidInceptionExtractor.fromWeights(WEIGHTS);
  const ok = batchOf([3], 8, 8);
  await assert.rejects(
    ex.extract(ok, "pool3"),
    (e: unknown) =>
      e instanceof InvalidInputError && e.code === "inception_unknown_output" && e.message.includes("2048"),
  );
  const pixels = { ...ok, data: ok.data.map((v) => v * 255) };
  await assert.rejects(
    ex.extract(pixels),
    (e: unknown) => e instanceof UnprocessableError && e.code === "images_out_of_range",
  );
  await assert.rejects(
    ex.extract({ ...ok, n: 2 }),
    (e: unknown) => e instanceof UnprocessableError && e.code === "images_bad_shape",
  );
  const net = buildFidInception(WEIGHTS);
  assert.throws(
    () => new FidInceptionExtractor(net, { batchSize: 0 }),
    (e: unknown) => e instanceof InvalidInputError && e.code === "inception_bad_batch_size",
  );
  net.dispose();
  ex.dispose();
});

Deno.test("an empty batch gives zero rows of the output's dimension", async () => {
  await useBackend("wasm");
  const ex = FidInceptionExtractor.fromWeights(WEIGHTS);
  const rows = await ex.extract(
    { n: 0, height: 8, width: 8, channels: 3, data: new Float32Array(0) },
    "logits",
  );
  assert.deepEqual([rows.n, rows.dim, rows.data.length], [0, 1008, 0]);
  ex.dispose();
});

Deno.test("[wasm] largestTensorBytesPerImage bounds every tensor of an extraction (raw upload included)", async () => {
  await useBackend("wasm");
  const ex = FidInceptionExtractor.fromWeights(WEIGHTS);
  for (const [h, w] of [[40, 50], [1400, 1300]]) {
    const images = batchOf([h], h, w);
    let largest = 0;
    const info = await tf.profile(async () => {
      await ex.extract(images, "2048");
    });
    for (const k of info.kernels) {
      for (const shape of k.outputShapes) {
        largest = Math.max(
          largest,
          4 * (shape as number[]).reduce((a, b) => a * b, 1),
        );
      }
    }
    // The upload is not a kernel: add it by hand.
    largest = Math.max(largest, 4 * h * w * 3);
    assert.equal(ex.largestTensorBytesPerImage(h, w, 3), largest, `${h}x${w}`);
  }
  ex.dispose();
});
