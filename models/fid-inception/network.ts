/**
 * pytorch-fid's FID InceptionV3 (fid_inception_v3(): torchvision Inception3(num_classes=1008,
 * aux_logits=False) with Mixed_5b-5d = FIDInceptionA, 6b-6e = FIDInceptionC, 7b = FIDInceptionE_1,
 * 7c = FIDInceptionE_2) built from TensorFlow.js ops on NHWC tensors, from batch-norm-folded weights.
 *
 * Outputs follow pytorch-fid's blocks, each average-pooled to a vector as fid_score.py does:
 * pool0 (64, after the first max pool), pool1 (192, after the second max pool), pool2 (768, after
 * Mixed_6e), pool3 (2048, after Mixed_7c). logits (1008) = pool3 @ fc.weight^T WITHOUT fc.bias: the
 * original TF Inception Score code multiplies pool_3 by the weight of "softmax/logits/MatMul" only, and
 * torch-fidelity's default Inception Score feature is this "logits_unbiased".
 */
import * as tf from "@tensorflow/tfjs-core";
import { UnprocessableError } from "../../src/errors.ts";
import {
  type ConvLookup,
  type ConvSpec,
  convSpec,
  type FoldedConv,
  inceptionASpecs,
  inceptionBSpecs,
  inceptionCSpecs,
  inceptionDSpecs,
  inceptionESpecs,
  tfjsOps,
} from "./blocks.ts";
import { fidInceptionStages } from "./topology.ts";

/** One tensor of the folded weight map (row-major data of the given shape). */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Folded weights keyed "<module path>.weight" (HWIO [kh, kw, in, out]) and "<module path>.bias" ([out]),
 * e.g. "Mixed_5b.branch5x5_1.weight", plus "fc.weight" ([1008, 2048], torch's [out, in]).
 */
export type FoldedWeights = Map<string, WeightTensor>;

/** Number of classifier outputs (the 2015 TF graph's 1008 classes). */
export const FID_INCEPTION_CLASSES = 1008;

/** Smallest input side that survives every stride (torchvision: "minimum input size ... 75x75"). */
export const FID_INCEPTION_MIN_SIZE = 75;

/** Every BasicConv2d of the network, in forward order, with torchvision's kernel/stride/padding. */
export const FID_INCEPTION_CONVS: readonly ConvSpec[] = [
  convSpec("Conv2d_1a_3x3", 3, 32, 3, { stride: 2 }),
  convSpec("Conv2d_2a_3x3", 32, 32, 3),
  convSpec("Conv2d_2b_3x3", 32, 64, 3, { padding: 1 }),
  convSpec("Conv2d_3b_1x1", 64, 80, 1),
  convSpec("Conv2d_4a_3x3", 80, 192, 3),
  ...inceptionASpecs("Mixed_5b", 192, 32),
  ...inceptionASpecs("Mixed_5c", 256, 64),
  ...inceptionASpecs("Mixed_5d", 288, 64),
  ...inceptionBSpecs("Mixed_6a", 288),
  ...inceptionCSpecs("Mixed_6b", 768, 128),
  ...inceptionCSpecs("Mixed_6c", 768, 160),
  ...inceptionCSpecs("Mixed_6d", 768, 160),
  ...inceptionCSpecs("Mixed_6e", 768, 192),
  ...inceptionDSpecs("Mixed_7a", 768),
  ...inceptionESpecs("Mixed_7b", 1280),
  ...inceptionESpecs("Mixed_7c", 2048),
];

/** The keys and shapes buildFidInception reads from a folded weight map (fc.bias is not read). */
export function fidInceptionWeightShapes(): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const s of FID_INCEPTION_CONVS) {
    shapes.set(`${s.name}.weight`, [s.kernel[0], s.kernel[1], s.inChannels, s.outChannels]);
    shapes.set(`${s.name}.bias`, [s.outChannels]);
  }
  shapes.set("fc.weight", [FID_INCEPTION_CLASSES, 2048]);
  return shapes;
}

/** Names of the network's outputs. */
export type FidInceptionOutput = "pool0" | "pool1" | "pool2" | "pool3" | "logits";

