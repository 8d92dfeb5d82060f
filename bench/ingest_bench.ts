/**
 * Ingestion and partial-FID latency through the real HTTP service, on PGlite and on PostgreSQL.
 *
 *   deno run -A bench/ingest_bench.ts [--batches 100] [--rows 100] [--dim 2048] [--clients 1,8] [--db pglite,postgres]
 *     [--latency 5]
 *
 * For each database: a baseline (the same batch rows inserted straight through Drizzle, no HTTP, no parsing, in
 * this process) and the service with 1 and with 8 concurrent clients. Reports batches/s, samples/s, the ratio
 * to the baseline, the partial FID latency after one more batch (median and range of --latency tries), and the
 * finalize time (FID only: KID and PRDC are off, their cost is separate and configurable). Loopback only.
 */
import { parseArgs } from "node:util";
import type { Database } from "../db/database.ts";
import { openPglite } from "../db/pglite/open.ts";
import { openPostgres } from "../db/postgres/open.ts";
import { batches } from "../db/schema.ts";
import { sseEvents } from "../cli/sse_events.ts";
import { createApp } from "../functions/app.ts";
import { createDeps, disposeDeps } from "../functions/deps.ts";
import { npyOf, randomFeatures } from "../tools/arrays.ts";
import { startPostgres } from "../tools/postgres_server.ts";

const { values: args } = parseArgs({
  options: {
    batches: { type: "string", default: "100" },
    rows: { type: "string", default: "100" },
    dim: { type: "string", default: "2048" },
    clients: { type: "string", default: "1,8" },
    db: { type: "string", default: "pglite,postgres" },
    "ref-rows": { type: "string", default: "4096" },
    latency: { type: "string", default: "5" },
  },
});
const B = Number(args.batches), R = Number(args.rows), D = Number(args.dim), REF = Number(args["ref-rows"]);
const L = Number(args.latency);
const clientCounts = args.clients!.split(",").map(Number);

const bodies = Array.from({ length: B + L }, (_, i) => npyOf(randomFeatures(R, D, 1000 + i, 0.05), R, D));

