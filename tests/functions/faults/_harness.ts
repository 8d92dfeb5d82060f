/** Shared steps of the fault tests: a reference and a run over HTTP, and checks against offline statistics. */
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import type { Database } from "../../../db/database.ts";
import { checkpoints } from "../../../db/schema.ts";
import { frechetDistance } from "../../../src/stats/frechet.ts";
import { momentsCovariance, momentsMean } from "../../../src/stats/moments.ts";
import { decodeMoments } from "../../../src/stats/moments_codec.ts";
import { naiveMeanCov, npyOf } from "../../../tools/arrays.ts";
import type { Ack, PlannedBatch } from "../../../tools/retrying_uploader.ts";

/** A loopback port nobody listens on right now, so a restarted server can take the same URL. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function postOk(url: string, body: BodyInit, type: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": type } });
  const text = await res.text();
  assert.ok(res.status === 200 || res.status === 201, `${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Registers a features reference of `data` (n x dim) and a run against it; returns the run id. */
export async function createReferenceAndRun(
  server: string,
  data: Float32Array,
  n: number,
  dim: number,
): Promise<string> {
  const ref = await postOk(
    `${server}/v1/references?name=faults`,
    npyOf(data, n, dim) as BodyInit,
    "application/x-npy",
  );
  const run = await postOk(
    `${server}/v1/runs`,
    JSON.stringify({ name: "faults", reference: ref.id, config: { kid: false } }),
    "application/json",
  );
  return run.id as string;
}

/** Finalizes the run (retrying 503s while a database recovers) and returns the final metrics. */
export async function finalize(server: string, runId: string): Promise<{ n: number; fid: number }> {
  for (let attempt = 0;; attempt++) {
    const res = await fetch(`${server}/v1/runs/${runId}/finalize`, { method: "POST" });
    const text = await res.text();
    if (res.status === 200) return JSON.parse(text);
    assert.ok(res.status === 503 && attempt < 50, `finalize: ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Asserts that a second send of every batch replays the first answer exactly (counted once, durable). */
export async function assertReplays(
  server: string,
  runId: string,
  batches: PlannedBatch[],
  acks: Map<string, Ack>,
): Promise<void> {
  for (const b of batches) {
    const res = await fetch(`${server}/v1/runs/${runId}/batches`, {
      method: "POST",
      body: b.body as BodyInit,
      headers: { "content-type": "application/x-npy", "idempotency-key": b.key },
    });
    const text = await res.text();
    // A finalized run still replays accepted keys.
    assert.equal(res.status, 200, `replay of ${b.key}: ${text}`);
    const r = JSON.parse(text);
    const first = acks.get(b.key)!;
    assert.equal(r.replayed, true, `${b.key} was stored a second time`);
    assert.deepEqual(
      [r.batch, r.n],
      [first.batch, first.n],
      `replay of ${b.key} answers as the first 200 did`,
    );
  }
}

/**
 * Asserts the acks are one consistent history: distinct batch ids and distinct n, and, in the order of n (the
 * order the run's row lock took them, which need not be batch id order), each n adds at least its batch's rows
 * to the previous one. The gaps must add up to exactly `otherRows`: rows that other uploaders (not in `acks`)
 * had accepted meanwhile. So no batch was lost or counted twice.
 */
export function assertAckHistory(
  batches: PlannedBatch[],
  acks: Map<string, Ack>,
  otherRows = 0,
  finalN?: number,
): void {
  const rows = new Map(batches.map((b) => [b.key, b.n]));
  const sorted = [...acks.values()].sort((a, b) => a.n - b.n);
  assert.equal(new Set(sorted.map((a) => a.batch)).size, sorted.length, "every key got its own batch id");
  let n = 0, gaps = 0;
  for (const a of sorted) {
    const gap = a.n - n - rows.get(a.key)!;
    assert.ok(
      gap >= 0,
      `n after batch ${a.key} is ${a.n}, which does not add its ${rows.get(a.key)} rows to ${n}`,
    );
    gaps += gap;
    n = a.n;
  }
  if (finalN !== undefined) gaps += finalN - n;
  assert.ok(
    finalN === undefined ? gaps <= otherRows : gaps === otherRows,
    `other uploaders' rows: ${gaps} vs ${otherRows}`,
  );
}

/** Asserts the final FID equals the offline Frechet distance of the reference and every acknowledged row. */
export function assertFinalMatchesOffline(
  final: { n: number; fid: number },
  ref: Float32Array,
  gen: Float32Array,
  dim: number,
): void {
  const nGen = gen.length / dim;
  assert.equal(final.n, nGen, "final n = rows of every acknowledged batch");
  const r = naiveMeanCov(ref, ref.length / dim, dim), g = naiveMeanCov(gen, nGen, dim);
  const expected = frechetDistance(r.mu, r.cov, g.mu, g.cov);
  assert.ok(
    Math.abs(final.fid - expected) <= 1e-9 * Math.max(1, expected),
    `fid ${final.fid} vs offline ${expected}`,
  );
}

/**
 * The owner's stored moments once its checkpoint covers n samples: a finalized run that keeps its features is
 * compacted in the background, just after finalize answers. Gives up (returning what is stored) after 10 s.
 */
export async function finalCheckpoint(database: Database, ownerId: string, n: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [cp] = await database.db.select().from(checkpoints).where(eq(checkpoints.ownerId, ownerId));
    const m = cp ? decodeMoments(cp.moments) : undefined;
    if ((m && m.n === n) || Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Asserts the run's stored checkpoint decodes to the offline n, mean and covariance of `gen`. */
export async function assertCheckpointMatchesOffline(
  database: Database,
  runId: string,
  gen: Float32Array,
  dim: number,
): Promise<void> {
  const n = gen.length / dim;
  const m = await finalCheckpoint(database, runId, n);
  assert.ok(m, "the finalized run has a checkpoint");
  assert.equal(m.n, n);
  const g = naiveMeanCov(gen, n, dim);
  const mu = momentsMean(m), cov = momentsCovariance(m);
  for (let j = 0; j < dim; j++) {
    assert.ok(Math.abs(mu[j] - g.mu[j]) < 1e-12, `mean[${j}] ${mu[j]} vs ${g.mu[j]}`);
  }
  for (let j = 0; j < dim * dim; j++) {
    assert.ok(Math.abs(cov[j] - g.cov[j]) < 1e-12, `cov[${j}] ${cov[j]} vs ${g.cov[j]}`);
  }
}
