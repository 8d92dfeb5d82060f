/**
 * A pool of Deno Workers that extract features off the caller's thread, using every core.
 *
 * Why: tfjs-backend-wasm runs single-threaded under Deno (no WASM threads), so one process uses one core;
 * N workers, each with its own backend and extractor, use N (ENVIRONMENT.md: 2 workers ~2x 1 worker).
 * Callers never block: extract() posts work and returns a promise.
 *
 * A batch is cut into consecutive slices (one per worker, never below the space's or the pool's
 * minImagesPerTask images), the slices
 * queue FIFO and go to whichever worker is idle, and the rows are put back in input order. Size: workers
 * option (the configured FIDSTREAM_WORKERS), else one per core (navigator.hardwareConcurrency). Every worker
 * gets the pool's extraction settings (backend, fid-inception's engine and weights, OpenBLAS) before its first
 * request.
 */
import { InvalidInputError, UnavailableError } from "../../src/errors.ts";
import {
  concatFeatureRows,
  concatImageBatches,
  sliceBounds,
  sliceImageBatch,
} from "../../src/features/batch_slices.ts";
import type { FeatureRows, ImageBatch } from "../../src/features/extractor.ts";
import type { BackendName } from "./extraction_settings.ts";
import type { ExtractionSettings } from "./extraction_settings.ts";
import { extractorSource } from "./registry.ts";
import type { WorkerRequest } from "./worker_protocol.ts";
import { RpcClient } from "../../src/workers/rpc_client.ts";

/** Options of ExtractorPool. */
export interface ExtractorPoolOptions {
  /** Number of workers (default: one per core). */
  workers?: number;
  /** Backend every worker uses (default: the settings', else each worker's auto choice). */
  backend?: BackendName;
  /** How every worker extracts (the configuration's extraction settings). */
  settings?: ExtractionSettings;
  /**
   * A batch is not cut into slices smaller than this (default: the space's registered minimum, else 16:
   * messages cost more than tiny slices save).
   */
  minImagesPerTask?: number;
}

/** The default pool size: one worker per core. */
export function defaultPoolSize(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

interface Task {
  id: number;
  request: Extract<WorkerRequest, { type: "extract" | "decode" }>;
  resolve: (value: FeatureRows | ImageBatch) => void;
  reject: (e: Error) => void;
}

interface Slot {
  rpc: RpcClient<WorkerRequest>;
  busy: Task | null;
}

/** Extraction on a pool of worker threads; close() it when done. */
export class ExtractorPool {
  readonly size: number;
  readonly #settings: ExtractionSettings;
  readonly #minPerTask?: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: ExtractorPoolOptions = {}) {
    this.size = opts.workers ?? defaultPoolSize();
    if (!Number.isInteger(this.size) || this.size < 1) {
      throw new InvalidInputError(
        "bad_worker_count",
        `a pool needs a positive whole number of workers, got ${this.size}`,
      );
    }
    this.#settings = { ...opts.settings, backend: opts.backend ?? opts.settings?.backend };
    this.#minPerTask = opts.minImagesPerTask;
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn(i));
  }

  /** Features of every image (rows in input order), computed on the workers. */
  async extract(space: string, images: ImageBatch, output?: string): Promise<FeatureRows> {
    if (this.#closed) throw new UnavailableError("pool_closed", "the extractor pool was closed");
    const source = extractorSource(space); // unknown spaces fail here, in the caller's thread
    const minPerTask = Math.max(1, this.#minPerTask ?? source.minImagesPerTask ?? 16);
    const parts = Math.max(1, Math.min(this.size, Math.floor(images.n / minPerTask)));
    const bounds = images.n === 0
      ? [[0, 0] as [number, number]]
      : sliceBounds(images.n, Math.ceil(images.n / parts));
    const rows = await Promise.all(bounds.map(([start, end]) => {
      const slice = sliceImageBatch(images, start, end);
      // Copy the slice so only its bytes travel (posting a view would clone the whole buffer).
      const copy = { ...slice, data: slice.data.slice() };
      return this.#submit({ type: "extract", id: this.#nextId++, space, source, output, images: copy });
    }));
    return concatFeatureRows(rows as FeatureRows[]);
  }

  /**
   * PNG/JPEG files decoded on the workers and stacked in order (files checked beforehand from their headers
   * by checkImageFiles: one size, bounded pixels), so the caller's thread does none of the decoding.
   */
  async decodeImages(files: Uint8Array[]): Promise<ImageBatch> {
    if (this.#closed) throw new UnavailableError("pool_closed", "the extractor pool was closed");
    if (files.length === 0) return concatImageBatches([]); // a typed "no images" error
    const bounds = sliceBounds(files.length, Math.ceil(files.length / Math.min(this.size, files.length)));
    const parts = await Promise.all(
      bounds.map(([start, end]) =>
        this.#submit({
          type: "decode",
          id: this.#nextId++,
          files: files.slice(start, end),
          firstIndex: start,
        })
      ),
    );
    return concatImageBatches(parts as ImageBatch[]);
  }

  #submit(request: Task["request"]): Promise<FeatureRows | ImageBatch> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: request.id, request, resolve, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker; queued and running extractions are rejected. */
  close(): Promise<void> {
    this.#closed = true;
    const err = () => new UnavailableError("pool_closed", "the extractor pool was closed");
    for (const t of this.#queue.splice(0)) t.reject(err());
    for (const slot of this.#slots) slot.rpc.close(err());
    return Promise.resolve();
  }

  #spawn(index: number): Slot {
    return {
      busy: null,
      rpc: new RpcClient<WorkerRequest>(new URL("./extract_worker.ts", import.meta.url), {
        name: `fidstream-extractor-${index}`,
        setup: this.#settings,
        // A crashed worker is replaced on its slot's next task; its own task fails.
        crashError: (message) =>
          new UnavailableError("worker_crashed", `extractor worker ${index} failed: ${message}`),
      }),
    };
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.busy) continue;
      const task = this.#queue.shift()!;
      slot.busy = task;
      const { request } = task;
      // Extraction hands its pixel copy over; the files of a decode are copied (they are views of the body).
      const transfer = request.type === "extract" ? [request.images.data.buffer as ArrayBuffer] : [];
      slot.rpc.call<FeatureRows | ImageBatch>(request, { transfer }).then(task.resolve, task.reject).finally(
        () => {
          slot.busy = null;
          if (!this.#closed) this.#dispatch();
        },
      );
    }
  }
}
