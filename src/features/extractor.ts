/**
 * The contract every feature extractor (a network that maps images to feature vectors) implements.
 * Pure types: the implementations live under models/ (models/mnist-lenet, models/fid-inception) and are
 * looked up by their space name in models/runtime/registry.ts.
 */

/** A batch of images: NHWC, row-major, values in [0, 1]. */
export interface ImageBatch {
  /** Number of images. */
  n: number;
  height: number;
  width: number;
  /** 1 = grayscale, 3 = RGB. */
  channels: 1 | 3;
  /** n * height * width * channels values, pixel (i, y, x, c) at ((i * height + y) * width + x) * channels + c. */
  data: Float32Array;
}

/** Row-major n x dim features, one row per input image, in input order. */
export interface FeatureRows {
  n: number;
  dim: number;
  data: Float32Array;
}

/** A network that turns images into feature vectors in a named feature space. */
export interface FeatureExtractor {
  /** Name of the feature space, e.g. "mnist-lenet" or "fid-inception"; features of two spaces never mix. */
  readonly space: string;
  /** Output name -> its dimension D, e.g. { features: 128, logits: 10 }. */
  readonly dims: Record<string, number>;
  /** Features of every image of the batch for one output (the extractor's documented default when omitted). */
  extract(images: ImageBatch, output?: string): Promise<FeatureRows>;
  /** Frees the extractor's weights (GPU or WASM memory); the extractor is unusable afterwards. */
  dispose(): void;
}
