/** When and how long to wait before retrying an upload request. */

/** Retry settings: attempts after the first, first delay, and the longest single wait. */
export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Whether an HTTP status is worth retrying: server errors and rate limiting. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), or undefined if absent/invalid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its weekday and month; Date.parse alone would also take "-1" as a year.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Delay before retry number `attempt` (0 for the first retry): the server's Retry-After when given, else
 * exponential backoff base * 2^attempt with jitter in [50%, 100%] so many clients do not retry in lockstep;
 * never more than maxDelayMs.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
  const backoff = policy.baseDelayMs * 2 ** attempt;
  return Math.min(backoff * (0.5 + 0.5 * random()), policy.maxDelayMs);
}
