/**
 * Building blocks of pytorch-fid's FID InceptionV3 as TensorFlow.js ops on NHWC tensors (the wiring itself is
 * topology.ts's, shared with the WebAssembly network).
 *
 * - BasicConv2d = conv (no bias) + BatchNorm(eps=0.001) + ReLU; the weight loader folds the batch norm into
 *   the conv, so here each one is a conv with bias followed by ReLU (one fused op).
 * - FIDInceptionA / FIDInceptionC / FIDInceptionE_1 pool branch: avg_pool2d(3, stride 1, padding 1,
 *   count_include_pad=False), i.e. the mean over the in-bounds pixels only (TensorFlow's convention).
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  inceptionABlock,
  inceptionBBlock,
  inceptionCBlock,
  inceptionDBlock,
  inceptionEBlock,
  type InceptionOps,
} from "./topology.ts";

/** One BasicConv2d as torchvision declares it (kernel and padding are [height, width]). */
export interface ConvSpec {
  /** torchvision module path, e.g. "Mixed_5b.branch5x5_1". */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  stride: number;
  padding: [number, number];
}

/** A BasicConv2d with its batch norm folded in: filter [kh, kw, in, out] (HWIO) and bias [out]. */
export interface FoldedConv {
  spec: ConvSpec;
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** Finds the folded conv of a module path; throws when the network has no such layer. */
export type ConvLookup = (name: string) => FoldedConv;

/** A ConvSpec from torchvision-style arguments (kernel/padding: one number or [h, w]). */
export function convSpec(
  name: string,
  inChannels: number,
  outChannels: number,
  kernel: number | [number, number],
  opts: { stride?: number; padding?: number | [number, number] } = {},
): ConvSpec {
  const pair = (v: number | [number, number]): [number, number] => typeof v === "number" ? [v, v] : v;
  return {
    name,
    inChannels,
    outChannels,
    kernel: pair(kernel),
    stride: opts.stride ?? 1,
    padding: pair(opts.padding ?? 0),
  };
}

/** BasicConv2d with folded batch norm: relu(conv(x) + bias), zero padding as torch's Conv2d. */
export function basicConv(x: tf.Tensor4D, layer: FoldedConv): tf.Tensor4D {
  const [ph, pw] = layer.spec.padding;
  const pad: "valid" | [[number, number], [number, number], [number, number], [number, number]] =
    ph === 0 && pw === 0 ? "valid" : [[0, 0], [ph, ph], [pw, pw], [0, 0]];
  return tf.fused.conv2d({
    x,
    filter: layer.filter,
    bias: layer.bias,
    strides: layer.spec.stride,
    pad,
    activation: "relu",
  });
}

/**
 * avg_pool2d(3, stride 1, padding 1, count_include_pad=False). tfjs pools with TensorFlow's rule (divide by
 * the number of in-bounds pixels), which is exactly count_include_pad=False; blocks_test checks it on each
 * backend against a plain loop.
 */
export function avgPool3x3ExcludePad(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 3, 1, 1);
}

/** max_pool2d(3, stride 1, padding 1): padding never wins a max (torch pads with -inf). */
export function maxPool3x3Same(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 3, 1, 1);
}

/** max_pool2d(3, stride 2), unpadded, floor mode: out = floor((in - 3) / 2) + 1. */
export function maxPool3x3Stride2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 3, 2, "valid");
}

/** The network's ops on tfjs tensors, convs looked up by name. */
export function tfjsOps(conv: ConvLookup): InceptionOps<tf.Tensor4D> {
  return {
    conv: (name, x) => basicConv(x, conv(name)),
    avgPool3x3ExcludePad,
    maxPool3x3Same,
    maxPool3x3Stride2,
    concat: (parts) => tf.concat4d(parts, 3),
  };
}

/** Convs of an InceptionA (FIDInceptionA) block. */
export function inceptionASpecs(prefix: string, inChannels: number, poolFeatures: number): ConvSpec[] {
  return [
    convSpec(`${prefix}.branch1x1`, inChannels, 64, 1),
    convSpec(`${prefix}.branch5x5_1`, inChannels, 48, 1),
    convSpec(`${prefix}.branch5x5_2`, 48, 64, 5, { padding: 2 }),
    convSpec(`${prefix}.branch3x3dbl_1`, inChannels, 64, 1),
    convSpec(`${prefix}.branch3x3dbl_2`, 64, 96, 3, { padding: 1 }),
    convSpec(`${prefix}.branch3x3dbl_3`, 96, 96, 3, { padding: 1 }),
    convSpec(`${prefix}.branch_pool`, inChannels, poolFeatures, 1),
  ];
}

/** FIDInceptionA: [1x1, 5x5, double 3x3, avgpool(excl. pad) -> 1x1] concatenated. */
export function inceptionA(x: tf.Tensor4D, prefix: string, conv: ConvLookup): tf.Tensor4D {
  return inceptionABlock(tfjsOps(conv), x, prefix);
}

/** Convs of an InceptionB block (Mixed_6a). */
export function inceptionBSpecs(prefix: string, inChannels: number): ConvSpec[] {
  return [
    convSpec(`${prefix}.branch3x3`, inChannels, 384, 3, { stride: 2 }),
    convSpec(`${prefix}.branch3x3dbl_1`, inChannels, 64, 1),
    convSpec(`${prefix}.branch3x3dbl_2`, 64, 96, 3, { padding: 1 }),
    convSpec(`${prefix}.branch3x3dbl_3`, 96, 96, 3, { stride: 2 }),
  ];
}

