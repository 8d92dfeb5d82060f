/**
 * The "mnist-lenet" feature extractor: network.ts with the committed weights (trained by train.ts).
 *
 * Outputs: "features" (default) = the 128-d penultimate layer after ReLU; "logits" = the 10 class logits.
 * Preprocessing, so any image works: RGB is converted to grayscale as the plain mean of R, G and B, then the
 * image is resized to 28 x 28 with bilinear interpolation (half-pixel centres, as PIL, OpenCV and torch's
 * align_corners=False; no antialiasing, so large downscales alias). 28 x 28 input is used as is. Pixels are
 * expected in [0, 1], white digit on black background, like MNIST.
 */
import * as tf from "@tensorflow/tfjs-core";
import { UnprocessableError } from "../../src/errors.ts";
import type { FeatureExtractor, FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import { currentBackendInfo, ensureBackend, extractInChunks, imagesPerSlice } from "../runtime/backend.ts";
import {
  FEATURE_DIM,
  INPUT_SIZE,
  LARGEST_ACTIVATION_PER_IMAGE,
  lenetForward,
  type LenetParams,
  NUM_CLASSES,
} from "./network.ts";
import { readCommittedWeights } from "./weights_file.ts";
import type { ExtractionSettings } from "../runtime/extraction_settings.ts";

/** The feature space name. */
export const MNIST_LENET_SPACE = "mnist-lenet";
/** At most this many images per tfjs call (bounds memory; WebGPU may need fewer). */
const MAX_IMAGES_PER_CALL = 512;

/** Checks that a batch is well formed (the ImageBatch contract). */
export function checkImageBatch(images: ImageBatch): void {
  const { n, height, width, channels, data } = images;
  const ok = [n, height, width].every((v) => Number.isInteger(v) && v > 0) &&
    (channels === 1 || channels === 3);
  if (!ok || data.length !== n * height * width * channels) {
    throw new UnprocessableError(
      "images_bad_batch",
      `an image batch of n=${n}, ${height} x ${width} x ${channels} needs n, height, width >= 1, 1 or 3 channels ` +
        `and n*height*width*channels values, got ${data.length}`,
    );
  }
}

/** Grayscale (mean of RGB) and 28 x 28 (bilinear, half-pixel centres): what the network was trained on. */
export function toLenetInput(x: tf.Tensor4D): tf.Tensor4D {
  const gray = x.shape[3] === 1 ? x : (tf.mean(x, 3, true) as tf.Tensor4D);
  if (x.shape[1] === INPUT_SIZE && x.shape[2] === INPUT_SIZE) return gray;
  return tf.image.resizeBilinear(gray, [INPUT_SIZE, INPUT_SIZE], false, true);
}

class MnistLenetExtractor implements FeatureExtractor {
  readonly space = MNIST_LENET_SPACE;
  readonly dims: Record<string, number> = { features: FEATURE_DIM, logits: NUM_CLASSES };
  #params: LenetParams | null;

  constructor(params: LenetParams) {
    this.#params = params;
  }

  async extract(images: ImageBatch, output = "features"): Promise<FeatureRows> {
    const params = this.#params;
    if (!params) {
      throw new UnprocessableError("extractor_disposed", "this mnist-lenet extractor was disposed");
    }
    if (!Object.hasOwn(this.dims, output)) {
      throw new UnprocessableError(
        "unknown_output",
        `mnist-lenet has no output ${JSON.stringify(output)}; expected one of ${
          Object.keys(this.dims).join(", ")
        }`,
      );
    }
    checkImageBatch(images);
    const { height, width, channels } = images;
    // Largest tensor per image: the input itself, or conv1's output (WebGPU must stay under its buffer limit).
    const bytesPerImage = 4 * Math.max(height * width * channels, LARGEST_ACTIVATION_PER_IMAGE);
    const perCall = imagesPerSlice(currentBackendInfo(), bytesPerImage, MAX_IMAGES_PER_CALL);
    const dim = this.dims[output];
    return await extractInChunks(images, perCall, async (slice) => {
      const y = tf.tidy(() => {
        const x = tf.tensor4d(slice.data, [slice.n, height, width, channels]);
        const out = lenetForward(params, toLenetInput(x));
        return output === "logits" ? out.logits : out.features;
      });
      try {
        return { n: slice.n, dim, data: (await y.data()) as Float32Array };
      } finally {
        y.dispose();
      }
    });
  }

  dispose(): void {
    if (this.#params) { for (const t of Object.values(this.#params)) t.dispose(); }
    this.#params = null;
  }
}

/** Loads the committed weights into an extractor on `backend` (default: the active or auto-chosen one). */
export async function loadMnistLenet(opts: ExtractionSettings = {}): Promise<FeatureExtractor> {
  await ensureBackend(opts.backend);
  const { tensors } = await readCommittedWeights();
  const params = Object.fromEntries(
    Object.entries(tensors).map(([name, t]) => [name, tf.tensor(t.data, t.shape)]),
  ) as unknown as LenetParams;
  return new MnistLenetExtractor(params);
}
