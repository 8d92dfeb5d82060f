/**
 * The GPU host's queue: concurrent requests for one GPU model merged into device-sized forwards.
 *
 * Requests queue FIFO. Whenever fewer than `depth` forwards are in flight, the queue takes the waiting images
 * (whole requests, and the front of one that does not fit) up to the device batch and starts a forward: while
 * the GPU computes one forward, the next collects every request that arrived meanwhile, so a busy host runs
 * big batches and an idle one answers a lone request at once, with no timer to wait on. Each request's rows
 * are put back in its own order; a forward that fails fails only the requests it carried.
 */
import type { FeatureRows } from "../../src/features/extractor.ts";
import { type PixelBatch } from "../../src/features/pixel_batch.ts";
import {
  checkFidInceptionOutput,
  checkImageBatch,
  NETWORK_OUTPUT,
} from "../../models/fid-inception/extractor.ts";
import { forwardNeeds, rowsOf, slicePixels } from "../../models/fid-inception/wgsl/extractor.ts";
import { FID_INCEPTION_DIMS } from "../../models/fid-inception/network.ts";
import { type ForwardResult, MAX_SEGMENTS } from "../../models/fid-inception/wgsl/network.ts";

/** What the queue runs forwards on (the WGSL engine's network). */
export interface ForwardEngine {
  maxImagesPerForward(rawBytesPerImage: number): number;
  /** Most bytes of pixels one forward takes (its runs each padded to 16 bytes). */
  readonly maxBindingBytes: number;
  forward(segments: readonly PixelBatch[], lastStage: number, logits: boolean): Promise<ForwardResult>;
}

/** Options of GpuBatchQueue. */
export interface BatchQueueOptions {
  /** Most images per forward (default: what the device allows). */
  maxBatch?: number;
  /** Forwards in flight at once (default 2: one computes while the next uploads and encodes). */
  depth?: number;
}

interface Job {
  pixels: PixelBatch;
  output: ReturnType<typeof checkFidInceptionOutput>;
  rows: FeatureRows;
  /** Images already handed to a forward. */
  taken: number;
  /** Images whose rows are in. */
  done: number;
  failed: boolean;
  resolve(rows: FeatureRows): void;
  reject(e: unknown): void;
}

interface Piece {
  job: Job;
  start: number;
  count: number;
}

/** Counters for health reports and tests. */
export interface QueueStats {
  /** Images waiting for a forward. */
  queuedImages: number;
  /** Images in forwards now running. */
  inFlightImages: number;
  forwards: number;
  images: number;
  /** Most images one forward carried so far. */
  largestForward: number;
}

/** Merges concurrent extraction requests into forwards on one GPU model. */
export class GpuBatchQueue {
  readonly #engine: ForwardEngine;
  readonly #maxBatch: number;
  readonly #depth: number;
  readonly #waiting: Job[] = [];
  #inFlight = 0;
  #stats: QueueStats = { queuedImages: 0, inFlightImages: 0, forwards: 0, images: 0, largestForward: 0 };

  constructor(engine: ForwardEngine, opts: BatchQueueOptions = {}) {
    this.#engine = engine;
    this.#maxBatch = opts.maxBatch ?? Infinity;
    this.#depth = opts.depth ?? 2;
  }

  /** The rows of one output for every image of the batch, computed in shared forwards. */
  async extract(pixels: PixelBatch, output: string): Promise<FeatureRows> {
    const name = checkFidInceptionOutput(output);
    checkImageBatch(pixels);
    const dim = FID_INCEPTION_DIMS[NETWORK_OUTPUT[name]];
    const rows = { n: pixels.n, dim, data: new Float32Array(pixels.n * dim) };
    if (pixels.n === 0) return rows;
    return await new Promise((resolve, reject) => {
      this.#waiting.push({ pixels, output: name, rows, taken: 0, done: 0, failed: false, resolve, reject });
      this.#stats.queuedImages += pixels.n;
      this.#pump();
    });
  }

  /** Most images one forward takes (for inputs no bigger than the network's own). */
  get maxBatch(): number {
    return Math.min(this.#maxBatch, this.#engine.maxImagesPerForward(0));
  }

  /** A snapshot of the counters. */
  stats(): QueueStats {
    return { ...this.#stats };
  }

  /** Starts forwards while there is room in flight and images waiting. */
  #pump(): void {
    while (this.#inFlight < this.#depth && this.#waiting.length > 0) this.#launch(this.#takeBatch());
  }

  /** The next forward's pieces: FIFO, up to the device batch and MAX_SEGMENTS runs. */
  #takeBatch(): Piece[] {
    const pieces: Piece[] = [];
    let images = 0, bytes = 0, limit = this.#maxBatch;
    while (this.#waiting.length > 0 && pieces.length < MAX_SEGMENTS) {
      const job = this.#waiting[0];
      const perImage = job.pixels.data.byteLength / job.pixels.n;
      // No more images than the device allows for the largest ones, no more pixel bytes than one binding.
      limit = Math.min(limit, Math.max(1, this.#engine.maxImagesPerForward(perImage)));
      const byBytes = Math.floor((this.#engine.maxBindingBytes - bytes - 16) / perImage);
      const room = Math.min(limit - images, pieces.length === 0 ? Math.max(1, byBytes) : byBytes);
      if (room <= 0) break;
      const count = Math.min(room, job.pixels.n - job.taken);
      pieces.push({ job, start: job.taken, count });
      job.taken += count;
      images += count;
      bytes += Math.ceil((count * perImage) / 16) * 16;
      if (job.taken === job.pixels.n) this.#waiting.shift();
    }
    return pieces;
  }

  #launch(pieces: Piece[]): void {
    const images = pieces.reduce((s, p) => s + p.count, 0);
    const outputs = [...new Set(pieces.map((p) => p.job.output))];
    const { lastStage, logits } = forwardNeeds(outputs);
    this.#inFlight++;
    this.#stats.queuedImages -= images;
    this.#stats.inFlightImages += images;
    this.#stats.forwards++;
    this.#stats.largestForward = Math.max(this.#stats.largestForward, images);
    const segments = pieces.map((p) => slicePixels(p.job.pixels, p.start, p.count));
    const settle = () => {
      this.#inFlight--;
      this.#stats.inFlightImages -= images;
      this.#stats.images += images;
    };
    this.#engine.forward(segments, lastStage, logits).then(
      (result) => {
        settle();
        let first = 0;
        for (const { job, start, count } of pieces) {
          if (!job.failed) {
            job.rows.data.set(rowsOf(result, NETWORK_OUTPUT[job.output], first, count), start * job.rows.dim);
            job.done += count;
            if (job.done === job.pixels.n) job.resolve(job.rows);
          }
          first += count;
        }
        this.#pump();
      },
      (e) => {
        settle();
        for (const { job } of pieces) this.#fail(job, e);
        this.#pump();
      },
    );
  }

  /** Fails a request once, dropping its images that have not started. */
  #fail(job: Job, e: unknown): void {
    if (job.failed) return;
    job.failed = true;
    const i = this.#waiting.indexOf(job);
    if (i >= 0) {
      this.#waiting.splice(i, 1);
      this.#stats.queuedImages -= job.pixels.n - job.taken;
    }
    job.reject(e);
  }
}