/** InceptionB: [3x3 stride 2, double 3x3 ending stride 2, maxpool stride 2] concatenated. */
export function inceptionB(x: tf.Tensor4D, prefix: string, conv: ConvLookup): tf.Tensor4D {
  return inceptionBBlock(tfjsOps(conv), x, prefix);
}

/** Convs of an InceptionC (FIDInceptionC) block; 1x7 pads (0, 3), 7x1 pads (3, 0). */
export function inceptionCSpecs(prefix: string, inChannels: number, channels7x7: number): ConvSpec[] {
  const c7 = channels7x7;
  return [
    convSpec(`${prefix}.branch1x1`, inChannels, 192, 1),
    convSpec(`${prefix}.branch7x7_1`, inChannels, c7, 1),
    convSpec(`${prefix}.branch7x7_2`, c7, c7, [1, 7], { padding: [0, 3] }),
    convSpec(`${prefix}.branch7x7_3`, c7, 192, [7, 1], { padding: [3, 0] }),
    convSpec(`${prefix}.branch7x7dbl_1`, inChannels, c7, 1),
    convSpec(`${prefix}.branch7x7dbl_2`, c7, c7, [7, 1], { padding: [3, 0] }),
    convSpec(`${prefix}.branch7x7dbl_3`, c7, c7, [1, 7], { padding: [0, 3] }),
    convSpec(`${prefix}.branch7x7dbl_4`, c7, c7, [7, 1], { padding: [3, 0] }),
    convSpec(`${prefix}.branch7x7dbl_5`, c7, 192, [1, 7], { padding: [0, 3] }),
    convSpec(`${prefix}.branch_pool`, inChannels, 192, 1),
  ];
}

/** FIDInceptionC: [1x1, 1x7 -> 7x1, 7x1 -> 1x7 -> 7x1 -> 1x7, avgpool(excl. pad) -> 1x1] concatenated. */
export function inceptionC(x: tf.Tensor4D, prefix: string, conv: ConvLookup): tf.Tensor4D {
  return inceptionCBlock(tfjsOps(conv), x, prefix);
}

/** Convs of an InceptionD block (Mixed_7a). */
export function inceptionDSpecs(prefix: string, inChannels: number): ConvSpec[] {
  return [
    convSpec(`${prefix}.branch3x3_1`, inChannels, 192, 1),
    convSpec(`${prefix}.branch3x3_2`, 192, 320, 3, { stride: 2 }),
    convSpec(`${prefix}.branch7x7x3_1`, inChannels, 192, 1),
    convSpec(`${prefix}.branch7x7x3_2`, 192, 192, [1, 7], { padding: [0, 3] }),
    convSpec(`${prefix}.branch7x7x3_3`, 192, 192, [7, 1], { padding: [3, 0] }),
    convSpec(`${prefix}.branch7x7x3_4`, 192, 192, 3, { stride: 2 }),
  ];
}

/** InceptionD: [1x1 -> 3x3 stride 2, 1x1 -> 1x7 -> 7x1 -> 3x3 stride 2, maxpool stride 2] concatenated. */
export function inceptionD(x: tf.Tensor4D, prefix: string, conv: ConvLookup): tf.Tensor4D {
  return inceptionDBlock(tfjsOps(conv), x, prefix);
}

/** Convs of an InceptionE block (Mixed_7b, Mixed_7c); 1x3 pads (0, 1), 3x1 pads (1, 0). */
export function inceptionESpecs(prefix: string, inChannels: number): ConvSpec[] {
  return [
    convSpec(`${prefix}.branch1x1`, inChannels, 320, 1),
    convSpec(`${prefix}.branch3x3_1`, inChannels, 384, 1),
    convSpec(`${prefix}.branch3x3_2a`, 384, 384, [1, 3], { padding: [0, 1] }),
    convSpec(`${prefix}.branch3x3_2b`, 384, 384, [3, 1], { padding: [1, 0] }),
    convSpec(`${prefix}.branch3x3dbl_1`, inChannels, 448, 1),
    convSpec(`${prefix}.branch3x3dbl_2`, 448, 384, 3, { padding: 1 }),
    convSpec(`${prefix}.branch3x3dbl_3a`, 384, 384, [1, 3], { padding: [0, 1] }),
    convSpec(`${prefix}.branch3x3dbl_3b`, 384, 384, [3, 1], { padding: [1, 0] }),
    convSpec(`${prefix}.branch_pool`, inChannels, 192, 1),
  ];
}

/**
 * FIDInceptionE_1 (pool "avg", count_include_pad=False) / FIDInceptionE_2 (pool "max"):
 * [1x1, cat(1x3, 3x1) of a 1x1, cat(1x3, 3x1) of 1x1 -> 3x3, pool -> 1x1] concatenated.
 */
export function inceptionE(
  x: tf.Tensor4D,
  prefix: string,
  conv: ConvLookup,
  pool: "avg" | "max",
): tf.Tensor4D {
  return inceptionEBlock(tfjsOps(conv), x, prefix, pool);
}
