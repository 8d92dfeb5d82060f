/**
 * What fidstream does with an uploaded VAE half: work out its shapes on a probe input, decode latents to
 * images in [0, 1], and encode images to latent means. Batches run in slices so memory stays bounded.
 */
import * as tf from "@tensorflow/tfjs-core";
import { UnprocessableError } from "../../src/errors.ts";
import type { ImageBatch } from "../../src/features/extractor.ts";
import {
  type DecoderInfo,
  decoderInfo,
  decoderLatentDim,
  type EncoderInfo,
  encoderInfo,
  encoderInputShape,
  fromUnitRange,
  MAX_IMAGE_VALUES,
  type ModelOptions,
  toUnitRange,
} from "../../src/vae/model_roles.ts";
import { type LoadedModel, modelError } from "./load_model.ts";

/** Rows per forward pass: bounds the activations a decoder or encoder holds at once. */
export const SLICE_ROWS = 256;

async function runOnce(model: LoadedModel, x: tf.Tensor): Promise<tf.Tensor[]> {
  try {
    return await model.run(x);
  } catch (e) {
    throw modelError(e, "run");
  } finally {
    x.dispose();
  }
}

async function valuesOf(t: tf.Tensor): Promise<Float32Array> {
  const data = await t.data();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

/** The decoder's description: latent dim from its input (or opts), image shape from decoding a zero latent. */
export async function inspectDecoder(model: LoadedModel, opts: ModelOptions): Promise<DecoderInfo> {
  const d = decoderLatentDim(model.inputShape, opts);
  // A model that declares a huge output is refused before the probe allocates it.
  const declared = model.outputShapes[0]?.slice(1);
  if (declared && declared.every((v) => typeof v === "number")) {
    const values = (declared as number[]).reduce((a, b) => a * b, 1);
    if (values > MAX_IMAGE_VALUES) {
      throw new UnprocessableError(
        "decoder_output_too_large",
        `the decoder declares outputs of shape [${
          declared.join(", ")
        }] (${values} values per sample); at most ` +
          `${MAX_IMAGE_VALUES} are accepted`,
      );
    }
  }
  const outputs = await runOnce(model, tf.zeros([1, d]));
  try {
    return decoderInfo(d, outputs[0].shape.slice(1), opts);
  } finally {
    tf.dispose(outputs);
  }
}

/** The encoder's description: input shape from the model (or opts), output roles from encoding a zero image. */
export async function inspectEncoder(model: LoadedModel, opts: ModelOptions): Promise<EncoderInfo> {
  const inputShape = encoderInputShape(model.inputShape, opts);
  const outputs = await runOnce(model, tf.zeros([1, ...inputShape]));
  try {
    return encoderInfo(inputShape, outputs.map((o) => o.shape.slice(1)), opts);
  } finally {
    tf.dispose(outputs);
  }
}

/** Decodes n x latentDim row-major latents to n images in [0, 1] (NHWC). */
export async function decodeLatents(
  model: LoadedModel,
  info: DecoderInfo,
  z: Float32Array,
  n: number,
): Promise<ImageBatch> {
  const d = info.latentDim;
  const [height, width, channels] = info.imageShape;
  const per = height * width * channels;
  const data = new Float32Array(n * per);
  for (let start = 0; start < n; start += SLICE_ROWS) {
    const m = Math.min(SLICE_ROWS, n - start);
    const outputs = await runOnce(model, tf.tensor2d(z.subarray(start * d, (start + m) * d), [m, d]));
    try {
      const values = await valuesOf(outputs[0]);
      if (values.length !== m * per) {
        throw new UnprocessableError(
          "decoder_output_shape",
          `the decoder gave ${
            values.length / m
          } values per sample on a batch of ${m}, not the ${per} it gave ` +
            "on its probe input",
        );
      }
      data.set(toUnitRange(values, info.outputRange), start * per);
    } finally {
      tf.dispose(outputs);
    }
  }
  return { n, height, width, channels, data };
}

/** Encodes images in [0, 1] to their latent means (n x latentDim, row-major). */
export async function encodeMeans(
  model: LoadedModel,
  info: EncoderInfo,
  images: ImageBatch,
): Promise<Float32Array> {
  const per = images.height * images.width * images.channels;
  const expected = info.inputShape.reduce((a, b) => a * b, 1);
  if (per !== expected) {
    throw new UnprocessableError(
      "encoder_input_mismatch",
      `images of shape [${images.height}, ${images.width}, ${images.channels}] do not fit the encoder's input ` +
        `[${info.inputShape.join(", ")}]`,
    );
  }
  const d = info.latentDim;
  const out = new Float32Array(images.n * d);
  for (let start = 0; start < images.n; start += SLICE_ROWS) {
    const m = Math.min(SLICE_ROWS, images.n - start);
    const x = fromUnitRange(images.data.subarray(start * per, (start + m) * per), info.inputRange);
    const outputs = await runOnce(model, tf.tensor(x, [m, ...info.inputShape]));
    try {
      const values = await valuesOf(outputs[info.meanOutput]);
      const width = values.length / m;
      for (let i = 0; i < m; i++) out.set(values.subarray(i * width, i * width + d), (start + i) * d);
    } finally {
      tf.dispose(outputs);
    }
  }
  return out;
}
