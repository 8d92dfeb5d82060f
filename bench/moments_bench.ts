/**
 * Per-batch moments timing (the ingestion bound):
 *   deno run -A bench/moments_bench.ts [--dim 2048] [--rows 100] [--reps 15]
 *
 * Times batchMoments on one float32 rows x dim batch with the plain-TypeScript co-moment (the path before the
 * WebAssembly kernel, kept as fallback), with the WebAssembly SIMD kernel, and with OpenBLAS's dsyrk where it
 * loads (the compute worker's choice then), in the same process, calls interleaved so background load hits
 * all alike. Prints median and best ms per batch and the ratio, checks
 * that the two co-moments agree to 1e-12 relative, and times mergeMomentsInto (O(D^2), not accelerated) for
 * scale.
 */
import { parseArgs } from "node:util";
import { batchMoments, emptyMoments, mergeMomentsInto, packedIndex } from "../src/stats/moments.ts";
import { wasmLinalg } from "../src/stats/linalg_wasm.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import { seededRandom } from "../tools/arrays.ts";

const { values: args } = parseArgs({
  options: {
    dim: { type: "string", default: "2048" },
    rows: { type: "string", default: "100" },
    reps: { type: "string", default: "15" },
  },
});
const dim = Number(args.dim), n = Number(args.rows), reps = Number(args.reps);

/** Features like InceptionV3 pool outputs: non-negative, a shared per-row factor, float32. */
function features(seed: number): Float32Array {
  const rnd = seededRandom(seed);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const shared = rnd();
    for (let j = 0; j < dim; j++) x[i * dim + j] = Math.max(0, rnd() + shared * (j % 5) * 0.2 - 0.3);
  }
  return x;
}

function ms(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (wasmLinalg() === null) throw new Error("WebAssembly SIMD is not available: nothing to compare");
console.log(`batchMoments benchmark, ${n} x ${dim} float32 batch, ${reps} interleaved reps per backend`);
console.log(
  `load average at start: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")} (other jobs add noise)`,
);

const x = features(1);
// Agreement, and warm-up (the first wasm call also compiles and tiers up the kernel).
const ts = batchMoments(x, n, dim, "ts");
const wasm = batchMoments(x, n, dim, "wasm");
/** Largest |got - ref| of the packed co-moments, relative to sqrt(ref_aa ref_bb). */
function worstRelDiff(got: Float64Array, ref: Float64Array): number {
  let worst = 0;
  for (let a = 0, p = 0; a < dim; a++) {
    for (let b = a; b < dim; b++, p++) {
      const scale = Math.sqrt(ref[packedIndex(a, a, dim)] * ref[packedIndex(b, b, dim)]);
      const err = Math.abs(got[p] - ref[p]);
      worst = Math.max(worst, scale > 0 ? err / scale : err);
    }
  }
  return worst;
}
const worst = worstRelDiff(wasm.comoment, ts.comoment);
if (!(worst <= 1e-12)) throw new Error(`wasm and TypeScript co-moments disagree: ${worst}`);
const blas = loadOpenBlas();
const worstBlas = blas ? worstRelDiff(batchMoments(x, n, dim, blas.packedComoment).comoment, ts.comoment) : 0;
if (!(worstBlas <= 1e-12)) throw new Error(`OpenBLAS and TypeScript co-moments disagree: ${worstBlas}`);

const tsMs: number[] = [], wasmMs: number[] = [], blasMs: number[] = [], mergeMs: number[] = [];
const acc = emptyMoments(dim);
for (let r = 0; r < reps; r++) {
  tsMs.push(ms(() => batchMoments(x, n, dim, "ts")));
  wasmMs.push(ms(() => batchMoments(x, n, dim, "wasm")));
  if (blas) blasMs.push(ms(() => batchMoments(x, n, dim, blas.packedComoment)));
  mergeMs.push(ms(() => mergeMomentsInto(acc, wasm)));
}

const madds = ((dim * (dim + 1)) / 2) * n;
const rows: [string, string, string, string][] = [
  ["batchMoments", "median ms", "best ms", "G multiply-adds/s (best)"],
  ["TypeScript (before)", ...stats(tsMs)],
  ["WebAssembly SIMD (after)", ...stats(wasmMs)],
  [
    "speed-up (TS / wasm)",
    `${(median(tsMs) / median(wasmMs)).toFixed(2)}x`,
    `${(Math.min(...tsMs) / Math.min(...wasmMs)).toFixed(2)}x`,
    "",
  ],
  ...(blas
    ? [
      [`OpenBLAS dsyrk (${blas.core})`, ...stats(blasMs)] as [string, string, string, string],
      [
        "speed-up (wasm / OpenBLAS)",
        `${(median(wasmMs) / median(blasMs)).toFixed(2)}x`,
        `${(Math.min(...wasmMs) / Math.min(...blasMs)).toFixed(2)}x`,
        "",
      ] as [string, string, string, string],
    ]
    : []),
  ["mergeMomentsInto (for scale)", median(mergeMs).toFixed(1), Math.min(...mergeMs).toFixed(1), ""],
];
function stats(t: number[]): [string, string, string] {
  const best = Math.min(...t);
  return [median(t).toFixed(1), best.toFixed(1), (madds / best / 1e6).toFixed(2)];
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) {
  console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
}
console.log(`wasm vs TypeScript co-moment: max relative difference ${worst.toExponential(2)} (limit 1e-12)`);
if (blas) {
  console.log(`OpenBLAS vs TypeScript: max relative difference ${worstBlas.toExponential(2)} (limit 1e-12)`);
}
