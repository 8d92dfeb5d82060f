/**
 * How each conv of fid-inception's CPU network runs, and its weights laid out for the kernels
 * (inception_kernels.as), computed once when the network is built.
 *
 * - direct: panels of PANEL output channels, each tap-major then input-channel-major (convStrip's layout).
 * - winograd2d (3x3 or 5x5, stride 1): Winograd F(4x4, 3x3) or F(2x2, 5x5) (6x6 input tiles, the same points),
 *   the 36 matrices U_xi = (G g G^T)[xi].
 * - winograd1d (1x7 / 7x1 and 1x3 / 3x1, stride 1): F(3, 7) or F(4, 3) along the kernel's long axis, the
 *   alpha matrices U_xi = (G g)[xi].
 * Each U_xi ([cin][cout]) is packed as a 1x1 conv, so one GEMM kernel serves every method. The transforms of
 * the weights run in float64 and round once to float32.
 */
import type { ConvSpec } from "../blocks.ts";

/** Output channels per packed panel: the kernel's register tile is 6 rows x 8 channels. */
export const PANEL = 8;

/** A Winograd variant: m outputs per tile (per axis) from a kernel of r taps, with its weight transform G. */
export interface WinogradVariant {
  m: number;
  r: number;
  /** alpha x r, alpha = m + r - 1 (matches the kernels' B^T and A^T: same Toom-Cook construction). */
  g: readonly (readonly number[])[];
}

/** How a conv runs. */
export type ConvMethod =
  | { kind: "direct" }
  | { kind: "winograd2d"; variant: WinogradVariant }
  | { kind: "winograd1d"; variant: WinogradVariant; alongW: boolean };

/**
 * F(4x4, 3x3), Lavin & Gray's G (6 x 3), interpolation points 0, 1, -1, 2, -2 and infinity. The kernels' B^T
 * is Lavin's, whose rows for the points 1 and -1 have the opposite sign of the plain Toom-Cook ones: G's rows
 * 1 and 2 carry that sign here and below.
 */
export const WINOGRAD_4X4_3X3: WinogradVariant = {
  m: 4,
  r: 3,
  g: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
};

/** F(2x2, 5x5), the same points (6 x 5). */
export const WINOGRAD_2X2_5X5: WinogradVariant = {
  m: 2,
  r: 5,
  g: [
    [1 / 4, 0, 0, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6, 1 / 3, 2 / 3],
    [1 / 24, -1 / 12, 1 / 6, -1 / 3, 2 / 3],
    [0, 0, 0, 0, 1],
  ],
};

/** Input tile side of the 2D variants. */
export const WINOGRAD2D_ALPHA = 6;

/** F(3, 7), points 0, 1, -1, 2, -2, 1/2, -1/2, 3 and infinity (G's rows carry B^T's denominators). */
export const WINOGRAD_3X7: WinogradVariant = {
  m: 3,
  r: 7,
  g: [
    [1 / 12, 0, 0, 0, 0, 0, 0],
    [1 / 36, 1 / 36, 1 / 36, 1 / 36, 1 / 36, 1 / 36, 1 / 36],
    [1 / 72, -1 / 72, 1 / 72, -1 / 72, 1 / 72, -1 / 72, 1 / 72],
    [1 / 360, 1 / 180, 1 / 90, 1 / 45, 2 / 45, 4 / 45, 8 / 45],
    [1 / 1800, -1 / 900, 1 / 450, -1 / 225, 2 / 225, -4 / 225, 8 / 225],
    [1 / 225, 1 / 450, 1 / 900, 1 / 1800, 1 / 3600, 1 / 7200, 1 / 14400],
    [1 / 315, -1 / 630, 1 / 1260, -1 / 2520, 1 / 5040, -1 / 10080, 1 / 20160],
    [1 / 4200, 1 / 1400, 3 / 1400, 9 / 1400, 27 / 1400, 81 / 1400, 243 / 1400],
    [0, 0, 0, 0, 0, 0, 1 / 4],
  ],
};

