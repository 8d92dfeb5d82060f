/**
 * How each conv of fid-inception's CPU network runs, and its weights laid out for the kernels
 * (inception_kernels.as), computed once when the network is built.
 *
 * - direct: panels of PANEL output channels, each tap-major then input-channel-major (convStrip's layout).
 * - winograd2d (3x3, stride 1): Winograd F(4x4, 3x3), the 36 matrices U_xi = (G g G^T)[xi].
 * - winograd1d (1x7 / 7x1 and 1x3 / 3x1, stride 1): F(3, 7) or F(4, 3) along the kernel's long axis, the
 *   alpha matrices U_xi = (G g)[xi].
 * Each U_xi ([cin][cout]) is packed as a 1x1 conv, so one GEMM kernel serves every method. The transforms of
 * the weights run in float64 and round once to float32.
 */
import type { ConvSpec } from "../blocks.ts";

/** Output channels per packed panel: the kernel's register tile is 6 rows x 8 channels. */
export const PANEL = 8;

/** A 1D Winograd variant: m outputs per tile from a kernel of r taps, with its weight transform G. */
export interface Winograd1d {
  m: number;
  r: number;
  /** alpha x r, alpha = m + r - 1 (matches the kernels' B^T and A^T: same Toom-Cook construction). */
  g: readonly (readonly number[])[];
}

/** How a conv runs. */
export type ConvMethod =
  | { kind: "direct" }
  | { kind: "winograd2d" }
  | { kind: "winograd1d"; variant: Winograd1d; alongW: boolean };

/** F(4x4, 3x3)'s G (6 x 3), Lavin & Gray's, interpolation points 0, 1, -1, 2, -2 and infinity. */
const G_4X4_3X3: readonly (readonly number[])[] = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];

/** Side of F(4x4, 3x3)'s output tile and input tile. */
export const WINOGRAD2D_M = 4;
/** Input tile side of F(4x4, 3x3). */
export const WINOGRAD2D_ALPHA = 6;

/** F(3, 7), points 0, 1, -1, 2, -2, 1/2, -1/2, 3 and infinity (G's rows carry B^T's denominators). */
export const WINOGRAD_3X7: Winograd1d = {
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
export const WINOGRAD_4X3: Winograd1d = {
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
  if (kh === 3 && kw === 3) return { kind: "winograd2d" };
  const long = Math.max(kh, kw);
  if (Math.min(kh, kw) === 1 && (long === 7 || long === 3)) {
    return { kind: "winograd1d", variant: long === 7 ? WINOGRAD_3X7 : WINOGRAD_4X3, alongW: kh === 1 };
  }
  return { kind: "direct" };
}

/** The conv's HWIO [kh, kw, cin, cout] weights in the layout its method's kernels read. */
export function packConv(w: Float32Array, spec: ConvSpec): Float32Array {
  const method = convMethod(spec);
  if (method.kind === "winograd2d") return packWinograd2d(w, spec);
  if (method.kind === "winograd1d") return packWinograd1d(w, spec, method.variant.g);
  return packPanels(w, spec);
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

/** U[xi][ci][co] (float64 sums) -> each xi's [cin][cout] matrix packed as a 1x1 conv. */
function packPositions(u: Float64Array, positions: number, spec: ConvSpec): Float32Array {
  const size = spec.inChannels * spec.outChannels;
  const out = new Float32Array(positions * size);
  const oneByOne: ConvSpec = { ...spec, kernel: [1, 1] };
  for (let xi = 0; xi < positions; xi++) {
    out.set(packPanels(Float32Array.from(u.subarray(xi * size, (xi + 1) * size)), oneByOne), xi * size);
  }
  return out;
}

/** 3x3 weights -> F(4x4, 3x3)'s 36 matrices U_xi = (G g G^T)[xi], packed. */
function packWinograd2d(w: Float32Array, spec: ConvSpec): Float32Array {
  const cin = spec.inChannels, cout = spec.outChannels;
  const a = WINOGRAD2D_ALPHA, gm = G_4X4_3X3;
  const u = new Float64Array(a * a * cin * cout);
  const g = new Float64Array(9), gg = new Float64Array(3 * a);
  for (let ci = 0; ci < cin; ci++) {
    for (let co = 0; co < cout; co++) {
      for (let t = 0; t < 9; t++) g[t] = w[(t * cin + ci) * cout + co];
      for (let i = 0; i < a; i++) { // G g: a x 3
        for (let j = 0; j < 3; j++) {
          gg[3 * i + j] = gm[i][0] * g[j] + gm[i][1] * g[3 + j] + gm[i][2] * g[6 + j];
        }
      }
      for (let i = 0; i < a; i++) { // (G g) G^T: a x a
        for (let j = 0; j < a; j++) {
          const v = gg[3 * i] * gm[j][0] + gg[3 * i + 1] * gm[j][1] + gg[3 * i + 2] * gm[j][2];
          u[((a * i + j) * cin + ci) * cout + co] = v;
        }
      }
    }
  }
  return packPositions(u, a * a, spec);
}

/** A 1 x r or r x 1 kernel (taps in order along its long axis) -> the alpha matrices U_xi = (G g)[xi], packed. */
function packWinograd1d(w: Float32Array, spec: ConvSpec, gm: readonly (readonly number[])[]): Float32Array {
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
  return packPositions(u, a, spec);
}
