/**
 * Progress of a finalize as its watchers see it (SSE `progress` events, the dashboard, `cli finalize`): the phase
 * that just began, the time since the finalize began, and how long each finished phase took. A finalize of a
 * large run takes seconds to minutes; without this a user stares at a silent request.
 */

/** One progress event's data. */
export interface FinalizeProgress {
  /** The phase that began: closing, statistics, fid, reading features, distances, kid, storing. */
  phase: string;
  /** Seconds since the finalize began. */
  elapsed_s: number;
  /** The finished phases, in order, with their durations in seconds. */
  done: { phase: string; seconds: number }[];
}

/** Reports phases in order; announcing is fire-and-forget (a failed notification must not fail a finalize). */
export class ProgressReporter {
  #start: number;
  #current: { phase: string; at: number } | null = null;
  #done: { phase: string; seconds: number }[] = [];
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private announce: (p: FinalizeProgress) => Promise<void>,
    private now: () => number,
    private log: (message: string) => void,
  ) {
    this.#start = now();
  }

  /** Marks the start of `phase` at `at` (default now), ending the current one, and announces it. */
  phase(phase: string, at = this.now()): void {
    if (this.#current) {
      this.#done.push({ phase: this.#current.phase, seconds: round3((at - this.#current.at) / 1000) });
    }
    this.#current = { phase, at };
    const event = { phase, elapsed_s: round3((at - this.#start) / 1000), done: [...this.#done] };
    // Chained, so watchers get the phases in order even if a notification is slow.
    this.#chain = this.#chain.then(() => this.announce(event)).catch((e) =>
      this.log(`finalize progress notification failed: ${e}`)
    );
  }

  /** Waits for the announcements sent so far. */
  settled(): Promise<void> {
    return this.#chain;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
