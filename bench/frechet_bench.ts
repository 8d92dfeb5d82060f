/**
 * Frechet distance timing at Inception dimensions:
 *   deno run -A bench/frechet_bench.ts [--dim 2048] [--ts] [--no-python]
 *
 * Builds covariances with a decaying (power-law) spectrum like InceptionV3 pool features: diag(lambda)
 * rotated by random Householder reflectors into a dense matrix. The reference is full rank (as from
 * n > D samples); one generated set is full rank, one has rank D/2 (as from D/2 + 1 samples, n < D).
 * Times prepareReference and the cached-factor path (factor S2, the product of the factors, its singular values)
 * on OpenBLAS's LAPACK (one thread and every core) where it loads, on the WebAssembly fallback, and with --ts on
 * plain TypeScript; checks they agree to 1e-9 relative; prints the stages; and, when python3 with numpy + scipy
 * is present, runs pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm) on the same matrices in the
 * same run (nothing else depends on Python).
 */
import { frechetDistanceFromFactor, prepareReference } from "../src/stats/frechet.ts";
import { factorCovariance, factorProductTraceNorm, type FrechetLinalg } from "../src/stats/frechet_core.ts";
import { wasmLinalg } from "../src/stats/linalg_wasm.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import { seededRandom } from "../tools/arrays.ts";

function argValue(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const dim = argValue("--dim", 2048);
const runTs = Deno.args.includes("--ts");
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

const native = loadOpenBlas()?.linalg ?? null;
const cores = navigator.hardwareConcurrency;
const rows: [string, string, string][] = [];
const row = (what: string, seconds: number, note = "") => rows.push([what, seconds.toFixed(3), note]);

console.log(
  `Frechet distance benchmark, D = ${dim}; OpenBLAS LAPACK: ${native ? "yes" : "NO"}; wasm kernels: ${
    wasmLinalg() ? "yes" : "NO (TS fallback)"
  }`,
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

const paths: [string, FrechetLinalg, number][] = [];
if (native) paths.push(["LAPACK, 1 thread", { native }, 1], [`LAPACK, ${cores} threads`, { native }, cores]);
paths.push(["wasm", { backend: "wasm" }, 1]);
if (runTs) paths.push(["TypeScript", { backend: "ts" }, 1]);
const results: Record<string, { full: number; singular: number }> = {};
for (const [name, linalg, threads] of paths) {
  const run = <T>(fn: () => T) => native && linalg.native ? native.withThreads(threads, fn) : fn();
  const [ref, prepSeconds] = time(() => run(() => prepareReference(inputs.mu1, inputs.sigma1, linalg)));
  row(`${name}: prepareReference (pivoted Cholesky, once per reference)`, prepSeconds, `rank ${ref.rank}`);
  run(() => frechetDistanceFromFactor(ref, inputs.mu2, inputs.sigma2, linalg)); // warm-up: compiles kernels
  const [full, fullSeconds] = time(() =>
    run(() => frechetDistanceFromFactor(ref, inputs.mu2, inputs.sigma2, linalg))
  );
  row(`${name}: FID from the cached factor, full-rank S2`, fullSeconds, "per evaluation");
  const [singular, singularSeconds] = time(() =>
    run(() => frechetDistanceFromFactor(ref, inputs.mu2, inputs.sigma2Singular, linalg))
  );
  row(`${name}: FID from the cached factor, rank-${dim >> 1} S2`, singularSeconds, "per evaluation (n < D)");
  const [f2, tFactor] = time(() => run(() => factorCovariance(inputs.sigma2, dim, linalg)));
  const [, tProduct] = time(() =>
    run(() => factorProductTraceNorm({ n: dim, rank: ref.rank, perm: ref.perm, lt: ref.lt }, f2, linalg))
  );
  row(`  ${name} stage: factor S2`, tFactor);
  row(`  ${name} stage: product of the factors + its singular values`, tProduct);
  results[name] = { full, singular };
}

let python: Record<string, number> | undefined;
if (runPython) python = await scipySideBySide();

console.log("");
console.log(`| step (D = ${dim}) | seconds | note |`);
console.log("| --- | ---: | --- |");
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
if (python) {
  for (const [k, v] of Object.entries(python)) {
    if (k.endsWith("_s")) console.log(`| python: ${k.slice(0, -2)} | ${v.toFixed(3)} | same run |`);
  }
}
console.log("");
const [first, ...others] = Object.entries(results);
console.log(`FID (${first[0]}): full rank ${first[1].full}, singular S2 ${first[1].singular}`);
let ok = true;
for (const [name, r] of others) {
  const d = Math.max(rel(r.full, first[1].full), rel(r.singular, first[1].singular));
  console.log(`${name} vs ${first[0]}: relative difference ${d.toExponential(2)} (must be <= 1e-9)`);
  ok &&= d <= 1e-9;
}
if (python) {
  console.log(
    `vs pytorch-fid (scipy sqrtm): full rank ${rel(first[1].full, python.fid_sqrtm).toExponential(2)}, ` +
      `singular ${rel(first[1].singular, python.fid_singular_sqrtm).toExponential(2)} relative`,
  );
  const fastest = rows.filter(([w]) => w.includes("full-rank S2")).map(([, s]) => Number(s));
  const sqrtm = python["pytorch-fid sqrtm path_s"];
  console.log(
    `per-evaluation FID vs scipy's sqrtm path: ${(Math.min(...fastest) / sqrtm).toFixed(2)}x its time`,
  );
}
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
out["fid_singular_sqrtm"] = float(pytorch_fid(mu1, s1, mu2, s2s))
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
