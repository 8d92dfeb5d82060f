/**
 * Debounced background jobs per key (run id): ingestion only pokes, never waits. At most one job per key runs at
 * a time in this process; a poke during a run schedules exactly one more.
 */
interface Slot {
  timer?: ReturnType<typeof setTimeout>;
  running?: Promise<void>;
  again: boolean;
}

/** Runs `job(key)` shortly after `poke(key)`, coalescing bursts. */
export class Scheduler {
  #slots = new Map<string, Slot>();
  #waiters: Array<() => void> = [];
  constructor(
    private job: (key: string) => Promise<void>,
    private delayMs: number,
    private onError: (key: string, error: unknown) => void,
  ) {}

  /** Asks for a job on key soon. */
  poke(key: string): void {
    const slot = this.#slots.get(key) ?? { again: false };
    this.#slots.set(key, slot);
    if (slot.running) slot.again = true;
    else if (!slot.timer) slot.timer = setTimeout(() => this.#run(key, slot), this.delayMs);
  }

  /** Resolves once no job is pending or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.#slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Cancels pending jobs and waits for running ones. */
  async stop(): Promise<void> {
    for (const slot of this.#slots.values()) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      slot.again = false;
    }
    await Promise.all([...this.#slots.values()].map((s) => s.running));
  }

  async #run(key: string, slot: Slot) {
    slot.timer = undefined;
    slot.running = this.job(key).catch((e) => this.onError(key, e));
    await slot.running;
    slot.running = undefined;
    if (slot.again) {
      slot.again = false;
      slot.timer = setTimeout(() => this.#run(key, slot), this.delayMs);
      return;
    }
    this.#slots.delete(key);
    if (this.#slots.size === 0) { for (const w of this.#waiters.splice(0)) w(); }
  }
}
