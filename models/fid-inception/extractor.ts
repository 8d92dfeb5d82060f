/**
 * The "fid-inception" feature extractor: pytorch-fid's preprocessing and InceptionV3 on whatever tfjs
 * backend is active. Outputs "2048" (pool3, the FID default), "768", "192", "64" (earlier blocks,
 * average-pooled) and "logits" (1008, fc without bias, for Inception Score).
 */
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError, UnprocessableError } from "../../src/errors.ts";
import type { FeatureExtractor, FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import type { PixelBatch } from "../../src/features/pixel_batch.ts";
import {
  buildFidInception,
  type FidInceptionNetwork,
  type FidInceptionOutput,
  type FoldedWeights,
  largestActivationBytesPerImage,
} from "./network.ts";
import { FID_INCEPTION_INPUT_SIZE, preprocessForFidInception } from "./preprocess.ts";

/** Output names of the extractor. */
export type FidInceptionOutputName = "2048" | "768" | "192" | "64" | "logits";

/** The network output behind each extractor output. */
export const NETWORK_OUTPUT: Readonly<Record<FidInceptionOutputName, FidInceptionOutput>> = {
  "2048": "pool3",
  "768": "pool2",
  "192": "pool1",
  "64": "pool0",
  logits: "logits",
};

/** Dimension of each extractor output. */
export const FID_INCEPTION_OUTPUT_DIMS: Readonly<Record<FidInceptionOutputName, number>> = {
  "2048": 2048,
  "768": 768,
  "192": 192,
  "64": 64,
  logits: 1008,
};

/** The output name, or a typed error listing the known ones. */
export function checkFidInceptionOutput(output: string): FidInceptionOutputName {
  if (!Object.hasOwn(FID_INCEPTION_OUTPUT_DIMS, output)) {
    throw new InvalidInputError(
      "inception_unknown_output",
      `unknown fid-inception output "${output}"; expected one of ${
        Object.keys(FID_INCEPTION_OUTPUT_DIMS).join(", ")
      }`,
    );
  }
  return output as FidInceptionOutputName;
}

/** Options of the extractor. */
export interface FidInceptionExtractorOptions {
  /** Images per forward pass (default 16); bounds peak memory, not the result. */
  batchSize?: number;
}

/** pytorch-fid's InceptionV3 as a FeatureExtractor over tfjs. */
export class FidInceptionExtractor implements FeatureExtractor {
  /** Feature space name: features from different spaces must never be compared. */
  readonly space = "fid-inception";
  /** Dimension of each output. */
  readonly dims: Readonly<Record<FidInceptionOutputName, number>> = FID_INCEPTION_OUTPUT_DIMS;
  /** The output FID uses. */
  readonly defaultOutput: FidInceptionOutputName = "2048";
  readonly #network: FidInceptionNetwork;
  readonly #batchSize: number;

  /** Wraps a built network (the extractor disposes it in dispose()). */
  constructor(network: FidInceptionNetwork, opts: FidInceptionExtractorOptions = {}) {
    const batchSize = opts.batchSize ?? 16;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidInputError(
        "inception_bad_batch_size",
        `batchSize must be a positive integer, got ${batchSize}`,
      );
    }
    this.#network = network;
    this.#batchSize = batchSize;
  }

  /** Builds the network from folded weights (see network.ts for the keys) on the active backend. */
  static fromWeights(weights: FoldedWeights, opts: FidInceptionExtractorOptions = {}): FidInceptionExtractor {
    return new FidInceptionExtractor(buildFidInception(weights), opts);
  }

  /** Features of one output (default "2048") for every image, computed in chunks of batchSize. */
  async extract(images: ImageBatch, output: string = this.defaultOutput): Promise<FeatureRows> {
    const all = await this.extractMany(images, [output]);
    return all[output as FidInceptionOutputName]!;
  }

  /** Several outputs from one pass over the images (e.g. "2048" for FID and "logits" for IS). */
  async extractMany(
    images: ImageBatch,
    outputs: readonly string[],
  ): Promise<Partial<Record<FidInceptionOutputName, FeatureRows>>> {
    const names = outputs.map(checkFidInceptionOutput);
    checkImageBatch(images);
    const { n, height, width, channels } = images;
    const result: Partial<Record<FidInceptionOutputName, FeatureRows>> = {};
    for (const name of names) {
      result[name] = { n, dim: this.dims[name], data: new Float32Array(n * this.dims[name]) };
    }
    const perImage = height * width * channels;
    const wanted = names.map((name) => NETWORK_OUTPUT[name]);
    for (let start = 0; start < n; start += this.#batchSize) {
      const count = Math.min(this.#batchSize, n - start);
      const features = tf.tidy(() => {
        const x = tf.tensor4d(
          images.data.subarray(start * perImage, (start + count) * perImage),
          [count, height, width, channels],
        );
        return this.#network.run(preprocessForFidInception(x), wanted);
      });
      try {
        for (const name of names) {
          const t = features[NETWORK_OUTPUT[name]]!;
          // Asynchronous download: webgpu cannot read synchronously.
          const values = await t.data() as Float32Array;
          result[name]!.data.set(values, start * this.dims[name]);
        }
      } finally {
        for (const t of Object.values(features)) t?.dispose();
      }
    }
    return result;
  }

  /**
   * Bytes of the largest tensor one image of this size creates during extraction: its raw upload or the
   * network's largest activation at 299x299. WebGPU callers size their slices with it.
   */
  largestTensorBytesPerImage(height: number, width: number, channels: number): number {
    const size = FID_INCEPTION_INPUT_SIZE;
    return Math.max(
      4 * height * width * channels,
      4 * size * size * 3,
      largestActivationBytesPerImage(size, size),
    );
  }

  /** Frees the network's weights. */
  dispose(): void {
    this.#network.dispose();
  }
}

/**
 * Rejects a malformed batch or float values outside [0, 1] (typically 0-255 pixels passed unscaled); uint8
 * pixels are 0..255 by type.
 */
export function checkImageBatch(images: ImageBatch | PixelBatch): void {
  const { n, height, width, channels, data } = images;
  for (const [k, v] of [["n", n], ["height", height], ["width", width]] as const) {
    if (!Number.isInteger(v) || v < (k === "n" ? 0 : 1)) {
      throw new UnprocessableError("images_bad_shape", `images.${k} must be a positive integer, got ${v}`);
    }
  }
  if (channels !== 1 && channels !== 3) {
    throw new UnprocessableError(
      "images_bad_channels",
      `fid-inception takes grayscale (1) or RGB (3) channel images, got ${channels} channels`,
    );
  }
  if (data.length !== n * height * width * channels) {
    throw new UnprocessableError(
      "images_bad_shape",
      `images hold ${data.length} values, expected n*height*width*channels = ${
        n * height * width * channels
      }`,
    );
  }
  if (data instanceof Uint8Array) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0 && v <= 1)) {
      throw new UnprocessableError(
        "images_out_of_range",
        `image value ${v} at index ${i} is outside [0, 1]; scale 8-bit pixels by 1/255 first`,
      );
    }
  }
}
