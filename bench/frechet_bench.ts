/**
 * Frechet distance timing at Inception dimensions:
 *   deno run -A bench/frechet_bench.ts [--dim 2048] [--no-ts] [--no-python]
 *
 * Builds covariances with a decaying (power-law) spectrum like InceptionV3 pool features: diag(lambda)
 * rotated by random Householder reflectors into a dense matrix. The reference is full rank (as from
 * n > D samples); one generated set is full rank, one has rank D/2 (as from D/2 + 1 samples, n < D).
 * Times prepareReference, the cached-factor fast path (WebAssembly SIMD) and, in the same process, the
 * plain-TypeScript fallback of the same algorithm as the baseline; checks they agree to 1e-9 relative;
 * prints the fast path's stages; and compares against pytorch-fid's scipy.linalg.sqrtm figure (7.4 s on a
 * quiet 2-core machine, ENVIRONMENT.md). When python3 with numpy + scipy is present it also runs pytorch-fid's
 * calculate_frechet_distance on the same matrices, side by side (nothing else depends on Python).
 */
import { frechetDistanceFromFactor, prepareReference, type ReferenceFactor } from "../src/stats/frechet.ts";
import { traceSqrtProduct } from "../src/stats/frechet_core.ts";
import { permuteSymmetric, triangularCongruence } from "../src/stats/triangular_congruence.ts";
import { tridiagonalizeLower } from "../src/stats/householder_tridiagonal.ts";
import { tridiagonalEigenvalues } from "../src/stats/tridiagonal_ql.ts";
import { wasmLinalg } from "../src/stats/linalg_wasm.ts";
import { seededRandom } from "../tests/_support/arrays.ts";

const SCIPY_SQRTM_SECONDS = 7.4; // pytorch-fid's path at D=2048, quiet 2-core machine (ENVIRONMENT.md)
const TARGET_SECONDS = SCIPY_SQRTM_SECONDS / 2;

function argValue(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const dim = argValue("--dim", 2048);
const runTs = !Deno.args.includes("--no-ts");
const runPython = !Deno.args.includes("--no-python");

/** Q diag(lambda) Q^T with Q a product of `reflectors` random Householder reflections (O(n^2) each). */
function rotatedCovariance(lambda: Float64Array, reflectors: number, seed: number): Float64Array {
  const n = lambda.length;
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) s[i * n + i] = lambda[i];
  const rnd = seededRandom(seed);
  const u = new Float64Array(n);
  const p = new Float64Array(n);
  for (let r = 0; r < reflectors; r++) {
    let norm = 0;
    for (let i = 0; i < n; i++) {
      u[i] = rnd() - 0.5;
      norm += u[i] * u[i];
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) u[i] /= norm;
    // H S H = S - 2 u q^T - 2 q u^T with p = S u, q = p - (u^T p) u.
    let k = 0;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += s[i * n + j] * u[j];
      p[i] = acc;
      k += u[i] * acc;
    }
    for (let i = 0; i < n; i++) p[i] -= k * u[i];
    for (let i = 0; i < n; i++) {
      const ui = u[i];
      const pi = p[i];
      for (let j = 0; j < n; j++) s[i * n + j] -= 2 * (ui * p[j] + pi * u[j]);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) s[j * n + i] = s[i * n + j];
  return s;
}

function powerLaw(n: number, scale: number, exponent: number, rank = n): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (i < rank ? scale * (i + 1) ** -exponent + 1e-4 : 0));
}

function randomMean(n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: n }, () => rnd() * 0.5);
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, (performance.now() - t0) / 1000];
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

const rows: [string, string, string][] = [];
/** A table row; by default its note is the speed-up over scipy's 7.4 s (meaningful at D = 2048 only). */
const row = (what: string, seconds: number, note?: string) =>
  rows.push([
    what,
    seconds.toFixed(3),
    note ??
      `${(SCIPY_SQRTM_SECONDS / seconds).toFixed(2)}x vs scipy's 7.4 s${
        dim === 2048 ? "" : " (a D=2048 figure)"
      }`,
  ]);

