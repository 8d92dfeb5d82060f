/**
 * A budget of bytes that concurrent jobs wait for in turn (first come, first served). Decoding a statistics
 * file inflates a few hundred KB into tens of MB; four such decodes at once took 2 GB and stalled the server for
 * seconds. With this, they take turns within the budget instead.
 */
import { PayloadTooLargeError, ServerBusyError } from "../src/errors.ts";

/** Bytes shared by jobs: acquire waits until they fit, in order of arrival. */
export class ByteSemaphore {
  #used = 0;
  #queue: { bytes: number; grant: () => void }[] = [];
  constructor(readonly capacity: number) {}

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Waits until `bytes` fit (at most `timeoutMs`, then a 503 to retry) and returns their release. A request for
   * more than the whole capacity is a 413 at once: it could never run.
   */
  async acquire(bytes: number, timeoutMs = 30_000): Promise<() => void> {
    if (bytes > this.capacity) {
      throw new PayloadTooLargeError(
        "decode_too_large",
        `decoding this upload needs ${bytes} bytes of memory; the server allows ${this.capacity} at once`,
      );
    }
    if (this.#queue.length === 0 && this.#used + bytes <= this.capacity) {
      this.#used += bytes;
    } else {
      await new Promise<void>((resolve, reject) => {
        const entry = { bytes, grant: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          this.#queue.splice(this.#queue.indexOf(entry), 1);
          this.#drain();
          reject(
            new ServerBusyError(
              "server_busy",
              `the server is decoding other uploads (${this.#used} of ${this.capacity} bytes in use); retry shortly`,
              2,
            ),
          );
        }, timeoutMs);
        this.#queue.push(entry);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used -= bytes;
      this.#drain();
    };
  }

  /** Grants waiting jobs, in order, while the first of them fits. */
  #drain(): void {
    while (this.#queue.length > 0 && this.#used + this.#queue[0].bytes <= this.capacity) {
      const next = this.#queue.shift()!;
      this.#used += next.bytes;
      next.grant();
    }
  }
}
