/**
 * The mnist-lenet network (LeNet-5 style), as TensorFlow.js ops on NHWC float32 tensors:
 *
 *   28x28x1 -> conv 5x5 valid, 16 ch, ReLU -> 24x24x16 -> max pool 2 -> 12x12x16
 *           -> conv 5x5 valid, 32 ch, ReLU -> 8x8x32   -> max pool 2 -> 4x4x32 -> flatten (512, HWC order)
 *           -> dense 128, ReLU  = "features" (the penultimate layer)
 *           -> dense 10         = "logits"
 *
 * 80,202 float32 parameters (313 KiB). Input pixels are in [0, 1], white digit on black, as in MNIST.
 */
import * as tf from "@tensorflow/tfjs-core";

/** Parameter names, in the order the weights file stores them, with their shapes. */
export const PARAMETER_SHAPES: Record<string, number[]> = {
  conv1_w: [5, 5, 1, 16],
  conv1_b: [16],
  conv2_w: [5, 5, 16, 32],
  conv2_b: [32],
  fc1_w: [512, 128],
  fc1_b: [128],
  fc2_w: [128, 10],
  fc2_b: [10],
};

/** Dimension of the "features" output. */
export const FEATURE_DIM = 128;
/** Number of classes (the "logits" output). */
export const NUM_CLASSES = 10;
/** Input side length. */
export const INPUT_SIZE = 28;
/** Floats per image of the largest activation (conv1's 24 x 24 x 16 output). */
export const LARGEST_ACTIVATION_PER_IMAGE = 24 * 24 * 16;

/** The network's parameters by name (see PARAMETER_SHAPES). */
export type LenetParams = Record<keyof typeof PARAMETER_SHAPES, tf.Tensor>;

/** A valid, stride-1 convolution; training swaps in one with a WASM-friendly gradient. */
export type ConvFn = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

const plainConv: ConvFn = (x, w) => tf.conv2d(x, w, 1, "valid");

/** Both outputs of the network for a batch of 28 x 28 x 1 images. */
export function lenetForward(
  p: LenetParams,
  x: tf.Tensor4D,
  conv: ConvFn = plainConv,
): { features: tf.Tensor2D; logits: tf.Tensor2D } {
  const c1 = tf.relu(tf.add(conv(x, p.conv1_w as tf.Tensor4D), p.conv1_b)) as tf.Tensor4D;
  const p1 = tf.maxPool(c1, 2, 2, "valid");
  const c2 = tf.relu(tf.add(conv(p1, p.conv2_w as tf.Tensor4D), p.conv2_b)) as tf.Tensor4D;
  const p2 = tf.maxPool(c2, 2, 2, "valid");
  const flat = tf.reshape(p2, [x.shape[0], 512]);
  const features = tf.relu(tf.add(tf.matMul(flat, p.fc1_w as tf.Tensor2D), p.fc1_b)) as tf.Tensor2D;
  const logits = tf.add(tf.matMul(features, p.fc2_w as tf.Tensor2D), p.fc2_b) as tf.Tensor2D;
  return { features, logits };
}
