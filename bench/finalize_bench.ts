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
import { openPglite } from "../db/pglite/open.ts";
import { openPostgres } from "../db/postgres/open.ts";
import { createApp } from "../functions/app.ts";
import { createDeps, disposeDeps } from "../functions/deps.ts";
import { loadOpenBlas } from "../src/native/openblas.ts";
import { encodeNpy } from "../src/tensors/npy.ts";
import { seededRandom } from "../tools/arrays.ts";
import { startPostgres } from "../tools/postgres_server.ts";

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

/**
 * n x D float32 pool-like features: relu(0.3 + shift + z W + noise) with 16 shared factors W and decaying
 * noise scales, the same W for every call (one distribution, shifted), z and noise seeded per call.
 */
function poolLike(n: number, seed: number, shift: number): Float32Array {
  const K = 16;
  const normalFrom = (r: () => number) => () =>
    Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const g = normalFrom(seededRandom(1));
  const w = Float64Array.from({ length: K * D }, (_, i) => 0.25 * g() * ((i % D) + 1) ** -0.3);
  const scale = Float64Array.from({ length: D }, (_, j) => 0.1 * (j + 1) ** -0.4);
  const normal = normalFrom(seededRandom(seed));
  const out = new Float32Array(n * D);
  const z = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) z[k] = normal();
    for (let j = 0; j < D; j++) {
      let v = 0.3 + shift + scale[j] * normal();
      for (let k = 0; k < K; k++) v += z[k] * w[k * D + j];
      out[i * D + j] = v > 0 ? v : 0;
    }
  }
  return out;
}

function npy(data: Float32Array, rows: number): Uint8Array {
  return encodeNpy({ dtype: "float32", shape: [rows, D], data });
}

async function post(url: string, body: BodyInit, type = "application/x-npy", key?: string) {
  const headers: Record<string, string> = { "content-type": type };
  if (key) headers["idempotency-key"] = key;
  const res = await fetch(url, { method: "POST", body, headers });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return await res.json();
}

/** Uploads the rows in batches: the first creates the reference (or goes to `batchUrl`), the rest follow. */
async function upload(
  data: Float32Array,
  n: number,
  firstUrl: string,
  batchUrl: (first: { id: string }) => string,
) {
  let first: { id: string } | null = null;
  for (let start = 0; start < n; start += BATCH) {
    const rows = Math.min(BATCH, n - start);
    const body = npy(data.subarray(start * D, (start + rows) * D), rows) as BodyInit;
    if (!first) first = await post(firstUrl, body, "application/x-npy", `b${start}`);
    else await post(batchUrl(first), body, "application/x-npy", `b${start}`);
  }
  return first!;
}

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

async function python(runPath: string, refPath: string): Promise<Record<string, unknown> | null> {
  if (args["no-python"]) return null;
  const out = await new Deno.Command("python3", {
    args: [new URL("./finalize_baseline.py", import.meta.url).pathname, runPath, refPath],
    stderr: "inherit",
  }).output().catch(() => null);
  if (!out?.success) {
    console.error("python3 with numpy + scipy not available: no baseline");
    return null;
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function withDatabase<T>(kind: string, fn: (db: Database) => Promise<T>): Promise<T | null> {
  if (kind === "pglite") {
    const dir = await Deno.makeTempDir({ prefix: "fidstream-bench-" });
    const database = await openPglite(dir);
    try {
      return await fn(database);
    } finally {
      await database.close();
      await Deno.remove(dir, { recursive: true });
    }
  }
  const pg = Deno.env.get("DATABASE_URL") ? null : await startPostgres();
  const url = Deno.env.get("DATABASE_URL") ?? pg?.url;
  if (!url) {
    console.error("no PostgreSQL: set DATABASE_URL or install the server binaries; skipping");
    return null;
  }
  const database = await openPostgres(url, { maxConnections: 20 });
  try {
    return await fn(database);
  } finally {
    await database.close();
    await pg?.stop();
  }
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
