/**
 * Folding pytorch-fid's InceptionV3 state dict into the weights network.ts runs: each BasicConv2d
 * (conv without bias, then BatchNorm2d with eps = 0.001, in eval mode) becomes one conv with bias,
 *   w' = w * gamma / sqrt(var + eps),   b' = beta - mean * gamma / sqrt(var + eps),
 * with the filter transposed from torch's [out, in, kh, kw] (OIHW) to tfjs conv2d's [kh, kw, in, out]
 * (HWIO). The arithmetic runs in float64; results are stored as float32 (what the network computes in).
 * fc.weight stays in torch's [out, in] layout and fc.bias is kept, as network.ts expects.
 */

import type { TorchTensor } from "../../src/tensors/torch/checkpoint.ts";
import { BN_PARAMS, FID_INCEPTION_LAYOUT, type FoldLayout, validateStateDict } from "./state_dict_keys.ts";

/** BatchNorm2d's eps in torchvision's BasicConv2d (and the 2015 TF graph). */
export const BN_EPS = 0.001;

/** One folded tensor: row-major `data` of `shape`. */
export interface FoldedTensor {
  shape: number[];
  data: Float32Array;
}

/** Folded weights: "<conv>.weight" HWIO, "<conv>.bias", "fc.weight" [out, in], "fc.bias" [out]. */
export type FoldedWeightMap = Map<string, FoldedTensor>;

/** Read a floating tensor's elements as float64 (they arrive as Float32Array or Float64Array). */
function asFloat64(t: TorchTensor): Float64Array {
  return Float64Array.from(t.data as Float32Array | Float64Array);
}

/**
 * Fold one conv + batch norm: `weight` is OIHW [out, in, kh, kw]; returns the HWIO filter and the bias.
 * All inputs are read as float64.
 */
export function foldBatchNorm(
  weight: ArrayLike<number>,
  shape: [number, number, number, number],
  bn: {
    gamma: ArrayLike<number>;
    beta: ArrayLike<number>;
    mean: ArrayLike<number>;
    variance: ArrayLike<number>;
  },
  eps = BN_EPS,
): { filter: Float32Array; bias: Float32Array } {
  const [out, inC, kh, kw] = shape;
  const filter = new Float32Array(out * inC * kh * kw);
  const bias = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const scale = bn.gamma[o] / Math.sqrt(bn.variance[o] + eps);
    bias[o] = bn.beta[o] - bn.mean[o] * scale;
    for (let i = 0; i < inC; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          // OIHW source index -> HWIO destination index.
          const src = ((o * inC + i) * kh + y) * kw + x;
          const dst = ((y * kw + x) * inC + i) * out + o;
          filter[dst] = weight[src] * scale;
        }
      }
    }
  }
  return { filter, bias };
}

/**
 * Validate a state dict against `layout` (default: pytorch-fid's FID InceptionV3) and fold every BasicConv2d.
 * Throws InvalidInputError (fid_inception_weights_mismatch) listing missing/unexpected/misshapen keys.
 */
export function foldStateDict(
  sd: Map<string, TorchTensor>,
  layout: FoldLayout = FID_INCEPTION_LAYOUT,
): FoldedWeightMap {
  validateStateDict(sd, layout);
  const out: FoldedWeightMap = new Map();
  for (const c of layout.convs) {
    const [gamma, beta, mean, variance] = BN_PARAMS.map((p) => asFloat64(sd.get(`${c.name}.bn.${p}`)!));
    const { filter, bias } = foldBatchNorm(
      asFloat64(sd.get(`${c.name}.conv.weight`)!),
      [c.outChannels, c.inChannels, c.kernel[0], c.kernel[1]],
      { gamma, beta, mean, variance },
    );
    out.set(`${c.name}.weight`, {
      shape: [c.kernel[0], c.kernel[1], c.inChannels, c.outChannels],
      data: filter,
    });
    out.set(`${c.name}.bias`, { shape: [c.outChannels], data: bias });
  }
  if (layout.fc) {
    const { inFeatures, outFeatures } = layout.fc;
    out.set("fc.weight", {
      shape: [outFeatures, inFeatures],
      data: Float32Array.from(sd.get("fc.weight")!.data as Float32Array),
    });
    out.set("fc.bias", {
      shape: [outFeatures],
      data: Float32Array.from(sd.get("fc.bias")!.data as Float32Array),
    });
  }
  return out;
}

/** The keys and shapes foldStateDict produces for a layout. */
export function foldedShapes(layout: FoldLayout = FID_INCEPTION_LAYOUT): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const c of layout.convs) {
    shapes.set(`${c.name}.weight`, [c.kernel[0], c.kernel[1], c.inChannels, c.outChannels]);
    shapes.set(`${c.name}.bias`, [c.outChannels]);
  }
  if (layout.fc) {
    shapes.set("fc.weight", [layout.fc.outFeatures, layout.fc.inFeatures]);
    shapes.set("fc.bias", [layout.fc.outFeatures]);
  }
  return shapes;
}
