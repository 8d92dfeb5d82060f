/**
 * Requests per key per minute: a token bucket per key in this process (each process of a fleet limits on its
 * own, so the fleet-wide rate is at most processes x limit). Refill is continuous.
 */

/** A per-key token bucket limiter with an injectable clock. */
export class RateLimiter {
  #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private perMinute: number, private now: () => number = Date.now) {}

  /** Takes one token for key; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    if (this.perMinute <= 0) return 0;
    const now = this.now();
    const b = this.#buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
    b.at = now;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.perMinute) * 60);
  }
}
