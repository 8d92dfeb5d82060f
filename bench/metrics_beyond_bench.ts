/**
 * What the metrics beyond FID cost, beside numpy computing them as their reference code does, in the same run:
 *
 *   deno run -A bench/metrics_beyond_bench.ts [--fid-infinity-n 10000] [--cmmd-n 10000] [--vendi-n 2000,5000]
 *                                             [--db pglite] [--only vendi,cmmd,fid-infinity] [--no-python]
 *
 * 1. Vendi's accumulator per ingested batch at D = 2048: the compute worker's per-batch statistics (moments of the
 *    rows and of the unit rows) against the moments alone, 100 and 1,000 rows, on OpenBLAS and WebAssembly;
 *    the D x D eigenvalues (LAPACK dsyevd; the SVD fallback); and the Vendi score of n rows streamed in batches
 *    of 100 against dgm-eval's n x n recipe in numpy (bench/metrics_beyond_baseline.py vendi).
 * 2. CMMD at D = 768 with 10,000 rows a side (the estimator's default): the service's Gram engine (OpenBLAS on
 *    every core, as the compute worker runs it) against the published formula in float64 numpy.
 * 3. FID-infinity at D = 2048 through the real service (HTTP, the chosen database): finalize's answer, then the
 *    time until the second `final` carries FID-infinity, with the job's phases; against the recipe in numpy
 *    (15 prefix covariances from scratch, FIDs by eigvalsh, and scipy's sqrtm per point as the reference code).
 * Other jobs may share the machine: compare within a run, not across runs.
 */
import { parseArgs } from "node:util";
import { sseEvents } from "../cli/sse_events.ts";
import { createApp } from "../functions/app.ts";
import { createDeps, disposeDeps } from "../functions/deps.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import { cmmd } from "../src/stats/cmmd.ts";
import { batchStatistics, emptyStatistics, mergeStatisticsInto } from "../src/stats/feature_statistics.ts";
import { batchMoments } from "../src/stats/moments.ts";
import { psdEigenvalues } from "../src/stats/symmetric_eigen.ts";
import { unitSecondMoment, vendiScore } from "../src/stats/vendi.ts";
import { npy, poolLike, post, pythonBaseline, upload, withDatabase } from "./service_helpers.ts";

const { values: args } = parseArgs({
  options: {
    "fid-infinity-n": { type: "string", default: "10000" },
    "cmmd-n": { type: "string", default: "10000" },
    "vendi-n": { type: "string", default: "2000,5000" },
    db: { type: "string", default: "pglite" },
    only: { type: "string", default: "vendi,cmmd,fid-infinity" },
    "no-python": { type: "boolean", default: false },
  },
});

const blas = loadOpenBlas();
const native = blas?.linalg ?? null;
const cores = navigator.hardwareConcurrency;
const wide = <T>(fn: () => T): T => (native ? native.withThreads(cores, fn) : fn());
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = <T>(fn: () => T): [T, number] => {
  const t = performance.now();
  const v = fn();
  return [v, (performance.now() - t) / 1000];
};
const table: string[] = [];

function python(baselineArgs: string[]): Promise<Record<string, unknown> | null> {
  return args["no-python"]
    ? Promise.resolve(null)
    : pythonBaseline("metrics_beyond_baseline.py", baselineArgs);
}