/** All outputs, in network order. */
export const FID_INCEPTION_OUTPUTS: readonly FidInceptionOutput[] = [
  "pool0",
  "pool1",
  "pool2",
  "pool3",
  "logits",
];

/** Width of each output. */
export const FID_INCEPTION_DIMS: Readonly<Record<FidInceptionOutput, number>> = {
  pool0: 64,
  pool1: 192,
  pool2: 768,
  pool3: 2048,
  logits: FID_INCEPTION_CLASSES,
};

/** The requested outputs of one forward pass, each [n, dim]; the caller disposes them. */
export type FidInceptionFeatures = Partial<Record<FidInceptionOutput, tf.Tensor2D>>;

/** A built network: run() on preprocessed NHWC input (values in [-1, 1]), dispose() frees the weights. */
export interface FidInceptionNetwork {
  run(x: tf.Tensor4D, outputs?: readonly FidInceptionOutput[]): FidInceptionFeatures;
  dispose(): void;
}

/** Float bytes of the largest activation per image for an h x w input (Conv2d_2b_3x3's 64-channel map). */
export function largestActivationBytesPerImage(height: number, width: number): number {
  // After Conv2d_1a (3x3 stride 2) and Conv2d_2a (3x3 valid); 2b keeps the size with 64 channels, which
  // outweighs the input (3 channels), 1a/2a (32 channels) and 4a (192 channels at a quarter the area).
  const side = (s: number) => Math.floor((s - 3) / 2) + 1 - 2;
  return 4 * 64 * side(height) * side(width);
}

/** The pooled outputs in stage order: stage s of the forward pass ends where FID_INCEPTION_POOLS[s] is read. */
export const FID_INCEPTION_POOLS: readonly FidInceptionOutput[] = ["pool0", "pool1", "pool2", "pool3"];

/** The last stage a forward pass must run for the wanted outputs (-1: none; logits need pool3's stage). */
export function lastStageFor(want: ReadonlySet<FidInceptionOutput>): number {
  if (want.has("logits")) return 3;
  return Math.max(-1, ...FID_INCEPTION_POOLS.map((p, i) => (want.has(p) ? i : -1)));
}

/** Refuses an input that is not an NHWC batch of 3-channel images of at least 75x75, with a typed error. */
export function checkNetworkInput(shape: readonly number[]): void {
  if (shape.length !== 4 || shape[3] !== 3) {
    throw new UnprocessableError(
      "inception_bad_input",
      `InceptionV3 expects an NHWC batch with 3 channels, got shape [${shape}]`,
    );
  }
  if (shape[1] < FID_INCEPTION_MIN_SIZE || shape[2] < FID_INCEPTION_MIN_SIZE) {
    throw new UnprocessableError(
      "inception_input_too_small",
      `InceptionV3 needs inputs of at least ${FID_INCEPTION_MIN_SIZE}x${FID_INCEPTION_MIN_SIZE}, ` +
        `got ${shape[1]}x${shape[2]}`,
    );
  }
}

/** The folded tensor `key` of the given shape; a typed error naming the key when missing or mis-shaped. */
export function takeWeight(weights: FoldedWeights, key: string, shape: number[]): Float32Array {
  const w = weights.get(key);
  if (!w) {
    throw new UnprocessableError(
      "inception_weight_missing",
      `the InceptionV3 weights have no "${key}"; expected a folded tensor of shape [${shape}]`,
    );
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]) || w.data.length !== size) {
    throw new UnprocessableError(
      "inception_weight_shape",
      `InceptionV3 weight "${key}" has shape [${w.shape}] (${w.data.length} values), expected [${shape}]`,
    );
  }
  return w.data;
}

/** fc as a conv: 1x1, 2048 -> 1008 channels (the logits are a 1x1 conv over the pooled features). */
export const FID_INCEPTION_FC_SPEC: ConvSpec = convSpec("fc", 2048, FID_INCEPTION_CLASSES, 1);

