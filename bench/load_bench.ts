/**
 * Sustained upload load against real server processes, loopback only, bounded in time.
 *
 *   deno run -A bench/load_bench.ts [--seconds 60] [--uploaders 16] [--dim 64] [--rows 100]
 *     [--setups pglite,postgres,postgres-x3] [--requests-per-minute 0] [--ref-rows N]
 *
 * Setups: one server on embedded PGlite, one server on PostgreSQL, three servers on one PostgreSQL (uploaders
 * spread over them). PostgreSQL is a throwaway server (tools/postgres_server.ts). For --seconds, N
 * uploaders send batches of --rows rows with fresh idempotency keys, retrying 5xx/429/network errors. Reported:
 * accepted samples/s, p50/p99 latency of accepted requests, every non-200 answer (429s only with a rate limit
 * set), each server's RSS (VmRSS sampled every second: first, max, last, and the slope over the second half
 * as a growth check), the finalize time and the largest RSS during it, and exactness: finalize n vs the rows
 * acknowledged, and its FID vs an offline Frechet distance of the reference and every acknowledged row.
 */
import { parseArgs } from "node:util";
import { frechetDistance } from "../src/stats/frechet.ts";
import { npyOf, randomFeatures } from "../tools/arrays.ts";
import { startPostgres } from "../tools/postgres_server.ts";
import { postUntilAccepted, StatusLog } from "../tools/retrying_uploader.ts";
import { type ServerProcess, startServerProcess } from "../tools/server_process.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    uploaders: { type: "string", default: "16" },
    dim: { type: "string", default: "64" },
    rows: { type: "string", default: "100" },
    setups: { type: "string", default: "pglite,postgres,postgres-x3" },
    "requests-per-minute": { type: "string", default: "0" },
    "ref-rows": { type: "string" },
  },
});
const SECONDS = Number(args.seconds), UPLOADERS = Number(args.uploaders), D = Number(args.dim);
const ROWS = Number(args.rows), RPM = args["requests-per-minute"]!;
const REF_ROWS = Number(args["ref-rows"] ?? Math.max(2 * D, D + 512));
// Distinct batch bodies, reused under fresh keys: enough distinct rows for a full-rank covariance, and the
// offline statistics need each body's sums only once.
const POOL = Math.max(8, Math.ceil((D + 256) / ROWS));

/** Sum and upper-triangle cross products of rows (float64), the offline side of the exactness check. */
class Sums {
  n = 0;
  sum = new Float64Array(D);
  cross = new Float64Array(D * D);
  addRows(data: Float32Array, rows: number, times = 1) {
    const x = new Float64Array(D);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < D; j++) x[j] = data[r * D + j];
      for (let a = 0; a < D; a++) {
        const xa = x[a] * times, base = a * D;
        this.sum[a] += xa;
        for (let b = a; b < D; b++) this.cross[base + b] += xa * x[b];
      }
    }
    this.n += rows * times;
  }
  add(o: Sums, times: number) {
    for (let j = 0; j < D; j++) this.sum[j] += o.sum[j] * times;
    for (let j = 0; j < D * D; j++) this.cross[j] += o.cross[j] * times;
    this.n += o.n * times;
  }
  meanCov() {
    const mu = this.sum.map((s) => s / this.n), cov = new Float64Array(D * D);
    for (let a = 0; a < D; a++) {
      for (let b = a; b < D; b++) {
        cov[a * D + b] = cov[b * D + a] = (this.cross[a * D + b] - this.n * mu[a] * mu[b]) / (this.n - 1);
      }
    }
    return { mu, cov };
  }
}

function rssMb(pid: number): number {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Least-squares slope of ys over xs. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length, mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) (num += (xs[i] - mx) * (ys[i] - my), den += (xs[i] - mx) ** 2);
  return den > 0 ? num / den : 0;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

