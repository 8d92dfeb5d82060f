/**
 * pytorch-fid's input pipeline for its InceptionV3 (InceptionV3.forward with resize_input and
 * normalize_input): images in [0, 1] -> F.interpolate(size=(299, 299), mode="bilinear",
 * align_corners=False) -> 2x - 1. PyTorch's bilinear samples at source = (dst + 0.5) * in/out - 0.5,
 * clamped at 0, with no antialiasing when downscaling; tfjs resizeBilinear with alignCorners=false and
 * halfPixelCenters=true computes the same (preprocess_test checks it against a plain loop).
 * Grayscale images are repeated to three channels, as PIL's convert("RGB") does in pytorch-fid's loader.
 */
import * as tf from "@tensorflow/tfjs-core";
import { UnprocessableError } from "../../src/errors.ts";

/** Side of the square input pytorch-fid resizes every image to. */
export const FID_INCEPTION_INPUT_SIZE = 299;

/** NHWC images in [0, 1] with 1 or 3 channels -> NHWC [n, 299, 299, 3] in [-1, 1], as pytorch-fid feeds them. */
export function preprocessForFidInception(images: tf.Tensor4D, size = FID_INCEPTION_INPUT_SIZE): tf.Tensor4D {
  const [, h, w, c] = images.shape;
  if (c !== 1 && c !== 3) {
    throw new UnprocessableError(
      "inception_bad_channels",
      `FID InceptionV3 takes grayscale (1 channel) or RGB (3 channels) images, got ${c} channels`,
    );
  }
  return tf.tidy(() => {
    const x = images.dtype === "float32" ? images : tf.cast(images, "float32");
    // Same size: PyTorch's interpolate maps every pixel onto itself, so skipping it is exact.
    const resized = h === size && w === size ? x : tf.image.resizeBilinear(x, [size, size], false, true);
    // Bilinear works per channel, so resizing one channel and then repeating it equals repeating first.
    const rgb = c === 1 ? tf.tile(resized, [1, 1, 1, 3]) : resized;
    return tf.sub(tf.mul(rgb, 2), 1);
  });
}
