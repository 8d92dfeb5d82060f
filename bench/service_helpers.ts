/**
 * What the service benchmarks share: seeded pool-like features, the HTTP calls that feed a running service, and
 * a fresh database of either kind (PGlite in a temp dir, or a throwaway PostgreSQL / DATABASE_URL).
 */
import type { Database } from "../db/database.ts";
import { openPglite } from "../db/pglite/open.ts";
import { openPostgres } from "../db/postgres/open.ts";
import { encodeNpy } from "../src/tensors/npy.ts";
import { seededRandom } from "../tools/arrays.ts";
import { startPostgres } from "../tools/postgres_server.ts";

/**
 * n x dim float32 pool-like features: relu(0.3 + shift + z W + noise) with 16 shared factors W and decaying
 * noise scales, the same W for every call (one distribution, shifted), z and noise seeded per call.
 */
export function poolLike(n: number, dim: number, seed: number, shift: number): Float32Array {
  const K = 16;
  const normalFrom = (r: () => number) => () =>
    Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const g = normalFrom(seededRandom(1));
  const w = Float64Array.from({ length: K * dim }, (_, i) => 0.25 * g() * ((i % dim) + 1) ** -0.3);
  const scale = Float64Array.from({ length: dim }, (_, j) => 0.1 * (j + 1) ** -0.4);
  const normal = normalFrom(seededRandom(seed));
  const out = new Float32Array(n * dim);
  const z = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) z[k] = normal();
    for (let j = 0; j < dim; j++) {
      let v = 0.3 + shift + scale[j] * normal();
      for (let k = 0; k < K; k++) v += z[k] * w[k * dim + j];
      out[i * dim + j] = v > 0 ? v : 0;
    }
  }
  return out;
}

/** The .npy bytes of rows x dim float32 features. */
export function npy(data: Float32Array, rows: number, dim: number): Uint8Array {
  return encodeNpy({ dtype: "float32", shape: [rows, dim], data });
}

/** POSTs a body (an Idempotency-Key when given) and returns the JSON answer; throws on an error status. */
export async function post(url: string, body: BodyInit, type = "application/x-npy", key?: string) {
  const headers: Record<string, string> = { "content-type": type };
  if (key) headers["idempotency-key"] = key;
  const res = await fetch(url, { method: "POST", body, headers });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return await res.json();
}

/** Uploads the rows in batches of `batch`: the first creates the owner (or goes to `batchUrl`), the rest follow. */
export async function upload(
  data: Float32Array,
  n: number,
  dim: number,
  batch: number,
  firstUrl: string,
  batchUrl: (first: { id: string }) => string,
) {
  let first: { id: string } | null = null;
  for (let start = 0; start < n; start += batch) {
    const rows = Math.min(batch, n - start);
    const body = npy(data.subarray(start * dim, (start + rows) * dim), rows, dim) as BodyInit;
    if (!first) first = await post(firstUrl, body, "application/x-npy", `b${start}`);
    else await post(batchUrl(first), body, "application/x-npy", `b${start}`);
  }
  return first!;
}

/** Runs fn on a fresh database of `kind` ("pglite" or "postgres"); null when no PostgreSQL is at hand. */
export async function withDatabase<T>(kind: string, fn: (db: Database) => Promise<T>): Promise<T | null> {
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

/**
 * Runs a baseline script of bench/ with python3 and parses the JSON object it prints; null (saying why) when
 * python3 with numpy and scipy is not there.
 */
export async function pythonBaseline(
  script: string,
  args: string[],
): Promise<Record<string, unknown> | null> {
  const out = await new Deno.Command("python3", {
    args: [new URL(`./${script}`, import.meta.url).pathname, ...args],
    stderr: "inherit",
  }).output().catch(() => null);
  if (!out?.success) {
    console.error("python3 with numpy + scipy not available: no baseline");
    return null;
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
