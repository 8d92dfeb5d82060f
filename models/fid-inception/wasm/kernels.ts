/**
 * Bindings of the WebAssembly SIMD kernels of fid-inception's CPU network (source: inception_kernels.as,
 * built into inception_kernels_wasm.ts by tools/build_wasm.ts).
 */
import { compileBase64Module } from "../../../src/wasm/compile_module.ts";
import { INCEPTION_KERNELS_WASM_BASE64 } from "./inception_kernels_wasm.ts";

/** A 1D Winograd input transform (see inception_kernels.as). */
export type Winograd1dInput = (
  x: number,
  inH: number,
  inW: number,
  c: number,
  tilesH: number,
  tilesW: number,
  alongW: number,
  padH: number,
  padW: number,
  tile0: number,
  count: number,
  zero: number,
  v: number,
  tab: number,
) => void;

/** A 2D Winograd output transform for 6x6 input tiles (see inception_kernels.as). */
export type Winograd2dOutput = (
  mat: number,
  count: number,
  cout: number,
  tile0: number,
  tilesH: number,
  tilesW: number,
  outH: number,
  outW: number,
  bias: number,
  relu: number,
  y: number,
  ldy: number,
  tmp: number,
) => void;

/** A 1D Winograd output transform (see inception_kernels.as). */
export type Winograd1dOutput = (
  m: number,
  count: number,
  cout: number,
  tile0: number,
  tilesH: number,
  tilesW: number,
  outH: number,
  outW: number,
  alongW: number,
  bias: number,
  relu: number,
  y: number,
  ldy: number,
) => void;

/** The exports of inception_kernels.as (byte offsets and counts are plain numbers on this side). */
export interface InceptionKernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  convStrip(
    x: number,
    inH: number,
    inW: number,
    cin: number,
    outW: number,
    outHW: number,
    m: number,
    row0: number,
    kh: number,
    kw: number,
    stride: number,
    padH: number,
    padW: number,
    zero: number,
    w: number,
    pBegin: number,
    pEnd: number,
    bias: number,
    relu: number,
    y: number,
    ldy: number,
  ): void;
  maxPool3(
    x: number,
    inH: number,
    inW: number,
    c: number,
    outH: number,
    outW: number,
    stride: number,
    pad: number,
    line0: number,
    line1: number,
    y: number,
    ldy: number,
  ): void;
  avgPool3(x: number, h: number, w: number, c: number, line0: number, line1: number, y: number): void;
  copyRows(x: number, rows: number, c: number, y: number, ldy: number): void;
  im2colRows(
    x: number,
    inH: number,
    inW: number,
    cin: number,
    outW: number,
    outHW: number,
    row0: number,
    rows: number,
    kh: number,
    kw: number,
    stride: number,
    padH: number,
    padW: number,
    patches: number,
  ): void;
  biasAct(y: number, rows: number, c: number, ldy: number, bias: number, relu: number): void;
  winograd6x6Input(
    x: number,
    inH: number,
    inW: number,
    c: number,
    tilesH: number,
    tilesW: number,
    m: number,
    pad: number,
    tile0: number,
    count: number,
    zero: number,
    v: number,
    tab: number,
    tmp: number,
  ): void;
  winograd3x7Input: Winograd1dInput;
  winograd3x7Output: Winograd1dOutput;
  winograd4x3Input: Winograd1dInput;
  winograd4x3Output: Winograd1dOutput;
  winograd4x4Output: Winograd2dOutput;
  winograd2x2Output: Winograd2dOutput;
}

let compiled: WebAssembly.Module | null | undefined;

/** True when the kernels can run here (WebAssembly with SIMD and relaxed SIMD). */
export function inceptionKernelsAvailable(): boolean {
  if (compiled === undefined) compiled = compileBase64Module(INCEPTION_KERNELS_WASM_BASE64);
  return compiled !== null;
}

/** A fresh instance (its own memory); call only when inceptionKernelsAvailable(). */
export function instantiateInceptionKernels(): InceptionKernels {
  if (!inceptionKernelsAvailable()) throw new Error("the inception kernels cannot run in this runtime");
  return new WebAssembly.Instance(compiled!, {}).exports as unknown as InceptionKernels;
}
