/**
 * Gram matrices (all dot products between the rows of two feature matrices): the one quadratic cost behind
 * KID, PRDC and the mean pairwise distance (src/stats/sample_metrics.ts plans them together).
 *
 * Three engines compute the same products: OpenBLAS's dgemm/dsyrk where a native library is passed in
 * (AVX-512, every core the caller grants); else the WebAssembly SIMD kernel (src/stats/linalg_wasm.ts, the
 * blocked f64x2 product that also serves FID); else plain TypeScript. All float64, except KID's per-subset
 * products on the native engine (kidSubsetSums), which are float32 as torch-fidelity's, at twice the speed.
 *
 * Float32 products of the raw features are not accurate enough: a subset's MMD^2 is a small difference of large
 * kernel sums, and the std of the 100 values moved by 1e-5 to 3e-5 relative on pool-like features at D = 2048.
 * The features carry a large common offset, though, and that is where the float32 error comes from: products
 * of the CENTRED rows (a = x - c) are float32, and x.y = a.b + a.c + b.c + c.c is completed in float64. That
 * keeps KID within 1e-7 relative of the float64 definition (1e-9 for the mean) on the same features.
 */
import type { NativeLinalg } from "../native/native_linalg.ts";
import { type LinalgBackend, wasmLinalg } from "./linalg_wasm.ts";

/**
 * Receives one panel of A B^T: rows i0..i0+rows-1 of A against rows j0..j0+cols-1 of B, value (r, c) at
 * panel[r * ld + c]. The panel's memory is reused by the next call: copy what must outlive it.
 */
export type GramPanelVisitor = (
  i0: number,
  rows: number,
  j0: number,
  cols: number,
  panel: Float64Array,
  ld: number,
) => void;

/** Sums of the polynomial kernel (x.y / dim + 1)^3 of one KID subset: ordered pairs i != j within, all across. */
export interface KidSubsetSums {
  xx: number;
  yy: number;
  xy: number;
}

/** A way to compute Gram products. */
export interface GramEngine {
  /** "native", "wasm" or "ts": which implementation runs. */
  readonly name: string;
  /**
   * Visits A B^T (A na x dim, B nb x dim, row-major float64) in panels of at most `panelRows` rows of A (a
   * multiple of 4). With `symmetric` (A and B the same rows) a panel starting at row i0 covers columns j >= i0
   * only: each unordered pair once off the diagonal blocks, at half the cost.
   */
  forEachPanel(
    a: Float64Array,
    na: number,
    b: Float64Array,
    nb: number,
    dim: number,
    panelRows: number,
    symmetric: boolean,
    visit: GramPanelVisitor,
  ): void;
  /**
   * KID's kernel sums for one subset: x and y are m x dim row-major (float32 or float64); `centre` (dim values,
   * e.g. the features' rounded mean) is where float32 products are taken from (see above).
   */
  kidSubsetSums(
    x: Float32Array | Float64Array,
    y: Float32Array | Float64Array,
    m: number,
    dim: number,
    centre: Float64Array,
  ): KidSubsetSums;
}

/** Where the products run: a native library when given, else `backend` (WebAssembly or TypeScript). */
export interface GramOptions {
  native?: NativeLinalg | null;
  backend?: LinalgBackend;
}

/** The engine for these options: native, else WebAssembly ("auto"/"wasm" where it loads), else TypeScript. */
export function gramEngine(opts: GramOptions = {}): GramEngine {
  if (opts.native) return nativeEngine(opts.native);
  const backend = opts.backend ?? "auto";
  const wasm = backend === "ts" ? null : wasmLinalg();
  if (wasm) {
    return portableEngine(
      "wasm",
      (a, na, b, nb, dim, p, s, v) => wasm.gramPanels(a, na, b, nb, dim, p, s, v),
    );
  }
  if (backend === "wasm") throw new Error("WebAssembly SIMD is not available in this runtime");
  return portableEngine("ts", tsPanels);
}

/** Panel memory per product call: panels of rows x columns doubles up to this size. */
const PANEL_BYTES = 32 * 2 ** 20;

/**
 * Rows per panel (a multiple of 4) so that a panel against `cols` columns stays within 32 MiB; for a symmetric
 * block also at most an eighth of the rows, since each panel computes its whole diagonal square: eight panels
 * cost 56% of the full product instead of 100% for one.
 */
export function panelRowsFor(cols: number, symmetric = false): number {
  const byMemory = Math.floor(PANEL_BYTES / (8 * Math.max(1, cols)));
  const rows = symmetric ? Math.min(byMemory, Math.max(64, Math.ceil(cols / 8))) : byMemory;
  return Math.max(4, rows & ~3);
}

/** (g / dim + 1)^3: torch-fidelity's polynomial kernel of a dot product g. */
export function polynomialKernel(g: number, dim: number): number {
  const t = g / dim + 1;
  return t * t * t;
}

