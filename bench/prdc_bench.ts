/**
 * PRDC and mean pairwise distance timing at Inception dimensions:
 *   deno run -A bench/prdc_bench.ts [--n 10000] [--dim 2048] [--k 5] [--baseline-n 1000] [--no-big]
 *
 * Features are float32 uniform noise (speed does not depend on the values; the fake side is shifted so the
 * metrics are not trivial). Reports:
 * - prdc and meanPairwiseDistance at n x n (default 10000 real x 10000 fake, prdc's default maxSamples), with
 *   the multiply-add rate: prdc measures n^2/2 + n^2/2 + n^2 pairs, the mean pairwise distance n^2/2; on
 *   OpenBLAS's dgemm (where it loads, every core) and on the WebAssembly Gram kernel;
 * - at --baseline-n, the same prdc against a plain baseline (one pair at a time, direct differences, no
 *   tiling), checking that every engine gives the same four values.
 * Other jobs may share this machine: figures are noisy, compare them side by side only.
 */
import { prdc } from "../src/stats/prdc.ts";
import { meanPairwiseDistance } from "../src/stats/pairwise_distance.ts";
import type { GramOptions } from "../src/stats/gram_engine.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import { seededRandom } from "../tools/arrays.ts";

function argValue(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const n = argValue("--n", 10000);
const dim = argValue("--dim", 2048);
const k = argValue("--k", 5);
const baselineN = argValue("--baseline-n", 1000);
const runBig = !Deno.args.includes("--no-big");

function features(rows: number, seed: number, shift: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: rows * dim }, () => r() + shift);
}

function seconds<T>(f: () => T): [T, number] {
  const t = performance.now();
  const v = f();
  return [v, (performance.now() - t) / 1000];
}

/** The baseline: every pair measured by direct differences, radii by sorting, plain loops. */
function plainPrdc(real: Float32Array, fake: Float32Array, rows: number) {
  const dist = (a: Float32Array, i: number, b: Float32Array, j: number) => {
    let s = 0;
    for (let t = 0; t < dim; t++) {
      const d = a[i * dim + t] - b[j * dim + t];
      s += d * d;
    }
    return Math.sqrt(s);
  };
  const radii = (x: Float32Array) =>
    Array.from({ length: rows }, (_, i) => {
      const d: number[] = [];
      for (let j = 0; j < rows; j++) if (j !== i) d.push(dist(x, i, x, j));
      return d.sort((p, q) => p - q)[k - 1];
    });
  const r = radii(real), s = radii(fake);
  let precise = 0, inBalls = 0;
  const covered = new Uint8Array(rows), recalled = new Uint8Array(rows);
  for (let j = 0; j < rows; j++) {
    let inside = 0;
    for (let i = 0; i < rows; i++) {
      const d = dist(real, i, fake, j);
      if (d < r[i]) inside++, covered[i] = 1;
      if (d < s[j]) recalled[i] = 1;
    }
    if (inside > 0) precise++;
    inBalls += inside;
  }
  const sum = (a: Uint8Array) => a.reduce((p, q) => p + q, 0);
  return {
    precision: precise / rows,
    recall: sum(recalled) / rows,
    density: inBalls / (k * rows),
    coverage: sum(covered) / rows,
  };
}

type Four = { precision: number; recall: number; density: number; coverage: number };
const fmt = (v: Four) =>
  `precision ${v.precision.toFixed(4)}, recall ${v.recall.toFixed(4)}, density ${v.density.toFixed(4)}, ` +
  `coverage ${v.coverage.toFixed(4)}`;

console.log(`dim ${dim}, k ${k}; cores ${navigator.hardwareConcurrency}; load may be shared`);

const native = loadOpenBlas()?.linalg ?? null;
const cores = navigator.hardwareConcurrency;
const engines: [string, GramOptions, <T>(f: () => T) => T][] = [
  ...(native
    ? [[`OpenBLAS, ${cores} threads`, { native }, <T>(f: () => T) => native.withThreads(cores, f)]] as [
      string,
      GramOptions,
      <T>(f: () => T) => T,
    ][]
    : []),
  ["wasm", { backend: "wasm" }, <T>(f: () => T) => f()],
];

{
  const real = features(baselineN, 1, 0), fake = features(baselineN, 2, 0.02);
  const [plain, tPlain] = seconds(() => plainPrdc(real, fake, baselineN));
  for (const [name, linalg, run] of engines) {
    const [fast, tFast] = seconds(() =>
      run(() => prdc(real, baselineN, fake, baselineN, dim, { k }, linalg))
    );
    const agree = (["precision", "recall", "coverage"] as const).every((key) => fast[key] === plain[key]) &&
      Math.abs(fast.density - plain.density) <= 1e-12;
    console.log(
      `prdc ${baselineN} x ${baselineN} (${name}): ${tFast.toFixed(2)} s, plain baseline ${
        tPlain.toFixed(2)
      } s ` +
        `(${(tPlain / tFast).toFixed(1)}x); values agree: ${agree}`,
    );
    console.log(`  ${fmt(fast)}`);
    if (!agree) console.log(`  baseline: ${fmt(plain)}`);
  }
}

if (runBig) {
  const real = features(n, 3, 0), fake = features(n, 4, 0.02);
  for (const [name, linalg, run] of engines) {
    const memBefore = Deno.memoryUsage().rss;
    const [res, t] = seconds(() => run(() => prdc(real, n, fake, n, dim, { k, maxSamples: n }, linalg)));
    const madds = 2 * n * n * dim; // n^2/2 + n^2/2 + n^2 pairs, dim multiply-adds each
    console.log(
      `prdc ${n} x ${n} (${name}): ${t.toFixed(1)} s, ${(madds / t / 1e9).toFixed(2)} G multiply-add/s, ` +
        `rss +${((Deno.memoryUsage().rss - memBefore) / 2 ** 20).toFixed(0)} MiB`,
    );
    console.log(`  ${fmt(res)}`);
    const [mean, tm] = seconds(() =>
      run(() => meanPairwiseDistance(fake, n, dim, { maxSamples: n }, linalg))
    );
    console.log(
      `meanPairwiseDistance ${n} (${name}): ${tm.toFixed(1)} s (${
        ((n * n / 2) * dim / tm / 1e9).toFixed(2)
      } G ` +
        `multiply-add/s), mean ${mean.toFixed(4)}`,
    );
  }
}
