/**
 * A test client that uploads feature batches the way a careful training job would: deterministic idempotency
 * keys, retries on network errors, 5xx and 429 (with backoff, honouring Retry-After), across one or several
 * servers. It records every answer it saw, so fault tests can check that only the expected statuses occurred,
 * and offline statistics of exactly the acknowledged batches.
 */
import { npyOf, randomFeatures } from "./arrays.ts";

/** One batch to upload: its rows (float32, n x dim), its .npy body and its idempotency key. */
export interface PlannedBatch {
  key: string;
  n: number;
  dim: number;
  data: Float32Array;
  body: Uint8Array;
}

/** Batches key `${prefix}-${i}` of rows(i) x dim seeded features (seed + i), shifted so runs differ from refs. */
export function planBatches(
  prefix: string,
  count: number,
  rows: (i: number) => number,
  dim: number,
  seed: number,
  shift = 0.25,
): PlannedBatch[] {
  return Array.from({ length: count }, (_, i) => {
    const n = rows(i);
    const data = randomFeatures(n, dim, seed + i, shift);
    return { key: `${prefix}-${i}`, n, dim, data, body: npyOf(data, n, dim) };
  });
}

/** The server's answer to an accepted batch, plus what it took to get it. */
export interface Ack {
  key: string;
  batch: number;
  n: number;
  replayed: boolean;
  /** Latency of the attempt that got the 200, in ms. */
  ms: number;
  attempts: number;
}

/** Every status seen (by code, or "network" for a failed connection), shared by all clients of a test. */
export class StatusLog {
  readonly counts = new Map<string, number>();
  /** First body seen per unexpected status, to explain a failure. */
  readonly samples = new Map<string, string>();

  /** Counts one answer. */
  add(status: string, body = ""): void {
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
    if (!this.samples.has(status)) this.samples.set(status, body.slice(0, 300));
  }

  /** How many answers had this status. */
  count(status: string): number {
    return this.counts.get(status) ?? 0;
  }

  /** The statuses seen that are not in `allowed`, with a sample body each (empty when all were allowed). */
  unexpected(allowed: string[]): string[] {
    return [...this.counts.keys()].filter((s) => !allowed.includes(s)).map((s) =>
      `${s} x${this.counts.get(s)}: ${this.samples.get(s)}`
    );
  }

  /** e.g. "200:120 503:4 network:9". */
  toString(): string {
    return [...this.counts].map(([s, n]) => `${s}:${n}`).join(" ");
  }
}

/** Where and how long to retry. */
export interface RetryOptions {
  /** Server base URLs; attempt k goes to servers[(start + k) % length], as a load balancer would spread them. */
  servers: () => string[];
  /** Give up (throw) after this time (performance.now() based). */
  deadline: number;
  log: StatusLog;
  /** Which server to try first (e.g. the client's index). */
  start?: number;
  /** First backoff in ms (doubled per failed attempt, capped at 1 s). */
  backoffMs?: number;
  /** Extra headers (an API key). */
  headers?: Record<string, string>;
}

/** POSTs the batch to /v1/runs/:run/batches until a 200; retries network errors, 5xx and 429; throws on other 4xx. */
export async function postUntilAccepted(
  runId: string,
  batch: PlannedBatch,
  opts: RetryOptions,
): Promise<Ack> {
  let backoff = opts.backoffMs ?? 50;
  for (let attempt = 0;; attempt++) {
    const servers = opts.servers();
    const server = servers[((opts.start ?? 0) + attempt) % servers.length];
    const t0 = performance.now();
    let status: string;
    let text = "";
    let retryAfterMs: number | undefined;
    try {
      const res = await fetch(`${server}/v1/runs/${runId}/batches`, {
        method: "POST",
        body: batch.body as BodyInit,
        headers: { "content-type": "application/x-npy", "idempotency-key": batch.key, ...opts.headers },
        signal: AbortSignal.timeout(Math.max(1, Math.min(120_000, opts.deadline - performance.now()))),
      });
      text = await res.text();
      status = String(res.status);
      const ra = res.headers.get("retry-after");
      if (ra && /^\d+$/.test(ra)) retryAfterMs = Number(ra) * 1000;
      if (res.status === 200) {
        opts.log.add(status);
        const r = JSON.parse(text);
        return {
          key: batch.key,
          batch: r.batch,
          n: r.n,
          replayed: r.replayed,
          ms: performance.now() - t0,
          attempts: attempt + 1,
        };
      }
    } catch (e) {
      status = "network";
      text = e instanceof Error ? e.message : String(e);
    }
    opts.log.add(status, text);
    const retryable = status === "network" || status === "429" || status.startsWith("5");
    if (!retryable) throw new Error(`batch ${batch.key}: HTTP ${status}: ${text}`);
    if (performance.now() >= opts.deadline) {
      throw new Error(`batch ${batch.key}: no 200 before the deadline; last: ${status} ${text}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(retryAfterMs ?? backoff, 2_000)));
    backoff = Math.min(backoff * 2, 1_000);
  }
}

/** Uploads every batch with `clients` concurrent workers pulling from one queue; resolves to the acks in order. */
export async function uploadConcurrently(
  runId: string,
  batches: PlannedBatch[],
  clients: number,
  opts: RetryOptions,
): Promise<Ack[]> {
  const acks: Ack[] = new Array(batches.length);
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    while (next < batches.length) {
      const i = next++;
      acks[i] = await postUntilAccepted(runId, batches[i], { ...opts, start: (opts.start ?? 0) + c });
    }
  }));
  return acks;
}

/** Concatenates the rows of batches into one n x dim matrix. */
export function stackRows(batches: { n: number; data: Float32Array }[], dim: number): Float32Array {
  const out = new Float32Array(batches.reduce((s, b) => s + b.n, 0) * dim);
  let at = 0;
  for (const b of batches) {
    out.set(b.data, at);
    at += b.data.length;
  }
  return out;
}