console.log(
  `OpenBLAS: ${blas ? `${blas.core}, ${cores} threads for evaluations` : "NO"}; load average at start ${
    Deno.loadavg().map((v) => v.toFixed(2)).join(" ")
  }`,
);
const dir = await Deno.makeTempDir({ prefix: "fidstream-beyond-" });
try {
  const sections = new Set(args.only!.split(","));
  // 1. Vendi's accumulator per batch, the eigenvalues, and the score against dgm-eval's recipe.
  if (sections.has("vendi")) {
    const D = 2048;
    for (const rows of [100, 1000]) {
      const x = poolLike(rows, D, 3, 0);
      for (const [engine, kernel] of [["OpenBLAS", blas?.packedComoment], ["wasm", "wasm"]] as const) {
        if (!kernel) continue;
        const reps = rows === 100 ? 9 : 5;
        const alone: number[] = [], both: number[] = [];
        for (let r = 0; r < reps; r++) {
          alone.push(time(() => batchMoments(x, rows, D, kernel))[1] * 1000);
          both.push(time(() => batchStatistics(x, rows, D, kernel))[1] * 1000);
        }
        const line = `per batch ${rows} x ${D} (${engine}): moments ${median(alone).toFixed(1)} ms, ` +
          `moments + Vendi's unit moments ${median(both).toFixed(1)} ms (+${
            (median(both) - median(alone)).toFixed(1)
          } ms per batch)`;
        console.log(line);
        table.push(`| Vendi accumulator | ${line} |`);
      }
    }
    const unitOf = (x: Float32Array, n: number) => {
      const s = emptyStatistics(D);
      for (let a = 0; a < n; a += 100) {
        const b = Math.min(n, a + 100);
        mergeStatisticsInto(s, batchStatistics(x.subarray(a * D, b * D), b - a, D, blas?.packedComoment));
      }
      return s.unit!;
    };
    const vendiN = args["vendi-n"]!.split(",").map(Number);
    const x = poolLike(Math.max(...vendiN), D, 5, 0);
    const k = unitSecondMoment(unitOf(x, 1000));
    const [, eigNative] = native ? time(() => wide(() => psdEigenvalues(k, D, { native }))) : [null, NaN];
    const [, eigWasm] = time(() => psdEigenvalues(k, D, { backend: "wasm" }));
    const eigLine =
      `eigenvalues of the ${D} x ${D} second moment: LAPACK dsyevd ${eigNative.toFixed(2)} s, ` +
      `WebAssembly SVD fallback ${eigWasm.toFixed(2)} s`;
    console.log(eigLine);
    const path = `${dir}/vendi.npy`;
    await Deno.writeFile(path, npy(x, Math.max(...vendiN), D));
    const py = await python(["vendi", path, ...vendiN.map(String)]);
    const parts = [eigLine];
    for (const n of vendiN) {
      const [unit, accumulate] = time(() => unitOf(x, n));
      const [v, score] = time(() => wide(() => vendiScore(unit, { native })));
      const base = (py?.vendi as Record<string, { value: number; seconds: number }> | undefined)?.[String(n)];
      const line = `Vendi of ${n} rows: streamed in batches of 100 ${accumulate.toFixed(2)} s + score ` +
        `${score.toFixed(2)} s = ${v.toFixed(4)}` +
        (base
          ? `; dgm-eval's n x n recipe in numpy ${base.seconds.toFixed(2)} s = ${base.value.toFixed(4)} ` +
            `(rel. diff ${rel(v, base.value).toExponential(1)})`
          : "");
      console.log(line);
      parts.push(line);
    }
    table.push(`| Vendi score at D = ${D} | ${parts.join("; ")} |`);
  }

  // 2. CMMD at D = 768.
  if (sections.has("cmmd")) {
    const D = 768, n = Number(args["cmmd-n"]);
    const unitRowsOf = (x: Float32Array) => {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += x[i * D + j] ** 2;
        for (let j = 0; j < D; j++) x[i * D + j] /= Math.sqrt(s);
      }
      return x;
    };
    // CLIP embeddings are uploaded at unit length; 10 x that puts pair distances across the kernel's width.
    const x = unitRowsOf(poolLike(n, D, 7, 0.002)).map((v) => 10 * v);
    const y = unitRowsOf(poolLike(n, D, 8, 0)).map((v) => 10 * v);
    const [ours, seconds] = time(() => wide(() => cmmd(x, n, y, n, D, {}, { native })));
    const [xp, yp] = [`${dir}/cmmd_x.npy`, `${dir}/cmmd_y.npy`];
    await Deno.writeFile(xp, npy(x, n, D));
    await Deno.writeFile(yp, npy(y, n, D));
    const py = await python(["cmmd", xp, yp]);
    const line =
      `${n} x ${n} at D = ${D}: ${native ? "OpenBLAS" : "WebAssembly"} ${seconds.toFixed(2)} s = ` +
      `${ours.value.toPrecision(6)}` +
      (py
        ? `; numpy float64 ${(py.cmmd_s as number).toFixed(2)} s = ${(py.cmmd as number).toPrecision(6)} ` +
          `(rel. diff ${rel(ours.value, py.cmmd as number).toExponential(1)}, ${
            (seconds / (py.cmmd_s as number)).toFixed(2)
          }x numpy's time)`
        : "");
    console.log(`CMMD ${line}`);
    table.push(`| CMMD | ${line} |`);
  }

  // 3. FID-infinity at D = 2048 through the service.
  if (sections.has("fid-infinity")) {
    const D = 2048, n = Number(args["fid-infinity-n"]);
    const x = poolLike(n, D, 11, 0.003), y = poolLike(n, D, 12, 0);
    for (const kind of args.db!.split(",")) {
      await withDatabase(kind, async (database) => {
        const deps = await createDeps(database, {}, { log: (m) => console.error(m) });
        const server = Deno.serve(
          { port: 0, hostname: "127.0.0.1", onListen: () => {} },
          createApp(deps).fetch,
        );
        const base = `http://127.0.0.1:${server.addr.port}`;
        try {
          const ref = await upload(
            y,
            n,
            D,
            2000,
            `${base}/v1/references?name=r`,
            (r) => `${base}/v1/references/${r.id}/batches`,
          );
          const run = await post(
            `${base}/v1/runs`,
            JSON.stringify({ name: "fid-infinity", reference: ref.id }),
            "application/json",
          );
          await upload(
            x,
            n,
            D,
            2000,
            `${base}/v1/runs/${run.id}/batches`,
            () => `${base}/v1/runs/${run.id}/batches`,
          );
          for (;;) {
            if ((await (await fetch(`${base}/v1/runs/${run.id}`)).json()).latest?.n === n) break;
            await new Promise((r) => setTimeout(r, 50));
          }
          const events = await fetch(`${base}/v1/runs/${run.id}/events`);
          const phases: Record<string, number> = {};
          let completed = 0;
          const watching = (async () => {
            for await (const e of sseEvents(events.body!)) {
              const data = JSON.parse(e.data);
              if (e.event === "progress") { for (const d of data.done) phases[d.phase] = d.seconds; }
              if (e.event === "final" && !data.pending) return (completed = performance.now(), data);
            }
          })();
          const t0 = performance.now();
          const answer = await post(`${base}/v1/runs/${run.id}/finalize`, "", "application/json");
          const answered = performance.now();
          const final = await watching;
          const job = (completed - answered) / 1000;
          const [runPath, refPath] = [`${dir}/run.npy`, `${dir}/ref.npy`];
          await Deno.writeFile(runPath, npy(x, n, D));
          await Deno.writeFile(refPath, npy(y, n, D));
          const py = await python(["fid_infinity", runPath, refPath, "--sqrtm-points", "1"]);
          const fi = final.fid_infinity as { value: number; slope: number; points: [number, number][] };
          const pf = py?.fid_infinity as typeof fi | undefined;
          const worst = pf ? Math.max(...fi.points.map((p, i) => rel(p[1], pf.points[i][1]))) : NaN;
          const line =
            `${kind}, N = ${n}, D = ${D}: finalize answered in ${((answered - t0) / 1000).toFixed(2)} s ` +
            `(pending ${JSON.stringify(answer.pending)}), FID-infinity ${job.toFixed(2)} s later (` +
            `from storing the answer to the job's start ${phases.storing?.toFixed(2) ?? "?"} s, the ` +
            `fid_infinity phase ${
              phases.fid_infinity?.toFixed(2) ?? "?"
            } s: reading + 15 prefixes + 15 FIDs) = ` +
            `${fi.value.toPrecision(6)} (slope ${fi.slope.toPrecision(4)})` +
            (py && pf
              ? `; numpy ${(py.fid_infinity_s as number).toFixed(2)} s (covariances ${
                (py.covariances_s as number).toFixed(2)
              }, FIDs by eigvalsh ${(py.fids_s as number).toFixed(2)}) = ${pf.value.toPrecision(6)}, ` +
                `FID_k within ${worst.toExponential(1)}; scipy sqrtm per point ${
                  (py.sqrtm_per_point_s as number[]).map((s) => s.toFixed(1)).join(", ")
                } s (x 15 on the reference code's route); the first point, N = ${fi.points[0][0]}: ours ${
                  fi.points[0][1].toPrecision(8)
                }, numpy eigvalsh ${pf.points[0][1].toPrecision(8)}, scipy sqrtm ${
                  (py.sqrtm_fids as number[])[0].toPrecision(8)
                }` + (typeof py.exact_first === "number"
                  ? `, exact from the data ${py.exact_first.toPrecision(8)} (ours within ${
                    rel(fi.points[0][1], py.exact_first).toExponential(1)
                  })`
                  : "")
              : "");
          console.log(`FID-infinity ${line}`);
          table.push(`| FID-infinity | ${line} |`);
        } finally {
          await server.shutdown();
          await disposeDeps(deps);
        }
      });
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
console.log("\n| metric | measured (same run) |\n| --- | --- |");
for (const l of table) console.log(l);