async function postOk(url: string, body: BodyInit, type: string) {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": type } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const refData = randomFeatures(REF_ROWS, D, 1);
const pool = Array.from({ length: POOL }, (_, i) => {
  const data = randomFeatures(ROWS, D, 1000 + i, 0.05);
  return { data, body: npyOf(data, ROWS, D) };
});
console.error(`offline sums of the reference and ${POOL} batch bodies at D=${D} ...`);
const refSums = new Sums();
refSums.addRows(refData, REF_ROWS);
const poolSums = pool.map((p) => {
  const s = new Sums();
  s.addRows(p.data, ROWS);
  return s;
});
const refStats = refSums.meanCov();

async function runSetup(setup: string): Promise<string[]> {
  const count = setup.endsWith("-x3") ? 3 : 1;
  const pg = setup.startsWith("postgres") ? await startPostgres() : null;
  if (setup.startsWith("postgres") && !pg) return [setup, "skipped: no PostgreSQL server binaries"];
  const dataDir = setup === "pglite" ? await Deno.makeTempDir({ prefix: "fidstream-load-" }) : undefined;
  const env: Record<string, string> = { FIDSTREAM_REQUESTS_PER_MINUTE: RPM };
  if (pg) env.DATABASE_URL = pg.url;
  if (dataDir) env.FIDSTREAM_DATA_DIR = dataDir;
  const servers: ServerProcess[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await startServerProcess(env));
    const urls = servers.map((s) => s.url);
    const ref = await postOk(
      `${urls[0]}/v1/references?name=load`,
      npyOf(refData, REF_ROWS, D) as BodyInit,
      "application/x-npy",
    );
    const run = await postOk(
      `${urls[0]}/v1/runs`,
      JSON.stringify({ name: `load ${setup}`, reference: ref.id, config: { kid: false } }),
      "application/json",
    );

    const rss: { t: number; mb: number[] }[] = [];
    const t0 = performance.now();
    const sampler = setInterval(() => {
      rss.push({ t: (performance.now() - t0) / 1000, mb: servers.map((s) => rssMb(s.child.pid)) });
    }, 1000);
    const log = new StatusLog();
    const latencies: number[] = [];
    const uses = new Array(POOL).fill(0);
    const stopAt = t0 + SECONDS * 1000;
    await Promise.all(Array.from({ length: UPLOADERS }, async (_, c) => {
      for (let i = 0; performance.now() < stopAt; i++) {
        const p = (c * 7 + i) % POOL;
        const ack = await postUntilAccepted(run.id, {
          key: `u${c}-${i}`,
          n: ROWS,
          dim: D,
          data: pool[p].data,
          body: pool[p].body,
        }, {
          servers: () => urls,
          start: c + i,
          deadline: stopAt + 120_000,
          log,
        });
        latencies.push(ack.ms);
        uses[p]++;
      }
    }));
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(sampler);

    // Finalize folds everything and computes the exact FID: its memory peak is sampled separately.
    let finalizePeak = 0;
    const finalizeSampler = setInterval(() => {
      for (const s of servers) finalizePeak = Math.max(finalizePeak, rssMb(s.child.pid));
    }, 250);
    const tf = performance.now();
    const final = await postOk(`${urls[0]}/v1/runs/${run.id}/finalize`, "", "application/json");
    const finalizeS = (performance.now() - tf) / 1000;
    clearInterval(finalizeSampler);
    const gen = new Sums();
    uses.forEach((u, i) => gen.add(poolSums[i], u));
    const g = gen.meanCov();
    const offline = frechetDistance(refStats.mu, refStats.cov, g.mu, g.cov);
    const rel = Math.abs(final.fid - offline) / Math.abs(offline);

    latencies.sort((a, b) => a - b);
    const accepted = uses.reduce((a, b) => a + b, 0);
    const errors = [...log.counts].filter(([s]) => s !== "200" && s !== "429").map(([s, n]) => `${s}:${n}`);
    const half = rss.filter((r) => r.t >= SECONDS / 2);
    const rssCol = servers.map((_, k) => {
      const ys = rss.map((r) => r.mb[k]).filter(Number.isFinite);
      return `${ys[0]?.toFixed(0)}/${Math.max(...ys).toFixed(0)}/${ys.at(-1)?.toFixed(0)}`;
    }).join(" ");
    const slopes = servers.map((_, k) =>
      (slope(half.map((r) => r.t), half.map((r) => r.mb[k])) * 60).toFixed(1)
    ).join(" ");
    return [
      setup,
      String(count),
      String(UPLOADERS),
      String(D),
      String(ROWS),
      elapsed.toFixed(0),
      String(accepted),
      ((accepted * ROWS) / elapsed).toFixed(0),
      quantile(latencies, 0.5).toFixed(1),
      quantile(latencies, 0.99).toFixed(1),
      errors.join(" ") || "0",
      String(log.count("429")),
      rssCol,
      slopes,
      finalizeS.toFixed(2),
      finalizePeak.toFixed(0),
      final.n === accepted * ROWS ? `${final.n} ok` : `${final.n} != ${accepted * ROWS}`,
      rel.toExponential(1),
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await pg?.stop();
    if (dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

const header = [
  "setup",
  "servers",
  "uploaders",
  "D",
  "rows/batch",
  "s",
  "batches",
  "samples/s",
  "p50 ms",
  "p99 ms",
  "errors",
  "429s",
  "RSS MB first/max/last",
  "RSS MB/min (2nd half)",
  "finalize s",
  "finalize RSS max MB",
  "final n",
  "FID rel. diff",
];
const rows: string[][] = [];
for (const setup of args.setups!.split(",")) {
  console.error(
    `${setup}: ${SECONDS} s of uploads by ${UPLOADERS} uploaders, D=${D}, ${ROWS} rows per batch ...`,
  );
  rows.push(await runSetup(setup));
  console.error(rows.at(-1)!.join(" | "));
}
console.log(`| ${header.join(" | ")} |`);
console.log(`|${header.map(() => " --- ").join("|")}|`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
