/**
 * Extraction progress on stderr: a bar redrawn in place on a terminal (with images/s), otherwise one plain
 * line per tenth of the work, so logs stay short.
 */

import { renderBar } from "./progress.ts";

const encoder = new TextEncoder();

/** Reports how many of `total` images of one input have been extracted. */
export class ImageProgress {
  #done = 0;
  #lastTenth = 0;
  readonly #start = performance.now();

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly tty: boolean = Deno.stderr.isTerminal(),
    private readonly write: (text: string) => void = (t) => Deno.stderr.writeSync(encoder.encode(t)),
  ) {}

  /** `n` more images are done. */
  add(n: number): void {
    this.#done += n;
    const seconds = (performance.now() - this.#start) / 1000;
    const rate = seconds > 0 ? `${(this.#done / seconds).toFixed(1)} img/s` : "";
    const bar = renderBar(this.#done, this.total, `${this.label} ${rate}`).replace(" rows ", " images ");
    if (this.tty) {
      this.write(`\r\x1b[K${bar}`);
      return;
    }
    const tenth = Math.floor((10 * this.#done) / Math.max(1, this.total));
    if (tenth > this.#lastTenth) {
      this.#lastTenth = tenth;
      this.write(`${bar}\n`);
    }
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.tty) this.write("\n");
  }
}
