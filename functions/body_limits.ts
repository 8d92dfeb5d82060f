/**
 * Process-wide limits on request bodies: how many bytes all bodies in flight may hold together, and how many
 * uploads one key may have in flight at once. One key holding many slow uploads open must not take the memory
 * or the attention of the whole server.
 */
import { ServerBusyError, TooManyRequestsError } from "../src/errors.ts";

/** Bytes held by the bodies of requests in flight, against one budget. */
export class BodyBudget {
  #used = 0;
  constructor(readonly capacity: number) {}

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` or throws a 503 (retry shortly) when the budget cannot hold them. */
  reserve(bytes: number): void {
    if (this.#used + bytes > this.capacity) {
      throw new ServerBusyError(
        "server_busy",
        `the server holds ${this.#used} bytes of request bodies in flight, its limit is ${this.capacity}; ` +
          "retry shortly",
        2,
      );
    }
    this.#used += bytes;
  }

  /** Gives back bytes taken by reserve. */
  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/** What one request holds of the budget; released once, when the request ends. */
export class BodyLease {
  #held = 0;
  #released = false;
  constructor(private budget: BodyBudget) {}

  /** Bytes this request holds. */
  get held(): number {
    return this.#held;
  }

  /** Takes `bytes` more for this request (503 when the process is over its budget). */
  reserve(bytes: number): void {
    if (this.#released) throw new Error("body lease used after its request ended");
    this.budget.reserve(bytes);
    this.#held += bytes;
  }

  /** Gives everything back (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.budget.release(this.#held);
    this.#held = 0;
  }
}

/** Uploads in flight per key, at most `perKey` each. */
export class UploadSlots {
  #inFlight = new Map<string, number>();
  constructor(readonly perKey: number) {}

  /** Takes a slot for `key`, or throws a 429 when it has perKey uploads in flight already. */
  acquire(key: string): () => void {
    const n = this.#inFlight.get(key) ?? 0;
    if (this.perKey > 0 && n >= this.perKey) {
      throw new TooManyRequestsError(
        "too_many_uploads",
        `this key has ${n} uploads in flight, the most one key may have at once; wait for one to finish`,
        1,
      );
    }
    this.#inFlight.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, left);
    };
  }

  /** Uploads in flight for `key`. */
  inFlight(key: string): number {
    return this.#inFlight.get(key) ?? 0;
  }
}
