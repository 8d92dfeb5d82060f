/**
 * The caller's side of a worker RPC, written once for every worker the service runs (the compute lanes, the VAE
 * runner, the extractor pool, the embedded database): request ids, transfer lists, typed errors rebuilt,
 * progress and events, per-call time limits, and replacing a worker that crashed, timed out or sat idle.
 * The worker is started on the first call, after its setup message.
 */
import { UnavailableError } from "../errors.ts";
import { decodeError } from "./rpc_errors.ts";
import type { RpcCall, RpcMessage } from "./rpc_protocol.ts";

/** How a client runs its worker. */
export interface RpcClientOptions {
  /** Sent to every worker this client starts, before any request (settings: a library path, a backend). */
  setup?: unknown;
  /** Messages the worker sends unasked (notifications). */
  onEvent?: (event: unknown) => void;
  /** The error pending calls get when the worker dies (default: a 503 naming the worker). */
  crashError?: (message: string) => Error;
  /** Stop the worker after this long without calls in flight (started again by the next call). */
  idleMs?: number;
  /** Name of the worker thread (debugging). */
  name?: string;
}

/** Options of one call. */
export interface CallOptions {
  /** Buffers handed to the worker instead of copied (the caller must not use them afterwards). */
  transfer?: Transferable[];
  /** Progress messages of this call. */
  onProgress?: (progress: unknown) => void;
  /**
   * A time limit: past it the call fails with `timeoutError()` and the worker is replaced (it may be stuck in
   * the work), failing its other calls as restarted.
   */
  timeoutMs?: number;
  timeoutError?: () => Error;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (progress: unknown) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** Calls into one worker thread (module `url`); see the module comment. */
export class RpcClient<Req> {
  #worker: Worker | null = null;
  #pending = new Map<number, Pending>();
  #next = 1;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(readonly url: URL, readonly opts: RpcClientOptions = {}) {}

  /** Calls in flight. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends one request; resolves with the worker's value or rejects with its (typed) error. */
  call<T>(request: Req, opts: CallOptions = {}): Promise<T> {
    if (this.#closed) return Promise.reject(new UnavailableError("worker_closed", "the worker was stopped"));
    clearTimeout(this.#idleTimer);
    const worker = this.#worker ??= this.#start();
    return new Promise<T>((resolve, reject) => {
      const id = this.#next++;
      const pending: Pending = {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: opts.onProgress,
      };
      if (opts.timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          this.#settle(id, (p) => p.reject(opts.timeoutError?.() ?? new Error("the worker took too long")));
          if (this.#worker === worker) {
            this.restart(new UnavailableError("worker_restarted", "the worker was restarted; retry"));
          }
        }, opts.timeoutMs);
      }
      this.#pending.set(id, pending);
      worker.postMessage({ id, request } satisfies RpcCall<Req>, opts.transfer ?? []);
    });
  }

  /** Stops the worker now (the next call starts another); its calls in flight fail with `reason`. */
  restart(reason: Error): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.#pending.clear();
  }

  /** Stops the worker for good; calls in flight and later fail. */
  close(reason: Error = new UnavailableError("worker_closed", "the worker was stopped")): void {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.restart(reason);
  }

  #start(): Worker {
    const worker = new Worker(this.url, { type: "module", name: this.opts.name });
    if (this.opts.setup !== undefined) worker.postMessage({ setup: this.opts.setup } satisfies RpcCall<Req>);
    worker.onmessage = (e: MessageEvent<RpcMessage>) => {
      const msg = e.data;
      if ("event" in msg) return this.opts.onEvent?.(msg.event);
      if ("progress" in msg) return this.#pending.get(msg.id)?.onProgress?.(msg.progress);
      this.#settle(msg.id, (p) => "error" in msg ? p.reject(decodeError(msg.error)) : p.resolve(msg.value));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      if (this.#worker !== worker) return;
      this.restart(
        this.opts.crashError?.(e.message) ??
          new UnavailableError(
            "worker_crashed",
            `the ${this.opts.name ?? "worker"} thread failed: ${e.message}`,
          ),
      );
    };
    return worker;
  }

  #settle(id: number, fn: (p: Pending) => void): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    fn(p);
    if (this.#pending.size === 0 && this.opts.idleMs !== undefined && this.#worker) {
      this.#idleTimer = setTimeout(() => {
        if (this.#pending.size === 0) this.restart(new UnavailableError("worker_idle", "the worker stopped"));
      }, this.opts.idleMs);
      Deno.unrefTimer(this.#idleTimer);
    }
  }
}
