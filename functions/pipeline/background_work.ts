/**
 * Work a handler starts after it has answered (a finalized run's compaction), tracked so that a graceful
 * shutdown waits for it instead of cutting it off half way.
 */
export class BackgroundWork {
  #running = new Set<Promise<void>>();

  /** Runs `task` in the background; a failure goes to onError (the work is retried by whoever needs it). */
  start(task: () => Promise<unknown>, onError: (e: unknown) => void): void {
    const p: Promise<void> = task().then(() => {}, onError).finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  /** Resolves once everything started so far has finished. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
