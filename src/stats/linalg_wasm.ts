/**
 * Typed wrappers around the WebAssembly SIMD kernels (source: src/stats/wasm/linalg_kernels.as). Each call
 * instantiates the (once compiled) module with a fresh memory sized for the job, copies the operands in with
 * row strides padded to a multiple of 4 (zero padding lets the 4 x 4 kernels skip edge cases), and copies the
 * result out; the memory is dropped with the instance, so a 2048-dim job does not pin ~100 MB for good.
 * The exception is the per-batch co-moment (packedComoment), which reuses one cached instance of at most
 * 64 MB (18 MB at dim 2048) because it runs once per ingested batch.
 */
import type { Tridiagonal } from "./householder_tridiagonal.ts";
import type { PivotedCholesky } from "./pivoted_cholesky.ts";
import { LINALG_KERNELS_WASM_BASE64 } from "./wasm/linalg_kernels_wasm.ts";
import { UnprocessableError } from "../errors.ts";
import { compileBase64Module } from "../wasm/compile_module.ts";

/** The WebAssembly implementations; same contracts as the plain TypeScript functions they mirror. */
export interface WasmLinalg {
  /** As householder_tridiagonal.ts tridiagonalizeLower (lower triangle of `a` read; `a` not modified). */
  tridiagonalizeLower(a: Float64Array, n: number): Tridiagonal;
  /** As triangular_congruence.ts triangularCongruence: lower triangle of lt * sp * lt^T (r x r). */
  triangularCongruence(lt: Float64Array, r: number, sp: Float64Array, n: number): Float64Array;
  /** As pivoted_cholesky.ts pivotedCholesky (lower triangle of `a` read; `a` not modified). */
  pivotedCholesky(a: Float64Array, n: number): PivotedCholesky;
  /**
   * Packed upper triangle (as moments.ts stores it) of sum_i c_i c_i^T over the rows c_i of the row-major
   * n x dim matrix `c` (the centred batch); a new array of length dim (dim + 1) / 2.
   */
  packedComoment(c: Float64Array, n: number, dim: number): Float64Array;
}

interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  packPanels(r: number, ldr: number, jb: number, jEnd: number, k0: number, kcur: number, pack: number): void;
  gemmStrip(
    a: number,
    lda: number,
    i0: number,
    ks: number,
    kEnd: number,
    k0: number,
    kcur: number,
    pack: number,
    jb: number,
    jEnd: number,
    c: number,
    ldc: number,
  ): void;
  tridiagStep(
    a: number,
    lda: number,
    i: number,
    d: number,
    e: number,
    v: number,
    w: number,
    vNext: number,
    wNext: number,
    pending: number,
  ): number;
  choleskyStep(
    w: number,
    n: number,
    lda: number,
    j: number,
    residual: number,
    perm: number,
    tol: number,
  ): number;
  syrkPackedStep(
    panels: number,
    pstride: number,
    kc: number,
    dim: number,
    a0: number,
    cm: number,
    accumulate: boolean,
  ): void;
}

const PAGE = 65536;
/** k block: a 4 x KC strip of A (8 KB) stays in L1 while it meets every packed panel of the R block. */
const KC = 256;
/** R block: KC x NC packed doubles (2 MB) stay in L2 while all strips of A pass over them. */
const NC = 1024;
const PACK_BYTES = KC * NC * 8;
/**
 * Co-moment sample block, in bytes of panels (dim x samples doubles): every 4-row strip re-reads the block's
 * panels, so they should stay in L2 (2 MB per core here); the packed triangle is written once per block, so
 * a 100 x 2048 batch is one block. (0.5 to 4 MB measured the same at 2048 x 100 and 2048 x 500.)
 */
const SYRK_PANEL_BUDGET = 2 << 20;

let compiled: WebAssembly.Module | null | undefined;

/** How the O(n^3) work runs: "auto" takes WebAssembly SIMD when the runtime has it, else plain TypeScript. */
export type LinalgBackend = "auto" | "wasm" | "ts";

/**
 * `fast(kernels)` unless the backend is "ts"; with "auto" also `slow()` when the kernels are missing or their
 * 32-bit memory cannot hold the job (RangeError from memory.grow, dimensions beyond ~10,000).
 */
export function withKernels<T>(backend: LinalgBackend, fast: (k: WasmLinalg) => T, slow: () => T): T {
  if (backend === "ts") return slow();
  const k = wasmLinalg();
  if (k === null) {
    if (backend === "wasm") {
      throw new UnprocessableError("wasm_unavailable", "WebAssembly SIMD is not available in this runtime");
    }
    return slow();
  }
  try {
    return fast(k);
  } catch (e) {
    if (backend === "auto" && e instanceof RangeError) return slow();
    throw e;
  }
}

/** The kernels, or null when this runtime lacks WebAssembly SIMD / relaxed SIMD (callers fall back to TS). */
export function wasmLinalg(): WasmLinalg | null {
  if (compiled === undefined) compiled = compileBase64Module(LINALG_KERNELS_WASM_BASE64);
  return compiled ? WASM_LINALG : null;
}

