/**
 * Throttled background jobs per key (run id): ingestion only pokes, never waits. The first poke after a quiet
 * spell runs the job at once (a partial FID should follow a lone batch without a wait); pokes while it runs are
 * gathered into exactly one more run, delayMs after it. At most one job per key runs at a time in this process.
 * A job that fails is retried with backoff (a database outage must not leave a run's metrics stale once it is
 * back); a job may also ask to be run again after a while (it left the work to another process and checks
 * back, see evaluation_lease.ts).
 */
interface Slot {
  timer?: ReturnType<typeof setTimeout>;
  running?: Promise<void>;
  again: boolean;
  /** Consecutive failures (index into the retry delays). */
  failures: number;
  /** When the pending timer fires (performance.now() clock). */
  dueAt: number;
}

/** What a job may ask for: to run again after this many ms unless poked sooner. */
export type JobOutcome = { recheckAfterMs: number } | undefined;

/** Backoff after consecutive failures; past the last one the job waits for the next poke. */
export const RETRY_DELAYS_MS: readonly number[] = [500, 1_000, 2_000, 5_000, 10_000, 30_000];

/** Runs `job(key)` after `poke(key)`: at once after a quiet spell, delayMs after the last run during a stream. */
export class Scheduler {
  #slots = new Map<string, Slot>();
  #waiters: Array<() => void> = [];
  #stopped = false;
  constructor(
    private job: (key: string) => Promise<JobOutcome | void>,
    private delayMs: number,
    private onError: (key: string, error: unknown) => void,
    private retryDelaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {}

  /** Asks for a job on key: at once when the key is quiet, else once the running or pending one is done. */
  poke(key: string): void {
    const known = this.#slots.get(key);
    const slot = known ?? { again: false, failures: 0, dueAt: 0 };
    this.#slots.set(key, slot);
    slot.failures = 0;
    // Quiet key: run now. A stream is still gathered: pokes during the job make one more run, delayMs after it.
    if (!known) this.#schedule(key, slot, 0);
    else if (slot.running) slot.again = true;
    else if (!slot.timer || slot.dueAt > performance.now() + this.delayMs) {
      // A poke brings a pending retry or recheck forward, but never postpones a job already due soon: under a
      // steady stream of batches the job must still run every delayMs, not wait for a lull.
      this.#schedule(key, slot, this.delayMs);
    }
  }

  /** Resolves once no job is pending or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Cancels pending jobs (and retries) and waits for running ones. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const slot of this.#slots.values()) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.again = false;
    }
    await Promise.all([...this.#slots.values()].map((s) => s.running));
  }

  async #run(key: string, slot: Slot) {
    slot.timer = undefined;
    let recheck: number | undefined;
    let failed = false;
    slot.running = this.job(key).then((o) => {
      recheck = (o as JobOutcome)?.recheckAfterMs;
    }, (e) => {
      failed = true;
      this.onError(key, e);
    });
    await slot.running;
    slot.running = undefined;
    if (this.#stopped) return this.#forget(key);
    let next: number | undefined;
    if (slot.again) {
      slot.again = false;
      next = this.delayMs;
    } else if (failed) {
      if (slot.failures < this.retryDelaysMs.length) next = this.retryDelaysMs[slot.failures++];
    } else {
      slot.failures = 0;
      next = recheck;
    }
    if (next === undefined) return this.#forget(key);
    this.#schedule(key, slot, next);
  }

  #schedule(key: string, slot: Slot, delayMs: number) {
    clearTimeout(slot.timer);
    slot.dueAt = performance.now() + delayMs;
    slot.timer = setTimeout(() => this.#run(key, slot), delayMs);
  }

  #forget(key: string) {
    this.#slots.delete(key);
    if (this.#slots.size === 0) { for (const w of this.#waiters.splice(0)) w(); }
  }
}
