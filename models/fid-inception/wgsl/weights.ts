/**
 * The folded weights (weights_format.ts / network.ts keys: HWIO convs, torch's [out, in] fc) in the layout the
 * conv kernel reads: per layer one float32 matrix [K][wRow] (K = kh * kw * cin, wRow = cout padded with zero
 * columns to a multiple of 128, the widest tile) followed by the bias padded to wRow. The first conv's 3 input
 * channels are padded to 4 with zero weights (its input gets a zero 4th channel), so every conv reads its
 * input in vec4s. fc becomes a 1x1 conv of 2048 -> 1008 channels with zero bias (logits without fc.bias).
 */
import type { ConvSpec } from "../blocks.ts";
import { fcWeightHwio, FID_INCEPTION_FC_SPEC, foldedConvs, type FoldedWeights } from "../network.ts";

/** Columns of every padded weight matrix are a multiple of this (the widest tile's BN). */
export const WEIGHT_ROW_MULTIPLE = 128;

/** Channels the network's input carries (RGB and a zero channel). */
export const INPUT_CHANNELS = 4;

/** A conv's weights as the GPU reads them. */
export interface PackedGpuConv {
  /** The spec as the GPU runs it (the first conv with 4 input channels). */
  spec: ConvSpec;
  /** [K][wRow] weights then [wRow] bias. */
  data: Float32Array;
  wRow: number;
}

/** Pads HWIO weights [kh, kw, cin, cout] to [kh, kw, cinPad, wRow] and appends the bias padded to wRow. */
export function packGpuConv(
  spec: ConvSpec,
  hwio: Float32Array,
  bias: Float32Array | null,
  cinPad = spec.inChannels,
): PackedGpuConv {
  const [kh, kw] = spec.kernel;
  const { inChannels: cin, outChannels: cout } = spec;
  const wRow = Math.ceil(cout / WEIGHT_ROW_MULTIPLE) * WEIGHT_ROW_MULTIPLE;
  const k = kh * kw * cinPad;
  const data = new Float32Array((k + 1) * wRow);
  for (let tap = 0; tap < kh * kw; tap++) {
    for (let ci = 0; ci < cin; ci++) {
      const src = (tap * cin + ci) * cout;
      data.set(hwio.subarray(src, src + cout), (tap * cinPad + ci) * wRow);
    }
  }
  if (bias) data.set(bias, k * wRow);
  return { spec: { ...spec, inChannels: cinPad }, data, wRow };
}

/** Every conv of the network (forward order) and fc, validated and packed for the GPU. */
export function packGpuWeights(
  weights: FoldedWeights,
): { convs: Map<string, PackedGpuConv>; fc: PackedGpuConv } {
  const convs = new Map<string, PackedGpuConv>();
  for (const { spec, w, b } of foldedConvs(weights)) {
    convs.set(spec.name, packGpuConv(spec, w, b, Math.ceil(spec.inChannels / 4) * 4));
  }
  return { convs, fc: packGpuConv(FID_INCEPTION_FC_SPEC, fcWeightHwio(weights), null) };
}
