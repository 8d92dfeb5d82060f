/**
 * The state-dict layout of pytorch-fid's FID InceptionV3 (pt_inception-2015-12-05-6726825d.pth):
 * torchvision's Inception3(num_classes=1008, aux_logits=False) with Mixed_5b-5d = FIDInceptionA,
 * Mixed_6b-6e = FIDInceptionC, Mixed_7b/7c = FIDInceptionE_1/_2 (same parameters as torchvision's blocks,
 * only forward() differs). Every BasicConv2d is `conv` (Conv2d, bias=False) + `bn` (BatchNorm2d, eps=0.001),
 * so each contributes `<name>.conv.weight` [out, in, kh, kw] and `<name>.bn.{weight,bias,running_mean,
 * running_var}` [out] (plus `bn.num_batches_tracked` [] in files saved by PyTorch >= 0.4.1); then
 * `fc.weight` [1008, 2048] and `fc.bias` [1008]. Channel counts and kernel sizes are torchvision's
 * (torchvision/models/inception.py), module names pytorch-fid's (pytorch_fid/inception.py).
 */

import { InvalidInputError } from "../../src/errors.ts";
import type { TorchTensor } from "../../src/tensors/torch/checkpoint.ts";

/** One BasicConv2d: its module path, channels and kernel [height, width]. */
export interface BasicConvLayout {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
}

/** A network made of BasicConv2d layers and an optional final Linear (fc). */
export interface FoldLayout {
  convs: readonly BasicConvLayout[];
  fc?: { inFeatures: number; outFeatures: number };
}

const conv = (
  name: string,
  inChannels: number,
  outChannels: number,
  k: number | [number, number],
): BasicConvLayout => ({
  name,
  inChannels,
  outChannels,
  kernel: typeof k === "number" ? [k, k] : k,
});

function inceptionA(p: string, inC: number, poolFeatures: number): BasicConvLayout[] {
  return [
    conv(`${p}.branch1x1`, inC, 64, 1),
    conv(`${p}.branch5x5_1`, inC, 48, 1),
    conv(`${p}.branch5x5_2`, 48, 64, 5),
    conv(`${p}.branch3x3dbl_1`, inC, 64, 1),
    conv(`${p}.branch3x3dbl_2`, 64, 96, 3),
    conv(`${p}.branch3x3dbl_3`, 96, 96, 3),
    conv(`${p}.branch_pool`, inC, poolFeatures, 1),
  ];
}

function inceptionB(p: string, inC: number): BasicConvLayout[] {
  return [
    conv(`${p}.branch3x3`, inC, 384, 3),
    conv(`${p}.branch3x3dbl_1`, inC, 64, 1),
    conv(`${p}.branch3x3dbl_2`, 64, 96, 3),
    conv(`${p}.branch3x3dbl_3`, 96, 96, 3),
  ];
}

function inceptionC(p: string, inC: number, c7: number): BasicConvLayout[] {
  return [
    conv(`${p}.branch1x1`, inC, 192, 1),
    conv(`${p}.branch7x7_1`, inC, c7, 1),
    conv(`${p}.branch7x7_2`, c7, c7, [1, 7]),
    conv(`${p}.branch7x7_3`, c7, 192, [7, 1]),
    conv(`${p}.branch7x7dbl_1`, inC, c7, 1),
    conv(`${p}.branch7x7dbl_2`, c7, c7, [7, 1]),
    conv(`${p}.branch7x7dbl_3`, c7, c7, [1, 7]),
    conv(`${p}.branch7x7dbl_4`, c7, c7, [7, 1]),
    conv(`${p}.branch7x7dbl_5`, c7, 192, [1, 7]),
    conv(`${p}.branch_pool`, inC, 192, 1),
  ];
}

function inceptionD(p: string, inC: number): BasicConvLayout[] {
  return [
    conv(`${p}.branch3x3_1`, inC, 192, 1),
    conv(`${p}.branch3x3_2`, 192, 320, 3),
    conv(`${p}.branch7x7x3_1`, inC, 192, 1),
    conv(`${p}.branch7x7x3_2`, 192, 192, [1, 7]),
    conv(`${p}.branch7x7x3_3`, 192, 192, [7, 1]),
    conv(`${p}.branch7x7x3_4`, 192, 192, 3),
  ];
}

