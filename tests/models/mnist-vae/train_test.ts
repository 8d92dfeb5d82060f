/** The MNIST VAE: training lowers its loss, and the committed weights reconstruct held-out digits well. */
import assert from "node:assert/strict";
import * as tfl from "@tensorflow/tfjs-layers";
import { splitDigits } from "../../../models/mnist-lenet/digits.ts";
import { evaluateVae, trainVae } from "../../../models/mnist-vae/train.ts";
import { initBackend } from "../../../models/runtime/backend.ts";
import { bundleIOHandler } from "../../../models/tfjs-upload/io_handler.ts";
import { loadModelBundle } from "../../../models/tfjs-upload/load_model.ts";
import {
  decodeLatents,
  encodeMeans,
  inspectDecoder,
  inspectEncoder,
} from "../../../models/tfjs-upload/vae_ops.ts";
import { modelBundleFromFiles } from "../../../src/tfjs/model_bundle.ts";
import { committedModel } from "../../_support/vae.ts";

await initBackend("wasm");
const { train, heldOut } = splitDigits();

Deno.test("a few training steps lower the VAE loss (per-digit cross-entropy + KL)", () => {
  const small = {
    n: 400,
    images: train.images.subarray(0, 400 * 784),
    labels: train.labels.subarray(0, 400),
  };
  const { encoder, decoder, history } = trainVae(small, {
    latentDim: 2,
    hidden: 16,
    epochs: 3,
    seed: 3,
    batch: 50,
    lr: 0.01,
  });
  assert.equal(history.length, 3);
  assert.ok(history[2].loss < history[0].loss, JSON.stringify(history));
  // Untrained, every pixel is near 0.5: about 784 ln 2 = 543 nats of cross-entropy per digit.
  assert.ok(history[0].recon > 200 && history[0].recon < 600, JSON.stringify(history[0]));
  const e = evaluateVae(encoder, decoder, {
    n: 100,
    images: heldOut.images.subarray(0, 100 * 784),
    labels: heldOut.labels,
  });
  assert.ok(Number.isFinite(e.loss) && e.kl >= 0);
  encoder.dispose();
  decoder.dispose();
});

Deno.test("the committed VAE reconstructs held-out digits far better than their mean image does", async () => {
  const enc = await loadModelBundle(modelBundleFromFiles(committedModel("encoder")));
  const dec = await loadModelBundle(modelBundleFromFiles(committedModel("decoder")));
  const n = 500;
  const x = heldOut.images.subarray(0, n * 784);
  const means = await encodeMeans(enc, await inspectEncoder(enc, {}), {
    n,
    height: 28,
    width: 28,
    channels: 1,
    data: x,
  });
  const xhat = await decodeLatents(dec, await inspectDecoder(dec, {}), means, n);
  // Baseline: every digit replaced by the mean training digit.
  const mean = new Float64Array(784);
  for (let i = 0; i < train.n; i++) {
    for (let p = 0; p < 784; p++) mean[p] += train.images[i * 784 + p] / train.n;
  }
  let vae = 0, base = 0;
  for (let i = 0; i < n * 784; i++) {
    vae += (x[i] - xhat.data[i]) ** 2 / (n * 784);
    base += (x[i] - mean[i % 784]) ** 2 / (n * 784);
  }
  // Measured over all 2,000 held-out digits: 0.026 vs 0.068 (ratio 0.38).
  assert.ok(vae < 0.5 * base, `VAE MSE ${vae} vs mean-image MSE ${base}`);
  enc.dispose();
  dec.dispose();
});

Deno.test("the committed files load with tfjs-layers' own loader too, and stay under 1 MB", async () => {
  let bytes = 0;
  for (const role of ["encoder", "decoder"] as const) {
    const files = committedModel(role);
    for (const f of files.values()) bytes += f.byteLength;
    const model = await tfl.loadLayersModel(bundleIOHandler(modelBundleFromFiles(files)), { strict: true });
    assert.equal(model.inputs.length, 1);
    model.dispose();
  }
  assert.ok(bytes < 1_000_000, `${bytes} bytes`);
});