console.log(
  `Frechet distance benchmark, D = ${dim}; wasm kernels: ${wasmLinalg() ? "yes" : "NO (TS fallback)"}`,
);
console.log(
  `load average at start: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")} (other jobs add noise)`,
);
const [inputs, genSeconds] = time(() => ({
  mu1: randomMean(dim, 1),
  sigma1: rotatedCovariance(powerLaw(dim, 10, 1.1), 12, 11),
  mu2: randomMean(dim, 2),
  sigma2: rotatedCovariance(powerLaw(dim, 9, 1.0), 12, 22),
  sigma2Singular: rotatedCovariance(powerLaw(dim, 9, 1.0, dim >> 1), 12, 33),
}));
console.log(`built inputs in ${genSeconds.toFixed(1)} s`);

const [ref, prepSeconds] = time(() => prepareReference(inputs.mu1, inputs.sigma1));
row("prepareReference (pivoted Cholesky, once per reference)", prepSeconds, `rank ${ref.rank}, one-off`);

// The first call also compiles the kernels; time a second call as the steady state.
const [fidFirst, firstSeconds] = time(() => frechetDistanceFromFactor(ref, inputs.mu2, inputs.sigma2));
row("frechetDistanceFromFactor, first call (wasm)", firstSeconds);
const [fid, fastSeconds] = time(() => frechetDistanceFromFactor(ref, inputs.mu2, inputs.sigma2));
row("frechetDistanceFromFactor, full-rank S2 (wasm)", fastSeconds);
const [fidSingular, singularSeconds] = time(() =>
  frechetDistanceFromFactor(ref, inputs.mu2, inputs.sigma2Singular)
);
row(`frechetDistanceFromFactor, rank-${dim >> 1} S2 (wasm)`, singularSeconds);
if (fidFirst !== fid) throw new Error("repeated fast-path calls disagree");

// Stages of the fast path, run one by one.
{
  const wasm = wasmLinalg();
  const [sp, tPerm] = time(() => permuteSymmetric(inputs.sigma2, dim, ref.perm));
  const congruence = wasm ? wasm.triangularCongruence : triangularCongruence;
  const [m, tCong] = time(() => congruence(ref.lt, ref.rank, sp, dim));
  const tri = wasm ? wasm.tridiagonalizeLower : tridiagonalizeLower;
  const [t, tTri] = time(() => tri(m, ref.rank));
  const [, tQl] = time(() => tridiagonalEigenvalues(t.diagonal, t.offDiagonal));
  const share = (x: number) => `${((100 * x) / (tPerm + tCong + tTri + tQl)).toFixed(0)}% of the stages`;
  row("  stage: gather P^T S2 P", tPerm, share(tPerm));
  row(`  stage: M = L^T S2' L (${wasm ? "wasm, blocked f64x2" : "TS"})`, tCong, share(tCong));
  row(`  stage: tridiagonalize M (${wasm ? "wasm, fused" : "TS"})`, tTri, share(tTri));
  row("  stage: QL eigenvalues of the tridiagonal", tQl, share(tQl));
}

let fidTs: number | undefined;
if (runTs) {
  const trTs = (r: ReferenceFactor, s: Float64Array) =>
    traceSqrtProduct({ n: dim, rank: r.rank, perm: r.perm, lt: r.lt }, s, "ts");
  const [trSqrt, tsSeconds] = time(() => trTs(ref, inputs.sigma2));
  let meanTerm = 0;
  let tr2 = 0;
  for (let i = 0; i < dim; i++) {
    meanTerm += (inputs.mu1[i] - inputs.mu2[i]) ** 2;
    tr2 += inputs.sigma2[i * dim + i];
  }
  fidTs = meanTerm + ref.traceSigma + tr2 - 2 * trSqrt;
  row("baseline: same algorithm, plain TypeScript", tsSeconds);
}

let python: Record<string, number> | undefined;
if (runPython) python = await scipySideBySide();