/** An instance whose memory has room for `bytes` above the kernels' static data; returns it and the base. */
function instantiate(bytes: number): { k: Kernels; base: number } {
  const inst = new WebAssembly.Instance(compiled!, {});
  const k = inst.exports as unknown as Kernels;
  const base = align(k.heapBase(), 64);
  const need = base + bytes;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / PAGE));
  return { k, base };
}

/**
 * Jobs up to this size share one cached instance: batchMoments runs once per ingested batch, and a fresh
 * 18 MB memory per 2048-dim batch costs ~6 ms of page faults; larger jobs get a fresh instance, dropped after.
 */
const REUSE_LIMIT_BYTES = 64 << 20;
let reusable: { k: Kernels; base: number } | null = null;

/** As instantiate, but reuses (and grows) one cached instance for jobs up to REUSE_LIMIT_BYTES. */
function reusableInstance(bytes: number): { k: Kernels; base: number } {
  if (bytes > REUSE_LIMIT_BYTES) return instantiate(bytes);
  if (reusable === null) return (reusable = instantiate(bytes));
  const { k, base } = reusable;
  const have = k.memory.buffer.byteLength;
  if (base + bytes > have) k.memory.grow(Math.ceil((base + bytes - have) / PAGE));
  return reusable;
}

function align(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function pad4(x: number): number {
  return (x + 3) & ~3;
}

/** Copies a rows x cols row-major matrix into memory at byte offset `off` with row stride `ld` elements. */
function copyIn(
  mem: ArrayBufferLike,
  off: number,
  src: Float64Array,
  rows: number,
  cols: number,
  ld: number,
) {
  const dst = new Float64Array(mem, off, rows * ld);
  if (ld === cols) dst.set(src.subarray(0, rows * cols));
  else for (let i = 0; i < rows; i++) dst.set(src.subarray(i * cols, i * cols + cols), i * ld);
}

function copyOut(mem: ArrayBufferLike, off: number, rows: number, cols: number, ld: number): Float64Array {
  const src = new Float64Array(mem, off, rows * ld);
  if (ld === cols) return src.slice(0, rows * cols);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(src.subarray(i * ld, i * ld + cols), i * cols);
  return out;
}

const WASM_LINALG: WasmLinalg = {
  tridiagonalizeLower(a: Float64Array, n: number): Tridiagonal {
    const lda = pad4(n);
    const aBytes = align(lda * n * 8, 64);
    const vecBytes = align(n * 8, 64);
    const { k, base } = instantiate(aBytes + 6 * vecBytes);
    const aOff = base;
    const dOff = aOff + aBytes;
    const eOff = dOff + vecBytes;
    const workOff = eOff + vecBytes;
    copyIn(k.memory.buffer, aOff, a, n, n, lda);
    let v = workOff;
    let w = v + vecBytes;
    let vNext = w + vecBytes;
    let wNext = vNext + vecBytes;
    let pending = 0;
    for (let i = n - 1; i >= 1; i--) {
      pending = k.tridiagStep(aOff, lda, i, dOff, eOff, v, w, vNext, wNext, pending);
      if (pending) [v, w, vNext, wNext] = [vNext, wNext, v, w];
    }
    const mem = k.memory.buffer;
    const a00 = new Float64Array(mem, aOff, 1);
    if (pending) a00[0] -= 2 * new Float64Array(mem, v, 1)[0] * new Float64Array(mem, w, 1)[0];
    new Float64Array(mem, dOff, 1)[0] = a00[0];
    new Float64Array(mem, eOff, 1)[0] = 0;
    const buf = k.memory.buffer;
    return {
      diagonal: new Float64Array(buf, dOff, n).slice(),
      offDiagonal: new Float64Array(buf, eOff, n).slice(),
    };
  },

  pivotedCholesky(a: Float64Array, n: number): PivotedCholesky {
    const lda = pad4(n);
    const wBytes = align(lda * n * 8, 64);
    const vecBytes = align(n * 8, 64);
    const { k, base } = instantiate(wBytes + 2 * vecBytes);
    const wOff = base;
    const resOff = wOff + wBytes;
    const permOff = resOff + vecBytes;
    const mem = k.memory.buffer;
    const w = new Float64Array(mem, wOff, lda * n);
    const residual = new Float64Array(mem, resOff, n);
    const perm = new Int32Array(mem, permOff, n);
    let maxDiag = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) w[i * lda + j] = w[j * lda + i] = a[i * n + j];
      residual[i] = a[i * n + i];
      perm[i] = i;
      maxDiag = Math.max(maxDiag, residual[i]);
    }
    const tol = n * Number.EPSILON * maxDiag; // as pivoted_cholesky.ts
    let rank = 0;
    while (rank < n && k.choleskyStep(wOff, n, lda, rank, resOff, permOff, tol)) rank++;
    const lt = new Float64Array(rank * n);
    for (let i = 0; i < rank; i++) for (let q = i; q < n; q++) lt[i * n + q] = w[q * lda + i];
    return { n, rank, perm: perm.slice(), lt };
  },

  triangularCongruence(lt: Float64Array, r: number, sp: Float64Array, n: number): Float64Array {
    const np = pad4(n);
    const rp = pad4(r);
    const ltBytes = align(rp * np * 8, 64);
    const spBytes = align(np * np * 8, 64);
    const { k, base } = instantiate(ltBytes + 2 * spBytes + PACK_BYTES);
    const ltOff = base;
    const spOff = ltOff + ltBytes; // reused for M once W^T is formed
    const wtOff = spOff + spBytes;
    const packOff = wtOff + spBytes;
    copyIn(k.memory.buffer, ltOff, lt, r, n, np);
    copyIn(k.memory.buffer, spOff, sp, n, n, np);
    // W^T = L^T S' (rp x np): L^T rows are zero before their diagonal (trapezoidal).
    gemmABt(k, ltOff, np, spOff, np, wtOff, np, rp, np, np, false, packOff);
    // M = L^T W (rp x rp, lower blocks only), written over S' (zeroed first: it is accumulated into).
    new Float64Array(k.memory.buffer, spOff, rp * rp).fill(0);
    gemmABt(k, ltOff, np, wtOff, np, spOff, rp, rp, rp, np, true, packOff);
    const m = copyOut(k.memory.buffer, spOff, r, r, rp);
    // The kernels fill whole diagonal blocks; clear the strict upper triangle to honour the contract.
    for (let i = 0; i < r; i++) m.fill(0, i * r + i + 1, (i + 1) * r);
    return m;
  },

  packedComoment(c: Float64Array, n: number, dim: number): Float64Array {
    const groups = (dim + 3) >> 2;
    const cmLength = (dim * (dim + 1)) / 2;
    const maxBlock = Math.max(16, Math.floor(SYRK_PANEL_BUDGET / (dim * 8)));
    const blocks = Math.ceil(n / maxBlock);
    const block = Math.ceil(n / blocks); // balanced: 130 samples go as 65 + 65, not 128 + 2
    const panelBytes = align(groups * block * 32, 64);
    const { k, base } = reusableInstance(panelBytes + cmLength * 8);
    const cmOff = base + panelBytes;
    const panels = new Float64Array(k.memory.buffer, base, groups * block * 4);
    for (let k0 = 0; k0 < n; k0 += block) {
      const kc = Math.min(block, n - k0);
      // panels[g][i][q] = c[k0 + i][4g + q]; lanes past dim are zeroed (the memory may be reused).
      for (let i = 0; i < kc; i++) {
        const row = (k0 + i) * dim;
        for (let j = 0; j < dim; j++) panels[((j >> 2) * kc + i) * 4 + (j & 3)] = c[row + j];
        for (let j = dim; j < groups * 4; j++) panels[((j >> 2) * kc + i) * 4 + (j & 3)] = 0;
      }
      for (let a0 = 0; a0 < dim; a0 += 4) k.syrkPackedStep(base, kc * 32, kc, dim, a0, cmOff, k0 > 0);
    }
    return new Float64Array(k.memory.buffer, cmOff, cmLength).slice();
  },
};

