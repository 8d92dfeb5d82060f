/** Sending one feature batch to the server, retrying network errors, 5xx and 429. */

import { isRetryableStatus, parseRetryAfter, retryDelayMs, type RetryPolicy } from "./retry.ts";

/** What the server answers for an accepted batch. */
export interface BatchReply {
  batch: number;
  n: number;
}

/** The upload failed for good: the server refused it, or retries ran out. */
export class UploadError extends Error {}

/** One batch request. */
export interface BatchRequest {
  url: string;
  body: Uint8Array<ArrayBuffer>;
  idempotencyKey: string;
  apiKey?: string;
  /** Names the batch in messages, e.g. "a.npy batch 3". */
  label: string;
}

// A stuck connection counts as a network error after this long (a large batch over a slow link included).
const REQUEST_TIMEOUT_MS = 300_000;

/** The error message of a JSON error body {"error":{"code","message"}}, or the raw text. */
export function describeError(status: number, text: string): string {
  try {
    const e = JSON.parse(text)?.error;
    if (e && typeof e.message === "string") {
      return `HTTP ${status} ${e.code ?? ""}: ${e.message}`.replace(" :", ":");
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return `HTTP ${status}: ${text.slice(0, 500) || "(empty body)"}`;
}

/** POST the batch; returns the server's reply, retrying what can be retried, else throws UploadError. */
export async function postBatch(
  req: BatchRequest,
  policy: RetryPolicy,
  onRetry: (message: string, delayMs: number) => void = () => {},
): Promise<BatchReply> {
  const headers: Record<string, string> = {
    "Content-Type": "application/x-npy",
    "Idempotency-Key": req.idempotencyKey,
  };
  if (req.apiKey) headers["Authorization"] = `Bearer ${req.apiKey}`;
  for (let attempt = 0;; attempt++) {
    let reason: string;
    let retryAfterMs: number | undefined;
    try {
      const res = await fetch(req.url, {
        method: "POST",
        headers,
        body: req.body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      if (res.ok) {
        let reply: unknown;
        try {
          reply = JSON.parse(text);
        } catch {
          throw new UploadError(
            `${req.label}: the server answered ${res.status} with a body that is not JSON`,
          );
        }
        const r = reply as Partial<BatchReply>;
        if (typeof r.batch !== "number" || typeof r.n !== "number") {
          throw new UploadError(
            `${req.label}: the server's reply lacks numeric "batch" and "n": ${text.slice(0, 200)}`,
          );
        }
        return { batch: r.batch, n: r.n };
      }
      reason = describeError(res.status, text);
      if (!isRetryableStatus(res.status)) {
        throw new UploadError(`${req.label}: the server refused it: ${reason}`);
      }
      retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), Date.now());
    } catch (e) {
      if (e instanceof UploadError) throw e;
      reason = `network error: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (attempt >= policy.retries) {
      throw new UploadError(`${req.label}: gave up after ${attempt + 1} attempts; last error: ${reason}`);
    }
    const delay = retryDelayMs(policy, attempt, retryAfterMs);
    onRetry(`${req.label}: ${reason}; retrying in ${(delay / 1000).toFixed(1)} s`, delay);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