function inceptionE(p: string, inC: number): BasicConvLayout[] {
  return [
    conv(`${p}.branch1x1`, inC, 320, 1),
    conv(`${p}.branch3x3_1`, inC, 384, 1),
    conv(`${p}.branch3x3_2a`, 384, 384, [1, 3]),
    conv(`${p}.branch3x3_2b`, 384, 384, [3, 1]),
    conv(`${p}.branch3x3dbl_1`, inC, 448, 1),
    conv(`${p}.branch3x3dbl_2`, 448, 384, 3),
    conv(`${p}.branch3x3dbl_3a`, 384, 384, [1, 3]),
    conv(`${p}.branch3x3dbl_3b`, 384, 384, [3, 1]),
    conv(`${p}.branch_pool`, inC, 192, 1),
  ];
}

/** pytorch-fid's FID InceptionV3: 94 BasicConv2d layers and fc 2048 -> 1008. */
export const FID_INCEPTION_LAYOUT: FoldLayout = {
  convs: [
    conv("Conv2d_1a_3x3", 3, 32, 3),
    conv("Conv2d_2a_3x3", 32, 32, 3),
    conv("Conv2d_2b_3x3", 32, 64, 3),
    conv("Conv2d_3b_1x1", 64, 80, 1),
    conv("Conv2d_4a_3x3", 80, 192, 3),
    ...inceptionA("Mixed_5b", 192, 32),
    ...inceptionA("Mixed_5c", 256, 64),
    ...inceptionA("Mixed_5d", 288, 64),
    ...inceptionB("Mixed_6a", 288),
    ...inceptionC("Mixed_6b", 768, 128),
    ...inceptionC("Mixed_6c", 768, 160),
    ...inceptionC("Mixed_6d", 768, 160),
    ...inceptionC("Mixed_6e", 768, 192),
    ...inceptionD("Mixed_7a", 768),
    ...inceptionE("Mixed_7b", 1280),
    ...inceptionE("Mixed_7c", 2048),
  ],
  fc: { inFeatures: 2048, outFeatures: 1008 },
};

/** The batch-norm parameters of every BasicConv2d, in state-dict order. */
export const BN_PARAMS = ["weight", "bias", "running_mean", "running_var"] as const;

/** Every required state-dict key of a layout with its torch shape ([out, in, kh, kw] for conv weights). */
export function stateDictShapes(layout: FoldLayout): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const c of layout.convs) {
    shapes.set(`${c.name}.conv.weight`, [c.outChannels, c.inChannels, c.kernel[0], c.kernel[1]]);
    for (const p of BN_PARAMS) shapes.set(`${c.name}.bn.${p}`, [c.outChannels]);
  }
  if (layout.fc) {
    shapes.set("fc.weight", [layout.fc.outFeatures, layout.fc.inFeatures]);
    shapes.set("fc.bias", [layout.fc.outFeatures]);
  }
  return shapes;
}

/** Keys a state dict may carry that the network never reads (BatchNorm's step counter). */
export function optionalStateDictKeys(layout: FoldLayout): Set<string> {
  return new Set(layout.convs.map((c) => `${c.name}.bn.num_batches_tracked`));
}

const FLOAT_DTYPES = new Set(["float32", "float64", "float16", "bfloat16"]);

function listNames(names: string[]): string {
  const shown = names.slice(0, 12).join(", ");
  return names.length > 12 ? `${shown}, ... (${names.length} in all)` : shown;
}

/**
 * Check a loaded state dict holds exactly the layout's keys (num_batches_tracked optional) with the expected
 * shapes and floating dtypes; throws one InvalidInputError listing every problem found.
 */
export function validateStateDict(
  sd: Map<string, TorchTensor>,
  layout: FoldLayout = FID_INCEPTION_LAYOUT,
): void {
  const expected = stateDictShapes(layout);
  const optional = optionalStateDictKeys(layout);
  const missing = [...expected.keys()].filter((k) => !sd.has(k));
  const unexpected = [...sd.keys()].filter((k) => !expected.has(k) && !optional.has(k));
  const wrong: string[] = [];
  for (const [k, shape] of expected) {
    const t = sd.get(k);
    if (!t) continue;
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      wrong.push(`${k} has shape [${t.shape}], expected [${shape}]`);
    } else if (!FLOAT_DTYPES.has(t.dtype)) {
      wrong.push(`${k} is ${t.dtype}, expected a floating-point tensor`);
    }
  }
  if (missing.length + unexpected.length + wrong.length === 0) return;
  const parts: string[] = [];
  if (missing.length) parts.push(`missing keys: ${listNames(missing)}`);
  if (unexpected.length) parts.push(`unexpected keys: ${listNames(unexpected)}`);
  if (wrong.length) parts.push(`wrong tensors: ${listNames(wrong)}`);
  throw new InvalidInputError(
    "fid_inception_weights_mismatch",
    `the checkpoint is not pytorch-fid's FID InceptionV3 state dict (pt_inception-2015-12-05-6726825d.pth): ` +
      parts.join("; "),
  );
}