/**
 * C += A R^T with A (m x kdim) upper trapezoidal (row i zero before column i, so strip i0 starts at k = i0);
 * C is m x nc; with lowerOnly only the blocks on or below the diagonal (j0 <= i0) are formed. m, nc and kdim
 * are multiples of 4. GotoBLAS-style blocking: R is packed per (k block, R block), A strips are read in place.
 */
function gemmABt(
  k: Kernels,
  a: number,
  lda: number,
  r: number,
  ldr: number,
  c: number,
  ldc: number,
  m: number,
  nc: number,
  kdim: number,
  lowerOnly: boolean,
  pack: number,
): void {
  for (let k0 = 0; k0 < kdim; k0 += KC) {
    const kEnd = Math.min(k0 + KC, kdim);
    const kcur = kEnd - k0;
    const iEnd = Math.min(m, kEnd); // strips starting at or after kEnd are zero over this k block
    for (let jb = 0; jb < nc; jb += NC) {
      const jEnd = Math.min(jb + NC, lowerOnly ? iEnd : nc);
      if (jEnd <= jb) break;
      k.packPanels(r, ldr, jb, jEnd, k0, kcur, pack);
      for (let i0 = 0; i0 < iEnd; i0 += 4) {
        const jLimit = lowerOnly ? Math.min(jEnd, i0 + 4) : jEnd;
        if (jLimit <= jb) continue;
        k.gemmStrip(a, lda, i0, Math.max(k0, i0), kEnd, k0, kcur, pack, jb, jLimit, c, ldc);
      }
    }
  }
}
