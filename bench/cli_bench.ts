/**
 * Whole commands against their numpy/scipy yardsticks, alternated in one run at D = 2048:
 *
 *   deno run -A bench/cli_bench.ts [--rows 2000] [--stats-rows 4096] [--repeat 3]
 *
 * - `deno task cli kid a.npy b.npy` (default 100 subsets of 1,000) vs bench/kid_baseline.py, torch-fidelity's
 *   KID in float32 numpy, on the same two n x 2048 feature files;
 * - `deno task cli fid a.npz b.npz` (two pytorch-fid stats files, full rank) vs bench/fid_baseline.py,
 *   pytorch-fid's calculate_frechet_distance, whose scipy sqrtm step is timed on its own.
 * Each pair runs A, B, A, B, ...; medians are reported with the values each side printed. Without python3 +
 * numpy + scipy only the commands run.
 */
import { parseArgs } from "node:util";
import { batchMoments, momentsCovariance, momentsMean } from "../src/stats/moments.ts";
import { encodeNpy } from "../src/tensors/npy.ts";
import { encodeNpz } from "../src/tensors/npz.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import { seededRandom } from "../tools/arrays.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "2000" },
    "stats-rows": { type: "string", default: "4096" },
    repeat: { type: "string", default: "3" },
  },
});
const D = 2048, N = Number(args.rows), S = Number(args["stats-rows"]), REPEAT = Number(args.repeat);
const root = new URL("../", import.meta.url).pathname;

/** n x D float32 non-negative features with correlated, decaying scales (seeded). */
function features(n: number, seed: number, shift: number): Float32Array {
  const r = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const common = normal();
    for (let j = 0; j < D; j++) {
      out[i * D + j] = Math.max(
        0,
        0.3 + shift + (0.2 * common * ((j % 7) - 3) / 3 + normal()) * 0.3 * (j + 1) ** -0.4,
      );
    }
  }
  return out;
}

async function timed(cmd: string[]): Promise<{ seconds: number; json: Record<string, number> }> {
  const t = performance.now();
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), cwd: root, stderr: "piped" }).output();
  const seconds = (performance.now() - t) / 1000;
  if (!out.success) throw new Error(`${cmd.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return { seconds, json: JSON.parse(lines[lines.length - 1]) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = await Deno.makeTempDir({ prefix: "fidstream-cli-bench-" });
try {
  const blas = loadOpenBlas();
  const write = (name: string, data: Float32Array, n: number) =>
    Deno.writeFile(`${dir}/${name}`, encodeNpy({ dtype: "float32", shape: [n, D], data }));
  await write("a.npy", features(N, 1, 0.003), N);
  await write("b.npy", features(N, 2, 0), N);
  for (const [name, seed, shift] of [["a.npz", 3, 0.003], ["b.npz", 4, 0]] as const) {
    const m = batchMoments(features(S, seed, shift), S, D, blas?.packedComoment ?? "auto");
    const sigma = momentsCovariance(m);
    await Deno.writeFile(
      `${dir}/${name}`,
      encodeNpz({
        mu: { dtype: "float64", shape: [D], data: momentsMean(m) },
        sigma: { dtype: "float64", shape: [D, D], data: sigma },
      }),
    );
  }
  const python = (await new Deno.Command("python3", { args: ["-c", "import numpy, scipy"], stderr: "null" })
    .output().catch(() => null))?.success ?? false;
  console.log(
    `cli commands vs numpy/scipy, D = ${D}, ${N} rows per feature file, stats from ${S} rows; OpenBLAS: ${
      blas ? blas.core : "NO"
    }; load average ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")} (other jobs add noise)`,
  );
  const deno = [Deno.execPath(), "run", "-A", "cli/main.ts"];
  const pairs = [
    {
      what: "kid (100 subsets of 1000)",
      a: [...deno, "kid", `${dir}/a.npy`, `${dir}/b.npy`],
      b: ["python3", "bench/kid_baseline.py", `${dir}/a.npy`, `${dir}/b.npy`],
      value: (j: Record<string, number>) => j.kid_mean,
    },
    {
      what: "fid (two stats .npz)",
      a: [...deno, "fid", `${dir}/a.npz`, `${dir}/b.npz`],
      b: ["python3", "bench/fid_baseline.py", `${dir}/a.npz`, `${dir}/b.npz`],
      value: (j: Record<string, number>) => j.fid,
    },
  ];
  for (const p of pairs) {
    const a: number[] = [], b: number[] = [], sqrtm: number[] = [];
    let va = NaN, vb = NaN;
    for (let i = 0; i < REPEAT; i++) {
      const ra = await timed(p.a);
      a.push(ra.seconds);
      va = p.value(ra.json);
      if (!python) continue;
      const rb = await timed(p.b);
      b.push(rb.seconds);
      vb = p.value(rb.json);
      if (rb.json.sqrtm_s !== undefined) sqrtm.push(rb.json.sqrtm_s);
    }
    let line = `${p.what}: command median ${median(a).toFixed(2)} s (${
      a.map((s) => s.toFixed(2)).join(", ")
    })`;
    if (python) {
      line += `; numpy/scipy ${median(b).toFixed(2)} s (${b.map((s) => s.toFixed(2)).join(", ")})`;
      if (sqrtm.length) line += `, its sqrtm step ${median(sqrtm).toFixed(2)} s`;
      line += `; ratio ${(median(a) / median(sqrtm.length ? sqrtm : b)).toFixed(2)}x ${
        sqrtm.length ? "the sqrtm step" : "the script"
      }; values ${va} vs ${vb} (${(Math.abs(va - vb) / Math.abs(vb)).toExponential(1)})`;
    }
    console.log(line);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
