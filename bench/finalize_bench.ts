/**
 * Finalize at D = 2048 through the real HTTP service, phase by phase, beside numpy/scipy computing the same
 * metrics on the same features in the same run.
 *
 *   deno run -A bench/finalize_bench.ts [--sizes 2000,10000,50000] [--db pglite,postgres] [--dim 2048] [--no-python]
 *
 * For each size n: n reference rows and n run rows of pool-like features (non-negative, correlated, decaying
 * scales; seeded), uploaded in batches of 2,000 rows. With default settings (FID, KID 100 x 1000, PRDC and the
 * pairwise mean on 2,000 rows a side) the bench opens the run's event stream, POSTs finalize, and reports the
 * whole request and each phase as the service announced it (SSE `progress`). Then bench/finalize_baseline.py
 * (when python3 with numpy and scipy is present) computes FID with scipy's sqrtm, KID in float32 numpy, PRDC and
 * the pairwise mean in numpy, on the same .npy files; the values are compared. The service runs in this
 * process with its compute worker (OpenBLAS on every core where it loads). Other jobs may share the machine.
 */
import { parseArgs } from "node:util";
import { sseEvents } from "../cli/sse_events.ts";
import type { Database } from "../db/database.ts";
import { createApp } from "../functions/app.ts";
import { createDeps, disposeDeps } from "../functions/deps.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import {
  npy as npyOf,
  poolLike as poolLikeOf,
  post,
  pythonBaseline,
  upload as uploadOf,
  withDatabase,
} from "./service_helpers.ts";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "2000,10000,50000" },
    db: { type: "string", default: "pglite,postgres" },
    dim: { type: "string", default: "2048" },
    "no-python": { type: "boolean", default: false },
  },
});
const D = Number(args.dim);
const BATCH = 2000;
const poolLike = (n: number, seed: number, shift: number) => poolLikeOf(n, D, seed, shift);
const npy = (data: Float32Array, rows: number) => npyOf(data, rows, D);
const upload = (
  data: Float32Array,
  n: number,
  firstUrl: string,
  batchUrl: (first: { id: string }) => string,
) => uploadOf(data, n, D, BATCH, firstUrl, batchUrl);

interface Progress {
  phase: string;
  elapsed_s: number;
  done: { phase: string; seconds: number }[];
}

async function benchService(kind: string, database: Database, n: number, x: Float32Array, y: Float32Array) {
  const deps = await createDeps(database, {}, { log: (m) => console.error(m) });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, createApp(deps).fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    let t = performance.now();
    const ref = await upload(
      y,
      n,
      `${base}/v1/references?name=bench-${n}`,
      (r) => `${base}/v1/references/${r.id}/batches`,
    );
    const run = await post(
      `${base}/v1/runs`,
      JSON.stringify({ name: `finalize ${n}`, reference: ref.id }),
      "application/json",
    );
    await upload(x, n, `${base}/v1/runs/${run.id}/batches`, () => `${base}/v1/runs/${run.id}/batches`);
    // Let the partial metrics catch up, so finalize starts from a settled run as a user's would.
    for (;;) {
      const r = await (await fetch(`${base}/v1/runs/${run.id}`)).json();
      if (r.latest?.n === n) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    console.error(`[${kind} ${n}] uploaded and settled in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const stop = new AbortController();
    const events = await fetch(`${base}/v1/runs/${run.id}/events`, { signal: stop.signal });
    let last: Progress | null = null;
    const watching = (async () => {
      for await (const e of sseEvents(events.body!)) {
        if (e.event === "final") return;
        if (e.event === "progress") last = JSON.parse(e.data);
      }
    })().catch(() => {});
    t = performance.now();
    const final = await post(`${base}/v1/runs/${run.id}/finalize`, "", "application/json");
    const seconds = (performance.now() - t) / 1000;
    await Promise.race([watching, new Promise((r) => setTimeout(r, 2000))]);
    stop.abort();
    const p = last as Progress | null;
    const phases = p ? [...p.done, { phase: p.phase, seconds: seconds - p.elapsed_s }] : [];
    return { seconds, phases, final };
  } finally {
    await server.shutdown();
    await disposeDeps(deps);
  }
}

function python(runPath: string, refPath: string): Promise<Record<string, unknown> | null> {
  return args["no-python"]
    ? Promise.resolve(null)
    : pythonBaseline("finalize_baseline.py", [runPath, refPath]);
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const blas = loadOpenBlas();
console.log(
  `finalize at D = ${D}; OpenBLAS: ${
    blas ? `${blas.core}, ${navigator.hardwareConcurrency} threads` : "NO"
  }; ` +
    `load average at start ${Deno.loadavg().map((v) => v.toFixed(2)).join(" ")}`,
);
const lines: string[] = [];
for (const n of args.sizes!.split(",").map(Number)) {
  const x = poolLike(n, 11 + n, 0.003), y = poolLike(n, 12 + n, 0);
  const dir = await Deno.makeTempDir({ prefix: "fidstream-finalize-" });
  try {
    const runPath = `${dir}/run.npy`, refPath = `${dir}/ref.npy`;
    await Deno.writeFile(runPath, npy(x, n));
    await Deno.writeFile(refPath, npy(y, n));
    for (const kind of args.db!.split(",")) {
      const r = await withDatabase(kind, (db) => benchService(kind, db, n, x, y));
      if (!r) continue;
      const py = await python(runPath, refPath);
      const phases = r.phases.map((p) => `${p.phase} ${p.seconds.toFixed(2)}`).join(", ");
      lines.push(
        `| ${kind} | ${n} | ${r.seconds.toFixed(2)} | ${phases} |` +
          (py
            ? ` ${
              ["reading", "reading_ref", "fid", "kid", "prdc", "pairwise"].map((k) =>
                `${k.replace("_ref", " ref")} ${(py[`${k}_s`] as number).toFixed(2)}`
              ).join(", ")
            } (sqrtm ${(py.sqrtm_s as number).toFixed(2)}) |`
            : " - |"),
      );
      const f = r.final as
        & Record<
          string,
          { mean: number; precision: number; recall: number; density: number; coverage: number }
        >
        & {
          fid: number;
          mean_pairwise_distance: number;
        };
      console.log(`[${kind} ${n}] finalize ${r.seconds.toFixed(2)} s: ${phases}`);
      if (py) {
        const pk = py.kid as { mean: number; std: number }, pp = py.prdc as Record<string, number>;
        console.log(
          `[${kind} ${n}] vs numpy/scipy: FID ${rel(f.fid, py.fid as number).toExponential(1)}, ` +
            `KID mean ${rel(f.kid.mean, pk.mean).toExponential(1)} (numpy float32), ` +
            `PRDC ${
              ["precision", "recall", "density", "coverage"].map((k) =>
                `${k} ${(f.prdc as unknown as Record<string, number>)[k]}/${pp[k]}`
              ).join(" ")
            }, ` +
            `pairwise ${rel(f.mean_pairwise_distance, py.mean_pairwise_distance as number).toExponential(1)}`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
console.log("\n| db | samples a side | finalize s (whole POST) | service phases, s | numpy/scipy steps, s |");
console.log("| --- | ---: | ---: | --- | --- |");
for (const l of lines) console.log(l);
