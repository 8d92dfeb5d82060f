/**
 * Typed wrappers around the WebAssembly SIMD kernels (source: src/stats/wasm/linalg_kernels.as). Each call
 * instantiates the (once compiled) module with a fresh memory sized for the job, copies the operands in with
 * row strides padded to a multiple of 4 (zero padding lets the 4 x 4 kernels skip edge cases), and copies the
 * result out; the memory is dropped with the instance, so a 2048-dim job does not pin ~100 MB for good.
 * The exception is the per-batch co-moment (packedComoment), which reuses one cached instance of at most
 * 64 MB (18 MB at dim 2048) because it runs once per ingested batch.
 */
import type { PivotedCholesky } from "./pivoted_cholesky.ts";
import type { GramEngine } from "./gram_engine.ts";
import { bidiagonalSingularValues, householderFromFirst, sumAscending, transposed } from "./bidiagonal.ts";
import { LINALG_KERNELS_WASM_BASE64 } from "./wasm/linalg_kernels_wasm.ts";
import { UnprocessableError } from "../errors.ts";
import { compileBase64Module } from "../wasm/compile_module.ts";

/** The WebAssembly implementations; same contracts as the plain TypeScript functions they mirror. */
export interface WasmLinalg {
  /** As pivoted_cholesky.ts pivotedCholesky (lower triangle of `a` read; `a` not modified). */
  pivotedCholesky(a: Float64Array, n: number): PivotedCholesky;
  /**
   * Packed upper triangle (as moments.ts stores it) of sum_i c_i c_i^T over the rows c_i of the row-major
   * n x dim matrix `c` (the centred batch); a new array of length dim (dim + 1) / 2.
   */
  packedComoment(c: Float64Array, n: number, dim: number): Float64Array;
  /** As frechet_core.ts trapezoidalProduct: lt * rows^T (r x q) for lt r x n upper trapezoidal, rows q x n. */
  trapezoidalProduct(lt: Float64Array, r: number, rows: Float64Array, q: number, n: number): Float64Array;
  /** As gram_engine.ts GramEngine.forEachPanel: A B^T in panels of rows (B is copied in once). */
  gramPanels: GramEngine["forEachPanel"];
  /** As bidiagonal.ts singularValues: the singular values, ascending, of the row-major m x n `a` (overwritten). */
  singularValues(a: Float64Array, m: number, n: number): Float64Array;
  /** As bidiagonal.ts singularValueSum: the sum of the singular values of the row-major m x n `a` (overwritten). */
  singularValueSum(a: Float64Array, m: number, n: number): number;
}

/** The leading arguments of both bidiagonalization passes (see linalg_kernels.as). */
type BidiagOperands = [
  a: number,
  lda: number,
  m: number,
  n: number,
  k: number,
  u: number,
  w: number,
  v: number,
  z: number,
];

interface Kernels {
  memory: WebAssembly.Memory;
  bidiagPass1(...args: [...BidiagOperands, tauR: number, tauL: number]): void;
  bidiagPass2(...args: [...BidiagOperands, tauL: number]): void;
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

  trapezoidalProduct(lt: Float64Array, r: number, rows: Float64Array, q: number, n: number): Float64Array {
    return product(lt, r, rows, q, n, true);
  },

  gramPanels(a, na, b, nb, dim, panelRows, symmetric, visit) {
    const np = pad4(dim), nbp = pad4(nb), pp = pad4(panelRows);
    const bBytes = align(nbp * np * 8, 64), aBytes = align(pp * np * 8, 64), cBytes = align(pp * nbp * 8, 64);
    const { k, base } = instantiate(bBytes + aBytes + cBytes + PACK_BYTES);
    const bOff = base, aOff = bOff + bBytes, cOff = aOff + aBytes, packOff = cOff + cBytes;
    copyIn(k.memory.buffer, bOff, b, nb, dim, np);
    const panelA = new Float64Array(k.memory.buffer, aOff, pp * np);
    const panelC = new Float64Array(k.memory.buffer, cOff, pp * nbp);
    for (let i0 = 0; i0 < na; i0 += pp) {
      const rows = Math.min(pp, na - i0), rowsP = pad4(rows);
      panelA.fill(0);
      copyIn(k.memory.buffer, aOff, a.subarray(i0 * dim), rows, dim, np);
      // Panels start at multiples of 4, so the symmetric panel's first column j0 = i0 is a packed-row boundary.
      const j0 = symmetric ? i0 : 0, qp = nbp - j0;
      panelC.fill(0, 0, rowsP * qp);
      gemmABt(k, aOff, np, bOff + j0 * np * 8, np, cOff, qp, rowsP, qp, np, false, packOff, false);
      visit(i0, rows, j0, nb - j0, panelC, qp);
    }
  },

  singularValueSum(a: Float64Array, m: number, n: number): number {
    return sumAscending(WASM_LINALG.singularValues(a, m, n));
  },