/** F(4, 3), points 0, 1, -1, 2, -2 and infinity. */
export const WINOGRAD_4X3: WinogradVariant = {
  m: 4,
  r: 3,
  g: [
    [1 / 4, 0, 0],
    [1 / 6, 1 / 6, 1 / 6],
    [1 / 6, -1 / 6, 1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
};

/** The method a conv runs with (Winograd wherever a variant fits: stride 1 and a matching kernel). */
export function convMethod(spec: ConvSpec): ConvMethod {
  const [kh, kw] = spec.kernel;
  if (spec.stride !== 1) return { kind: "direct" };
  if (kh === 3 && kw === 3) return { kind: "winograd2d", variant: WINOGRAD_4X4_3X3 };
  if (kh === 5 && kw === 5) return { kind: "winograd2d", variant: WINOGRAD_2X2_5X5 };
  const long = Math.max(kh, kw);
  if (Math.min(kh, kw) === 1 && (long === 7 || long === 3)) {
    return { kind: "winograd1d", variant: long === 7 ? WINOGRAD_3X7 : WINOGRAD_4X3, alongW: kh === 1 };
  }
  return { kind: "direct" };
}

/**
 * How a GEMM reads its weight matrices: "panels" for the WebAssembly kernel (convStrip), "rows" (plain
 * row-major [k][cout]) for OpenBLAS's sgemm.
 */
export type WeightLayout = "panels" | "rows";

/** The conv's HWIO [kh, kw, cin, cout] weights in the layout its method's GEMMs read. */
export function packConv(w: Float32Array, spec: ConvSpec, layout: WeightLayout = "panels"): Float32Array {
  const method = convMethod(spec);
  if (method.kind === "winograd2d") return packWinograd2d(w, spec, method.variant.g, layout);
  if (method.kind === "winograd1d") return packWinogradVariant(w, spec, method.variant.g, layout);
  // HWIO flattened is already the [kh * kw * cin][cout] matrix that im2col patch rows multiply.
  return layout === "rows" ? w.slice() : packPanels(w, spec);
}

/** HWIO [kh, kw, cin, cout] -> panels of PANEL output channels, each tap-major then input-channel-major. */
export function packPanels(w: Float32Array, spec: ConvSpec): Float32Array {
  const taps = spec.kernel[0] * spec.kernel[1];
  const cin = spec.inChannels, cout = spec.outChannels;
  if (cout % PANEL !== 0) {
    throw new Error(`${spec.name}: ${cout} output channels is not a multiple of ${PANEL}`);
  }
  const out = new Float32Array(w.length);
  let o = 0;
  for (let p = 0; p < cout; p += PANEL) {
    for (let t = 0; t < taps; t++) {
      for (let ci = 0; ci < cin; ci++) {
        const src = (t * cin + ci) * cout + p;
        for (let j = 0; j < PANEL; j++) out[o++] = w[src + j];
      }
    }
  }
  return out;
}

/** U[xi][ci][co] (float64 sums) -> each xi's [cin][cout] matrix, as rows or packed as a 1x1 conv. */
function packPositions(
  u: Float64Array,
  positions: number,
  spec: ConvSpec,
  layout: WeightLayout,
): Float32Array {
  if (layout === "rows") return Float32Array.from(u);
  const size = spec.inChannels * spec.outChannels;
  const out = new Float32Array(positions * size);
  const oneByOne: ConvSpec = { ...spec, kernel: [1, 1] };
  for (let xi = 0; xi < positions; xi++) {
    out.set(packPanels(Float32Array.from(u.subarray(xi * size, (xi + 1) * size)), oneByOne), xi * size);
  }
  return out;
}

/** r x r weights -> the 36 matrices U_xi = (G g G^T)[xi] of a 2D variant (G: 6 x r), packed. */
function packWinograd2d(
  w: Float32Array,
  spec: ConvSpec,
  gm: readonly (readonly number[])[],
  layout: WeightLayout,
): Float32Array {
  const cin = spec.inChannels, cout = spec.outChannels;
  const a = gm.length, r = gm[0].length;
  const u = new Float64Array(a * a * cin * cout);
  const g = new Float64Array(r * r), gg = new Float64Array(a * r);
  for (let ci = 0; ci < cin; ci++) {
    for (let co = 0; co < cout; co++) {
      for (let t = 0; t < r * r; t++) g[t] = w[(t * cin + ci) * cout + co];
      gg.fill(0);
      for (let i = 0; i < a; i++) { // G g: a x r
        for (let k = 0; k < r; k++) {
          const c = gm[i][k];
          if (c !== 0) { for (let j = 0; j < r; j++) gg[r * i + j] += c * g[r * k + j]; }
        }
      }
      for (let i = 0; i < a; i++) { // (G g) G^T: a x a
        for (let j = 0; j < a; j++) {
          let v = 0;
          for (let k = 0; k < r; k++) v += gg[r * i + k] * gm[j][k];
          u[((a * i + j) * cin + ci) * cout + co] = v;
        }
      }
    }
  }
  return packPositions(u, a * a, spec, layout);
}

/** A 1 x r or r x 1 kernel (taps in order along its long axis) -> the alpha matrices U_xi = (G g)[xi], packed. */
function packWinogradVariant(
  w: Float32Array,
  spec: ConvSpec,
  gm: readonly (readonly number[])[],
  layout: WeightLayout,
): Float32Array {
  const cin = spec.inChannels, cout = spec.outChannels;
  const r = gm[0].length, a = gm.length;
  const size = cin * cout;
  const u = new Float64Array(a * size);
  for (let xi = 0; xi < a; xi++) {
    for (let k = 0; k < r; k++) {
      const c = gm[xi][k];
      if (c === 0) continue;
      const tap = w.subarray(k * size, (k + 1) * size);
      const row = u.subarray(xi * size, (xi + 1) * size);
      for (let i = 0; i < size; i++) row[i] += c * tap[i];
    }
  }
  return packPositions(u, a, spec, layout);
}