/**
 * fc.weight (torch's [1008, 2048]) transposed to [2048, 1008], i.e. HWIO [1, 1, 2048, 1008]: a product with it
 * needs no transposed matmul (much slower on wasm), and every engine's 1x1 conv reads it as is.
 */
export function fcWeightHwio(weights: FoldedWeights): Float32Array {
  const fcTorch = takeWeight(weights, "fc.weight", [FID_INCEPTION_CLASSES, 2048]);
  const hwio = new Float32Array(2048 * FID_INCEPTION_CLASSES);
  for (let o = 0; o < FID_INCEPTION_CLASSES; o++) {
    for (let i = 0; i < 2048; i++) hwio[i * FID_INCEPTION_CLASSES + o] = fcTorch[o * 2048 + i];
  }
  return hwio;
}

/** Every conv's folded HWIO weights and bias in forward order, each validated against its spec. */
export function foldedConvs(weights: FoldedWeights): { spec: ConvSpec; w: Float32Array; b: Float32Array }[] {
  return FID_INCEPTION_CONVS.map((spec) => {
    const [kh, kw] = spec.kernel;
    return {
      spec,
      w: takeWeight(weights, `${spec.name}.weight`, [kh, kw, spec.inChannels, spec.outChannels]),
      b: takeWeight(weights, `${spec.name}.bias`, [spec.outChannels]),
    };
  });
}

/** Builds the network's weight tensors from folded weights (validated against the topology). */
export function buildFidInception(weights: FoldedWeights): FidInceptionNetwork {
  const convs = new Map<string, FoldedConv>();
  const owned: tf.Tensor[] = [];
  try {
    for (const spec of FID_INCEPTION_CONVS) {
      const [kh, kw] = spec.kernel;
      const wShape = [kh, kw, spec.inChannels, spec.outChannels];
      const filter = tf.tensor4d(takeWeight(weights, `${spec.name}.weight`, wShape), [
        kh,
        kw,
        spec.inChannels,
        spec.outChannels,
      ]);
      owned.push(filter);
      const bias = tf.tensor1d(takeWeight(weights, `${spec.name}.bias`, [spec.outChannels]));
      owned.push(bias);
      convs.set(spec.name, { spec, filter, bias });
    }
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  }
  const fc = tf.tensor2d(fcWeightHwio(weights), [2048, FID_INCEPTION_CLASSES]);
  owned.push(fc);

  const lookup: ConvLookup = (name) => {
    const layer = convs.get(name);
    if (!layer) throw new Error(`FID InceptionV3 has no conv "${name}"`);
    return layer;
  };
  const stages = fidInceptionStages(tfjsOps(lookup));
  let disposed = false;

  const run = (x: tf.Tensor4D, outputs: readonly FidInceptionOutput[] = FID_INCEPTION_OUTPUTS) => {
    if (disposed) throw new Error("the FID InceptionV3 network was disposed");
    checkNetworkInput(x.shape);
    const want = new Set(outputs);
    const last = lastStageFor(want);
    const result: FidInceptionFeatures = {};
    let cur = x;
    try {
      for (let s = 0; s <= last; s++) {
        // One tidy per step, and the previous activation freed at once, so a forward pass holds about two
        // activations at a time rather than every intermediate of the whole network.
        for (const step of stages[s]) {
          const input = cur;
          const next = tf.tidy(() => step(input));
          if (input !== x) input.dispose();
          cur = next;
        }
        const name = FID_INCEPTION_POOLS[s];
        const needLogits = s === 3 && want.has("logits");
        if (!want.has(name) && !needLogits) continue;
        const pooled = tf.tidy(() => tf.mean(cur, [1, 2]) as tf.Tensor2D);
        if (needLogits) result.logits = tf.tidy(() => tf.matMul(pooled, fc));
        if (want.has(name)) result[name] = pooled;
        else pooled.dispose();
      }
    } catch (e) {
      for (const t of Object.values(result)) t?.dispose();
      throw e;
    } finally {
      if (cur !== x) cur.dispose();
    }
    return result;
  };

  return {
    run,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of owned) t.dispose();
    },
  };
}
