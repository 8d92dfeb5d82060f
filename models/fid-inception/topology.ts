/**
 * The wiring of pytorch-fid's FID InceptionV3, written once over abstract ops so that the tfjs network
 * (network.ts) and the WebAssembly one (wasm_network.ts) cannot drift apart.
 *
 * Topology facts (pytorch_fid/inception.py and torchvision/models/inception.py):
 * - FIDInceptionA / FIDInceptionC / FIDInceptionE_1 pool branch: avg_pool2d(3, stride 1, padding 1,
 *   count_include_pad=False).
 * - FIDInceptionE_2 (Mixed_7c) pool branch: max_pool2d(3, stride 1, padding 1).
 * - InceptionB (Mixed_6a) / InceptionD (Mixed_7a) are torchvision's, with max_pool2d(3, stride 2) unpadded.
 * - Every block concatenates its branches on the channel axis in the order declared in forward(); E's
 *   nested torch.cat of (1x3, 3x1) flattens into the same channel order as one concatenation.
 */

/** The operations the network is made of, on some tensor type T (NHWC activations). */
export interface InceptionOps<T> {
  /** BasicConv2d with folded batch norm and ReLU: the layer named by its torchvision module path. */
  conv(name: string, x: T): T;
  /** avg_pool2d(3, stride 1, padding 1, count_include_pad=False). */
  avgPool3x3ExcludePad(x: T): T;
  /** max_pool2d(3, stride 1, padding 1). */
  maxPool3x3Same(x: T): T;
  /** max_pool2d(3, stride 2), unpadded, floor mode. */
  maxPool3x3Stride2(x: T): T;
  /** Concatenation on the channel axis (torch.cat(..., 1) in NCHW). */
  concat(parts: T[]): T;
}

/** One step of a forward pass. */
export type InceptionStep<T> = (x: T) => T;

/** FIDInceptionA: [1x1, 5x5, double 3x3, avgpool(excl. pad) -> 1x1] concatenated. */
export function inceptionABlock<T>(ops: InceptionOps<T>, x: T, prefix: string): T {
  const c = (name: string, t: T) => ops.conv(`${prefix}.${name}`, t);
  const b1 = c("branch1x1", x);
  const b5 = c("branch5x5_2", c("branch5x5_1", x));
  const b3 = c("branch3x3dbl_3", c("branch3x3dbl_2", c("branch3x3dbl_1", x)));
  const bp = c("branch_pool", ops.avgPool3x3ExcludePad(x));
  return ops.concat([b1, b5, b3, bp]);
}

/** InceptionB: [3x3 stride 2, double 3x3 ending stride 2, maxpool stride 2] concatenated. */
export function inceptionBBlock<T>(ops: InceptionOps<T>, x: T, prefix: string): T {
  const c = (name: string, t: T) => ops.conv(`${prefix}.${name}`, t);
  const b3 = c("branch3x3", x);
  const bd = c("branch3x3dbl_3", c("branch3x3dbl_2", c("branch3x3dbl_1", x)));
  return ops.concat([b3, bd, ops.maxPool3x3Stride2(x)]);
}

/** FIDInceptionC: [1x1, 1x7 -> 7x1, 7x1 -> 1x7 -> 7x1 -> 1x7, avgpool(excl. pad) -> 1x1] concatenated. */
export function inceptionCBlock<T>(ops: InceptionOps<T>, x: T, prefix: string): T {
  const c = (name: string, t: T) => ops.conv(`${prefix}.${name}`, t);
  const b1 = c("branch1x1", x);
  const b7 = c("branch7x7_3", c("branch7x7_2", c("branch7x7_1", x)));
  let bd = c("branch7x7dbl_1", x);
  for (const k of [2, 3, 4, 5]) bd = c(`branch7x7dbl_${k}`, bd);
  const bp = c("branch_pool", ops.avgPool3x3ExcludePad(x));
  return ops.concat([b1, b7, bd, bp]);
}

/** InceptionD: [1x1 -> 3x3 stride 2, 1x1 -> 1x7 -> 7x1 -> 3x3 stride 2, maxpool stride 2] concatenated. */
export function inceptionDBlock<T>(ops: InceptionOps<T>, x: T, prefix: string): T {
  const c = (name: string, t: T) => ops.conv(`${prefix}.${name}`, t);
  const b3 = c("branch3x3_2", c("branch3x3_1", x));
  let b7 = c("branch7x7x3_1", x);
  for (const k of [2, 3, 4]) b7 = c(`branch7x7x3_${k}`, b7);
  return ops.concat([b3, b7, ops.maxPool3x3Stride2(x)]);
}

/**
 * FIDInceptionE_1 (pool "avg", count_include_pad=False) / FIDInceptionE_2 (pool "max"):
 * [1x1, cat(1x3, 3x1) of a 1x1, cat(1x3, 3x1) of 1x1 -> 3x3, pool -> 1x1] concatenated.
 */
export function inceptionEBlock<T>(ops: InceptionOps<T>, x: T, prefix: string, pool: "avg" | "max"): T {
  const c = (name: string, t: T) => ops.conv(`${prefix}.${name}`, t);
  const b1 = c("branch1x1", x);
  const s3 = c("branch3x3_1", x);
  const sd = c("branch3x3dbl_2", c("branch3x3dbl_1", x));
  const pooled = pool === "avg" ? ops.avgPool3x3ExcludePad(x) : ops.maxPool3x3Same(x);
  return ops.concat([
    b1,
    c("branch3x3_2a", s3),
    c("branch3x3_2b", s3),
    c("branch3x3dbl_3a", sd),
    c("branch3x3dbl_3b", sd),
    c("branch_pool", pooled),
  ]);
}

/**
 * The forward pass as pytorch-fid's four blocks, each a list of steps; block i ends where output pool<i> is
 * read (64, 192, 768 and 2048 channels).
 */
export function fidInceptionStages<T>(ops: InceptionOps<T>): InceptionStep<T>[][] {
  const conv = (name: string): InceptionStep<T> => (t) => ops.conv(name, t);
  const pool2: InceptionStep<T> = (t) => ops.maxPool3x3Stride2(t);
  return [
    [conv("Conv2d_1a_3x3"), conv("Conv2d_2a_3x3"), conv("Conv2d_2b_3x3"), pool2],
    [conv("Conv2d_3b_1x1"), conv("Conv2d_4a_3x3"), pool2],
    [
      (t) => inceptionABlock(ops, t, "Mixed_5b"),
      (t) => inceptionABlock(ops, t, "Mixed_5c"),
      (t) => inceptionABlock(ops, t, "Mixed_5d"),
      (t) => inceptionBBlock(ops, t, "Mixed_6a"),
      (t) => inceptionCBlock(ops, t, "Mixed_6b"),
      (t) => inceptionCBlock(ops, t, "Mixed_6c"),
      (t) => inceptionCBlock(ops, t, "Mixed_6d"),
      (t) => inceptionCBlock(ops, t, "Mixed_6e"),
    ],
    [
      (t) => inceptionDBlock(ops, t, "Mixed_7a"),
      (t) => inceptionEBlock(ops, t, "Mixed_7b", "avg"),
      (t) => inceptionEBlock(ops, t, "Mixed_7c", "max"),
    ],
  ];
}