function nativeEngine(blas: NativeLinalg): GramEngine {
  let panel = new Float64Array(0);
  return {
    name: "native",
    forEachPanel(a, na, b, nb, dim, panelRows, symmetric, visit) {
      for (let i0 = 0; i0 < na; i0 += panelRows) {
        const rows = Math.min(panelRows, na - i0);
        const j0 = symmetric ? i0 : 0;
        const cols = nb - j0;
        if (panel.length < rows * cols) panel = new Float64Array(rows * cols);
        blas.dgemm(
          false,
          true,
          rows,
          cols,
          dim,
          1,
          a.subarray(i0 * dim),
          dim,
          b.subarray(j0 * dim),
          dim,
          0,
          panel,
          cols,
        );
        visit(i0, rows, j0, cols, panel, cols);
      }
    },
    kidSubsetSums(x, y, m, dim, centre) {
      const a = centredFloat32(x, m, dim, centre), b = centredFloat32(y, m, dim, centre);
      const ta = offsets(a, m, dim, centre), tb = offsets(b, m, dim, centre);
      let cc = 0;
      for (let k = 0; k < dim; k++) cc += centre[k] * centre[k];
      const g = new Float32Array(m * m);
      blas.ssyrk(m, dim, 1, a, dim, 0, g, m);
      const xx = 2 * upperKernelSum(g, m, dim, ta, cc);
      blas.ssyrk(m, dim, 1, b, dim, 0, g, m);
      const yy = 2 * upperKernelSum(g, m, dim, tb, cc);
      blas.sgemm(false, true, m, m, dim, 1, a, dim, b, dim, 0, g, m);
      let xy = 0;
      for (let i = 0; i < m; i++) {
        const row = i * m, ti = ta[i] + cc;
        for (let j = 0; j < m; j++) xy += polynomialKernel(g[row + j] + ti + tb[j], dim);
      }
      return { xx, yy, xy };
    },
  };
}

/** The WebAssembly and TypeScript engines: float64 products through `panels`, KID subsets as three products. */
function portableEngine(
  name: string,
  panels: GramEngine["forEachPanel"],
): GramEngine {
  return {
    name,
    forEachPanel: panels,
    kidSubsetSums(x, y, m, dim) {
      const xs = x instanceof Float64Array ? x : Float64Array.from(x);
      const ys = y instanceof Float64Array ? y : Float64Array.from(y);
      const sum = (a: Float64Array, b: Float64Array, symmetric: boolean) => {
        let s = 0;
        panels(a, m, b, m, dim, (m + 3) & ~3, symmetric, (_i0, rows, _j0, cols, p, ld) => {
          for (let r = 0; r < rows; r++) {
            for (let c = symmetric ? r + 1 : 0; c < cols; c++) s += polynomialKernel(p[r * ld + c], dim);
          }
        });
        return symmetric ? 2 * s : s;
      };
      return { xx: sum(xs, xs, true), yy: sum(ys, ys, true), xy: sum(xs, ys, false) };
    },
  };
}

/**
 * Sum of the kernel over the strict upper triangle of an m x m Gram matrix of centred rows, each dot product
 * completed as g + t_i + t_j + cc (t = a.c, cc = c.c).
 */
function upperKernelSum(g: Float32Array, m: number, dim: number, t: Float64Array, cc: number): number {
  let s = 0;
  for (let i = 0; i < m; i++) {
    const row = i * m, ti = t[i] + cc;
    for (let j = i + 1; j < m; j++) s += polynomialKernel(g[row + j] + ti + t[j], dim);
  }
  return s;
}

/** x - centre (m rows), rounded to float32 once. */
function centredFloat32(
  x: Float32Array | Float64Array,
  m: number,
  dim: number,
  centre: Float64Array,
): Float32Array {
  const out = new Float32Array(m * dim);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < dim; k++) out[i * dim + k] = x[i * dim + k] - centre[k];
  }
  return out;
}

/** a_i . centre for each row, in float64. */
function offsets(a: Float32Array, m: number, dim: number, centre: Float64Array): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += a[i * dim + k] * centre[k];
    out[i] = s;
  }
  return out;
}

/** The TypeScript products, four dot products of one row of A at a time (the fallback of the fallback). */
const tsPanels: GramEngine["forEachPanel"] = (a, na, b, nb, dim, panelRows, symmetric, visit) => {
  let panel = new Float64Array(0);
  for (let i0 = 0; i0 < na; i0 += panelRows) {
    const rows = Math.min(panelRows, na - i0);
    const j0 = symmetric ? i0 : 0;
    const cols = nb - j0;
    if (panel.length < rows * cols) panel = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const ai = (i0 + r) * dim;
      let c = 0;
      for (; c + 4 <= cols; c += 4) {
        const b0 = (j0 + c) * dim, b1 = b0 + dim, b2 = b1 + dim, b3 = b2 + dim;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < dim; k++) {
          const x = a[ai + k];
          s0 += x * b[b0 + k], s1 += x * b[b1 + k], s2 += x * b[b2 + k], s3 += x * b[b3 + k];
        }
        const o = r * cols + c;
        panel[o] = s0, panel[o + 1] = s1, panel[o + 2] = s2, panel[o + 3] = s3;
      }
      for (; c < cols; c++) {
        const bj = (j0 + c) * dim;
        let s = 0;
        for (let k = 0; k < dim; k++) s += a[ai + k] * b[bj + k];
        panel[r * cols + c] = s;
      }
    }
    visit(i0, rows, j0, cols, panel, cols);
  }
};
