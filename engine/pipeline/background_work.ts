/**
 * Work a handler starts after it has answered (a finalized run's compaction), tracked so that a graceful
 * shutdown waits for it instead of cutting it off half way.
 */
/** How long after start() a task begins (see start). */
const START_DELAY_MS = 30;

export class BackgroundWork {
  #running = new Set<Promise<void>>();
  #lanes = new Map<string, Promise<void>>();

  /**
   * Runs `task` in the background, a moment after the handler has answered: a finalized run's compaction
   * merges and encodes a 16 MB checkpoint on this thread at D = 2048, and started at once it held the answer
   * back (by ~0.9 s when PGlite still ran here; the listener tells nobody when the answer is out: 30 ms was
   * enough, measured). A failure goes to onError (the work is retried by whoever needs it).
   */
  start(task: () => Promise<unknown>, onError: (e: unknown) => void): void {
    const p: Promise<void> = new Promise((r) => setTimeout(r, START_DELAY_MS)).then(task).then(
      () => {},
      onError,
    )
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  /**
   * As start, but after the lane's earlier tasks have finished, one at a time (FID-infinity holds 15 D x D
   * co-moments: two runs finalized together must not hold 30). A failure goes to onError; the lane goes on.
   */
  startInTurn(lane: string, task: () => Promise<unknown>, onError: (e: unknown) => void): void {
    const prior = this.#lanes.get(lane) ?? Promise.resolve();
    let done!: () => void;
    const turn = new Promise<void>((resolve) => (done = resolve));
    this.#lanes.set(lane, turn);
    this.start(async () => {
      try {
        await prior;
        await task();
      } finally {
        done();
        if (this.#lanes.get(lane) === turn) this.#lanes.delete(lane);
      }
    }, onError);
  }

  /** Resolves once everything started so far has finished. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