console.log("");
console.log(`| step (D = ${dim}) | seconds | note |`);
console.log("| --- | ---: | --- |");
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
if (python) {
  for (const [k, v] of Object.entries(python)) {
    if (k.endsWith("_s")) console.log(`| python: ${k.slice(0, -2)} | ${v.toFixed(3)} | same process load |`);
  }
}
console.log("");
console.log(`FID full rank ${fid}, singular S2 ${fidSingular}`);
let ok = true;
if (fidTs !== undefined) {
  const r = rel(fid, fidTs);
  console.log(`wasm vs TypeScript baseline: relative difference ${r.toExponential(2)} (must be <= 1e-9)`);
  ok &&= r <= 1e-9;
}
if (python) {
  console.log(
    `vs pytorch-fid (scipy sqrtm): full rank ${rel(fid, python.fid_sqrtm).toExponential(2)}, ` +
      `singular ${rel(fidSingular, python.fid_singular_sqrtm).toExponential(2)} relative; ` +
      `vs eigvalsh of sqrt(S1) S2 sqrt(S1): ${rel(fid, python.fid_eigh).toExponential(2)}`,
  );
}
console.log(
  `target: fast path < ${TARGET_SECONDS.toFixed(2)} s (2x faster than scipy's 7.4 s): ` +
    (fastSeconds < TARGET_SECONDS ? "MET" : "MISSED") + ` at ${fastSeconds.toFixed(2)} s`,
);
if (!ok) {
  console.error("MISMATCH between implementations");
  Deno.exit(1);
}

/** Runs pytorch-fid's formula with scipy on the same matrices; undefined when numpy/scipy are missing. */
async function scipySideBySide(): Promise<Record<string, number> | undefined> {
  const probe = await new Deno.Command("python3", { args: ["-c", "import numpy, scipy"], stderr: "null" })
    .output().catch(() => null);
  if (!probe?.success) {
    console.log("python3 with numpy + scipy not found: skipping the side-by-side scipy timing");
    return undefined;
  }
  const dir = await Deno.makeTempDir({ prefix: "fid-bench-" });
  try {
    const write = (name: string, a: Float64Array) =>
      Deno.writeFile(`${dir}/${name}`, new Uint8Array(a.buffer));
    await write("mu1", inputs.mu1);
    await write("mu2", inputs.mu2);
    await write("s1", inputs.sigma1);
    await write("s2", inputs.sigma2);
    await write("s2s", inputs.sigma2Singular);
    const script = `
import json, sys, time, warnings
import numpy as np
from scipy import linalg
warnings.filterwarnings("ignore")
d, n = sys.argv[1], int(sys.argv[2])
ld = lambda f, shape: np.fromfile(f"{d}/{f}", dtype=np.float64).reshape(shape)
mu1, mu2 = ld("mu1", (n,)), ld("mu2", (n,))
s1, s2, s2s = ld("s1", (n, n)), ld("s2", (n, n)), ld("s2s", (n, n))
def pytorch_fid(mu1, sigma1, mu2, sigma2, eps=1e-6):  # pytorch-fid calculate_frechet_distance
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
out = {}
t = time.perf_counter(); out["fid_sqrtm"] = float(pytorch_fid(mu1, s1, mu2, s2)); out["pytorch-fid sqrtm path_s"] = time.perf_counter() - t
t = time.perf_counter(); ev = np.linalg.eigvals(s1 @ s2); out["numpy eigvals(S1 S2) path_s"] = time.perf_counter() - t
t = time.perf_counter(); np.linalg.eigvalsh(s2); out["LAPACK eigvalsh alone_s"] = time.perf_counter() - t
out["fid_singular_sqrtm"] = float(pytorch_fid(mu1, s1, mu2, s2s))
w, v = np.linalg.eigh(s1); r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
diff = mu1 - mu2
out["fid_eigh"] = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(np.linalg.eigvalsh(r @ s2 @ r), 0, None)).sum())
print(json.dumps(out))
`;
    const res = await new Deno.Command("python3", {
      args: ["-c", script, dir, String(dim)],
      stderr: "inherit",
    })
      .output();
    if (!res.success) return undefined;
    return JSON.parse(new TextDecoder().decode(res.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
