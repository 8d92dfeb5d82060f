/** Upload progress on stderr: a redrawn bar on a terminal, one plain line per finished file otherwise. */

const encoder = new TextEncoder();

/** The bar text for `done` of `total` rows, e.g. "[#####-----]  50% 5/10 rows a.npy". */
export function renderBar(done: number, total: number, label: string, width = 30): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}% ${done}/${total} rows ${label}`;
}

/** Reports upload progress to a writer (stderr by default). */
export class Progress {
  private done = 0;
  constructor(
    private readonly totalRows: number,
    private readonly tty: boolean = Deno.stderr.isTerminal(),
    private readonly write: (text: string) => void = (t) => Deno.stderr.writeSync(encoder.encode(t)),
  ) {}

  /** A chunk of `rows` rows of `file` was accepted. */
  chunkDone(file: string, rows: number): void {
    this.done += rows;
    // "\r" plus erase-to-end-of-line redraws the bar in place.
    if (this.tty) this.write(`\r\x1b[K${renderBar(this.done, this.totalRows, file)}`);
  }

  /** Every chunk of `file` was accepted. */
  fileDone(file: string, batches: number, rows: number): void {
    if (!this.tty) this.write(`${file}: ${rows} rows in ${batches} batches uploaded\n`);
  }

  /** A message (a retry, say) on its own line; on a terminal the bar is redrawn by the next chunk. */
  note(text: string): void {
    this.write(this.tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }

  /** End the bar's line so later output starts on a fresh one. */
  finish(): void {
    if (this.tty) this.write("\n");
  }
}
