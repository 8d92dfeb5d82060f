/**
 * What each dispatch of a forward computes, as plain data: for a graph step (graph.ts) over n images, which
 * kernel runs it (with which conv tile), its uniform block, its workgroup count, its work and its name in
 * profiles; and the layout of the rows a forward reads back. network.ts turns these into pipelines and bind
 * groups; nothing here touches the GPU.
 */
import type { ConvSpec } from "../blocks.ts";
import { FID_INCEPTION_FC_SPEC } from "../network.ts";
import {
  type ConvCall,
  convCall,
  type ConvGeometry,
  convParams,
  type ConvTile,
  convWorkgroups,
  tileKey,
} from "./conv_kernel.ts";
import type { GraphStep, InceptionGraph } from "./graph.ts";
import { meanParams, meanWorkgroups } from "./mean_kernel.ts";
import { POOL_WORKGROUP, poolParams, poolThreads } from "./pool_kernels.ts";

/** Floats per image in the features rows: pool0 | pool1 | pool2 | pool3. */
export const FEATURE_ROW = 3072;
/** Where each pooled output starts in a features row. */
export const FEATURE_OFFSETS = { pool0: 0, pool1: 64, pool2: 256, pool3: 1024 } as const;
/** Floats per image in the logits rows (1008 padded to a multiple of 4 and 128). */
export const LOGITS_ROW = 1024;

/** The kernel a dispatch runs. */
export type StepKernel =
  | { kind: "conv"; tile: ConvTile; geometry: ConvGeometry }
  | { kind: "mean" }
  | { kind: "avgpool" }
  | { kind: "maxpool" };

/** One dispatch: kernel, uniform block, workgroups, work (2 x M x N x K for a conv, else 0) and name. */
export interface StepCall {
  kernel: StepKernel;
  params: Uint32Array;
  workgroups: number;
  flops: number;
  label: string;
}

/** 1x1 stride-1 unpadded convs read their input rows directly. */
export function geometryOf(spec: ConvSpec): ConvGeometry {
  const pointwise = spec.kernel[0] === 1 && spec.kernel[1] === 1 && spec.stride === 1 &&
    spec.padding[0] === 0 && spec.padding[1] === 0;
  return pointwise ? "pointwise" : "general";
}

/** A conv's multiply-add work: 2 x M x N x K floating-point operations. */
function convFlops(c: ConvCall): number {
  return 2 * c.m * c.n * c.kh * c.kw * c.cin;
}

/**
 * The dispatch of `step` over n images: where its tensors lie comes from the graph's placement, a conv's tile
 * from `tileOf`, its packed weights' row length from `wRowOf`.
 */
export function stepCall(
  graph: InceptionGraph,
  step: GraphStep,
  n: number,
  tileOf: (step: Extract<GraphStep, { kind: "conv" }>) => ConvTile,
  wRowOf: (name: string) => number,
): StepCall {
  const x = graph.place(step.x);
  if (step.kind === "mean") {
    if (x.channelOffset !== 0 || x.pixelStride !== step.x.c) throw new Error("a mean reads a whole tensor");
    const pool = (["pool0", "pool1", "pool2", "pool3"] as const)[step.stage];
    const call = {
      n,
      hw: step.x.h * step.x.w,
      c: step.x.c,
      yStride: FEATURE_ROW,
      yOff: FEATURE_OFFSETS[pool],
    };
    return {
      kernel: { kind: "mean" },
      params: meanParams(call),
      workgroups: meanWorkgroups(call),
      flops: 0,
      label: `mean ${pool}`,
    };
  }
  const y = graph.place(step.y);
  const at = { xStride: x.pixelStride, xOff: x.channelOffset, yStride: y.pixelStride, yOff: y.channelOffset };
  if (step.kind === "conv") {
    const call = convCall(step.spec, n, step.x.h, step.x.w, { ...at, wRow: wRowOf(step.spec.name) }, true);
    return convStep(call, tileOf(step), geometryOf(step.spec), step.spec.name);
  }
  const max = step.kind === "maxpool";
  const call = {
    n,
    c: step.x.c,
    h: step.x.h,
    w: step.x.w,
    oh: step.y.h,
    ow: step.y.w,
    stride: max ? step.stride : 1,
    pad: max ? step.pad : 1,
    ...at,
  };
  return {
    kernel: { kind: step.kind },
    params: poolParams(call),
    workgroups: Math.ceil(poolThreads(call) / POOL_WORKGROUP),
    flops: 0,
    label: max ? `maxpool 3x3 s${step.stride}` : "avgpool 3x3",
  };
}

/** The fc dispatch over n images: pool3 of the features rows -> the logits rows, no ReLU, zero bias. */
export function fcCall(n: number, tile: ConvTile, wRow: number): StepCall {
  const at = { xStride: FEATURE_ROW, xOff: FEATURE_OFFSETS.pool3, yStride: LOGITS_ROW, yOff: 0, wRow };
  return convStep(convCall(FID_INCEPTION_FC_SPEC, n, 1, 1, at, false), tile, "pointwise", "fc");
}

function convStep(call: ConvCall, tile: ConvTile, geometry: ConvGeometry, name: string): StepCall {
  return {
    kernel: { kind: "conv", tile, geometry },
    params: convParams(call, tile),
    workgroups: convWorkgroups(call, tile),
    flops: convFlops(call),
    label: `${name} ${tileKey(tile, geometry)}`,
  };
}
