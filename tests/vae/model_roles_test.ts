/** Working out a decoder's and an encoder's shapes from the model and the user's options. */
import assert from "node:assert/strict";
import {
  decoderInfo,
  decoderLatentDim,
  encoderInfo,
  encoderInputShape,
  fromUnitRange,
  parseModelOptions,
  toUnitRange,
} from "../../src/vae/model_roles.ts";

Deno.test("options parse from query strings and JSON alike; unknown keys are refused", () => {
  const fromQuery = parseModelOptions({
    latent_dim: "8",
    output_shape: "28,28,1",
    output_range: "tanh",
    mean_output: "1",
  });
  const fromJson = parseModelOptions({
    latent_dim: 8,
    output_shape: [28, 28, 1],
    output_range: "tanh",
    mean_output: 1,
  });
  assert.deepEqual(fromQuery, fromJson);
  assert.deepEqual(fromJson, { latentDim: 8, outputShape: [28, 28, 1], outputRange: "tanh", meanOutput: 1 });
  assert.throws(() => parseModelOptions({ latentdim: 8 }), { code: "model_option_unknown" });
  for (
    const raw of [{ latent_dim: 0 }, { latent_dim: "x" }, { output_shape: [] }, { output_range: "sigmoid" }, {
      mean_output: -1,
    }]
  ) {
    assert.throws(() => parseModelOptions(raw), { code: "model_option_invalid" }, JSON.stringify(raw));
  }
});

Deno.test("a decoder's latent dimension comes from its input shape or latent_dim, which must agree", () => {
  assert.equal(decoderLatentDim([null, 8], {}), 8);
  assert.equal(decoderLatentDim([null, 8], { latentDim: 8 }), 8);
  assert.equal(decoderLatentDim(undefined, { latentDim: 16 }), 16);
  assert.equal(decoderLatentDim([null, null], { latentDim: 4 }), 4);
  assert.throws(() => decoderLatentDim([null, 8], { latentDim: 5 }), { code: "latent_dim_mismatch" });
  assert.throws(() => decoderLatentDim(undefined, {}), { code: "latent_dim_unknown" });
  assert.throws(() => decoderLatentDim([null, 4, 4], {}), { code: "decoder_input_shape" });
});

Deno.test("decoder outputs become NHWC image shapes; flat ones need output_shape unless square", () => {
  assert.deepEqual(decoderInfo(8, [28, 28, 1], {}).imageShape, [28, 28, 1]);
  assert.deepEqual(decoderInfo(8, [28, 28], {}).imageShape, [28, 28, 1]);
  assert.deepEqual(decoderInfo(8, [784], {}).imageShape, [28, 28, 1]);
  assert.deepEqual(decoderInfo(8, [3072], { outputShape: [32, 32, 3] }).imageShape, [32, 32, 3]);
  assert.equal(decoderInfo(8, [784], {}).outputRange, "unit");
  assert.throws(() => decoderInfo(8, [3072], {}), { code: "decoder_output_shape" });
  assert.throws(() => decoderInfo(8, [784], { outputShape: [28, 27] }), { code: "decoder_output_shape" });
  assert.throws(() => decoderInfo(8, [3, 32, 32], {}), { code: "decoder_output_shape" });
  assert.throws(() => decoderInfo(8, [2048, 2048], {}), { code: "decoder_output_too_large" });
});

Deno.test("encoder inputs and mean outputs", () => {
  assert.deepEqual(encoderInputShape([null, 28, 28, 1], {}), [28, 28, 1]);
  assert.deepEqual(encoderInputShape([null, null, null, 1], { inputShape: [28, 28, 1] }), [28, 28, 1]);
  assert.throws(() => encoderInputShape([null, null, null, 1], {}), { code: "encoder_input_shape" });
  assert.throws(() => encoderInputShape([null, 784], { inputShape: [28, 27] }), {
    code: "encoder_input_shape",
  });
  // [z_mean, z_log_var]: the first output is the mean.
  assert.deepEqual(encoderInfo([784], [[8], [8]], {}), {
    role: "encoder",
    latentDim: 8,
    inputShape: [784],
    meanOutput: 0,
    meanPart: "all",
    inputRange: "unit",
  });
  // One output of width 2d with d known: its first half.
  assert.equal(encoderInfo([784], [[16]], { latentDim: 8 }).meanPart, "first_half");
  assert.equal(encoderInfo([784], [[8], [8], [8]], { meanOutput: 2 }).meanOutput, 2);
  assert.throws(() => encoderInfo([784], [[8]], { meanOutput: 1 }), { code: "encoder_mean_output" });
  assert.throws(() => encoderInfo([784], [[12]], { latentDim: 8 }), { code: "latent_dim_mismatch" });
  assert.throws(() => encoderInfo([784], [[4, 2]], {}), { code: "encoder_output_shape" });
});

Deno.test("value ranges map to and from [0, 1]", () => {
  assert.deepEqual(Array.from(toUnitRange(Float32Array.from([-1, 0, 1, 3]), "tanh")), [0, 0.5, 1, 1]);
  assert.deepEqual(Array.from(toUnitRange(Float32Array.from([0, -0.5, 2, NaN]), "unit")), [0, 0, 1, 0]);
  const logits = toUnitRange(Float32Array.from([0, 2]), "logits");
  assert.ok(Math.abs(logits[0] - 0.5) < 1e-7 && Math.abs(logits[1] - 1 / (1 + Math.exp(-2))) < 1e-7);
  assert.deepEqual(Array.from(fromUnitRange(Float32Array.from([0, 0.5, 1]), "tanh")), [-1, 0, 1]);
  assert.deepEqual(Array.from(fromUnitRange(Float32Array.from([0, 0.5, 1]), "unit")), [0, 0.5, 1]);
});