/** "median (min-max)" of seconds. */
function spread(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)].toFixed(2)} (${s[0].toFixed(2)}-${s.at(-1)!.toFixed(2)})`;
}

async function post(url: string, body: BodyInit, headers: Record<string, string>) {
  const res = await fetch(url, { method: "POST", body, headers });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return await res.json();
}

async function benchDatabase(kind: string, database: Database) {
  const rows: string[][] = [];
  // Baseline: the storage floor, the same bytes inserted sequentially with no HTTP or parsing.
  const feature = bodies[0].subarray(bodies[0].length - R * D * 4);
  let t = performance.now();
  for (let i = 0; i < B; i++) {
    await database.db.insert(batches).values({
      ownerId: "baseline",
      idempotencyKey: `b${i}`,
      bodySha256: "-",
      n: R,
      dim: D,
      nAfter: 0,
      features: feature,
    });
  }
  const baseline = B / ((performance.now() - t) / 1000);
  rows.push([
    kind,
    "baseline: raw insert",
    "1",
    baseline.toFixed(1),
    (baseline * R).toFixed(0),
    "1.00",
    "",
    "",
    "",
  ]);

  const deps = await createDeps(database, {}, { log: (m) => console.error(m) });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, createApp(deps).fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    t = performance.now();
    const ref = await post(
      `${base}/v1/references?name=bench`,
      npyOf(randomFeatures(REF, D, 7), REF, D) as BodyInit,
      {
        "content-type": "application/x-npy",
      },
    );
    console.error(
      `[${kind}] reference of ${REF} x ${D} uploaded in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    for (const clients of clientCounts) {
      const run = await post(
        `${base}/v1/runs`,
        JSON.stringify({ name: `c${clients}`, reference: ref.id, config: { kid: false, prdc: false } }),
        {
          "content-type": "application/json",
        },
      );
      const url = `${base}/v1/runs/${run.id}/batches`;
      let nextBatch = 0;
      t = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => {
        while (nextBatch < B) {
          const i = nextBatch++;
          await post(url, bodies[i] as BodyInit, {
            "content-type": "application/x-npy",
            "idempotency-key": `k${i}`,
          });
        }
      }));
      const secs = (performance.now() - t) / 1000;
      // The partial FID latency after one more batch, L times, each from a settled run (its metrics, the Vendi
      // score and any due checkpoint written), as a user pausing between batches meets it: watching the run's
      // event stream, which pushes each partial result the moment it exists.
      const latencies: number[] = [], completes: number[] = [];
      let latest: { n: number; fid: number } | undefined;
      for (let k = 0; k < L; k++) {
        await deps.scheduler.idle();
        const target = (B + k + 1) * R;
        const stream = await fetch(`${base}/v1/runs/${run.id}/events`);
        t = performance.now();
        await post(url, bodies[B + k] as BodyInit, {
          "content-type": "application/x-npy",
          "idempotency-key": `last${k}`,
        });
        // The first snapshot at the new n carries the FID; at D >= 1024 the Vendi score follows in another.
        for await (const e of sseEvents(stream.body!)) {
          const m = e.event === "metrics" ? JSON.parse(e.data) : undefined;
          if (m?.n !== target) continue;
          if (!latest || latest.n !== target) latencies.push((performance.now() - t) / 1000);
          latest = m;
          if (!m.pending) break;
        }
        completes.push((performance.now() - t) / 1000);
      }
      await deps.scheduler.idle();
      t = performance.now();
      const final = await post(`${base}/v1/runs/${run.id}/finalize`, "", {});
      const finalize = (performance.now() - t) / 1000;
      if (Math.abs(final.fid - latest!.fid) > 1e-9 * Math.abs(final.fid)) {
        throw new Error(`final FID ${final.fid} differs from the partial FID at the same n ${latest!.fid}`);
      }
      rows.push([
        kind,
        "service over HTTP",
        String(clients),
        (B / secs).toFixed(1),
        ((B * R) / secs).toFixed(0),
        (B / secs / baseline).toFixed(2),
        spread(latencies),
        spread(completes),
        finalize.toFixed(2),
      ]);
    }
  } finally {
    await server.shutdown();
    await disposeDeps(deps);
  }
  return rows;
}

const table: string[][] = [];
for (const kind of args.db!.split(",")) {
  if (kind === "pglite") {
    const dir = await Deno.makeTempDir({ prefix: "fidstream-bench-" });
    const database = await openPglite(dir);
    try {
      table.push(...await benchDatabase("pglite", database));
    } finally {
      await database.close();
      await Deno.remove(dir, { recursive: true });
    }
  } else {
    const server = Deno.env.get("DATABASE_URL") ? null : await startPostgres();
    const url = Deno.env.get("DATABASE_URL") ?? server?.url;
    if (!url) {
      console.error("no PostgreSQL: set DATABASE_URL or install the server binaries; skipping");
      continue;
    }
    const database = await openPostgres(url, { maxConnections: 20 });
    try {
      table.push(...await benchDatabase("postgres", database));
    } finally {
      await database.close();
      await server?.stop();
    }
  }
}

const header = [
  "db",
  "path",
  "clients",
  "batches/s",
  "samples/s",
  "vs baseline",
  "partial FID latency s",
  "with Vendi s",
  "finalize s",
];
console.log(
  `\ningest: ${B} batches of ${R} x ${D} float32 (+${L} one at a time for the latency: median (range)), ` +
    `reference ${REF} x ${D}\n`,
);
console.log(`| ${header.join(" | ")} |\n|${header.map(() => " --- ").join("|")}|`);
for (const r of table) console.log(`| ${r.join(" | ")} |`);