  singularValues(a: Float64Array, m: number, n: number): Float64Array {
    if (m === 0 || n === 0) return new Float64Array(0);
    if (m < n) return WASM_LINALG.singularValues(transposed(a, m, n), n, m);
    const lda = pad4(n);
    const aBytes = align(m * lda * 8, 64), colBytes = align(m * 8, 64), rowBytes = align(lda * 8, 64);
    const { k, base } = instantiate(aBytes + 2 * colBytes + 2 * rowBytes);
    const aOff = base, uOff = aOff + aBytes, zOff = uOff + colBytes, vOff = zOff + colBytes;
    const wOff = vOff + rowBytes;
    const mem = k.memory.buffer;
    copyIn(mem, aOff, a, m, n, lda);
    const am = new Float64Array(mem, aOff, m * lda);
    const u = new Float64Array(mem, uOff, m), z = new Float64Array(mem, zOff, m);
    const v = new Float64Array(mem, vOff, lda), w = new Float64Array(mem, wOff, lda);
    const diagonal = new Float64Array(n), superDiagonal = new Float64Array(n - 1);
    // The steps of bidiagonal.ts bidiagonalize, with its two passes over the block in the kernels.
    let tauR = 0;
    for (let c = 0; c < n; c++) {
      for (let i = c; i < m; i++) u[i] = am[i * lda + c] - tauR * z[i] * v[c];
      const [tauL, betaL] = householderFromFirst(u, c, m);
      diagonal[c] = betaL;
      w.fill(0, c + 1, n);
      k.bidiagPass1(aOff, lda, m, n, c, uOff, wOff, vOff, zOff, tauR, tauL);
      tauR = 0;
      if (c === n - 1) break;
      for (let j = c + 1; j < n; j++) v[j] = am[c * lda + j] - tauL * w[j];
      const [tauRight, betaR] = householderFromFirst(v, c + 1, n);
      superDiagonal[c] = betaR;
      k.bidiagPass2(aOff, lda, m, n, c, uOff, wOff, vOff, zOff, tauL);
      tauR = tauRight;
    }
    return bidiagonalSingularValues({ diagonal, superDiagonal });
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

/** C = A R^T (m x q) for row-major A (m x n) and R (q x n); with `trapezoidal`, A is zero before its diagonal. */
function product(
  a: Float64Array,
  m: number,
  r: Float64Array,
  q: number,
  n: number,
  trapezoidal: boolean,
): Float64Array {
  const mp = pad4(m), qp = pad4(q), np = pad4(n);
  const aBytes = align(mp * np * 8, 64);
  const rBytes = align(qp * np * 8, 64);
  const { k, base } = instantiate(aBytes + rBytes + align(mp * qp * 8, 64) + PACK_BYTES);
  const aOff = base, rOff = aOff + aBytes, cOff = rOff + rBytes;
  const packOff = cOff + align(mp * qp * 8, 64);
  copyIn(k.memory.buffer, aOff, a, m, n, np);
  copyIn(k.memory.buffer, rOff, r, q, n, np);
  gemmABt(k, aOff, np, rOff, np, cOff, qp, mp, qp, np, false, packOff, trapezoidal);
  return copyOut(k.memory.buffer, cOff, m, q, qp);
}

/**
 * C += A R^T with A (m x kdim); with `trapezoidal` A is upper trapezoidal (row i zero before column i, so strip
 * i0 starts at k = i0). C is m x nc; with lowerOnly only the blocks on or below the diagonal (j0 <= i0) are
 * formed. m, nc and kdim are multiples of 4; the padding of A and R is zero. GotoBLAS-style blocking: R is
 * packed per (k block, R block), A strips are read in place.
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
  trapezoidal: boolean,
): void {
  for (let k0 = 0; k0 < kdim; k0 += KC) {
    const kEnd = Math.min(k0 + KC, kdim);
    const kcur = kEnd - k0;
    // A trapezoidal A's strips starting at or after kEnd are zero over this k block.
    const iEnd = trapezoidal ? Math.min(m, kEnd) : m;
    for (let jb = 0; jb < nc; jb += NC) {
      const jEnd = Math.min(jb + NC, lowerOnly ? iEnd : nc);
      if (jEnd <= jb) break;
      k.packPanels(r, ldr, jb, jEnd, k0, kcur, pack);
      for (let i0 = 0; i0 < iEnd; i0 += 4) {
        const jLimit = lowerOnly ? Math.min(jEnd, i0 + 4) : jEnd;
        if (jLimit <= jb) continue;
        k.gemmStrip(
          a,
          lda,
          i0,
          trapezoidal ? Math.max(k0, i0) : k0,
          kEnd,
          k0,
          kcur,
          pack,
          jb,
          jLimit,
          c,
          ldc,
        );
      }
    }
  }
}
