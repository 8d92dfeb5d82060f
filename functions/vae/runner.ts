/**
 * Running VAE work (functions/vae/ops.ts) on a Worker thread, one per process, started on first use and
 * stopped after a minute idle. An operation that runs past its time limit (a hostile or huge model) is
 * answered with a 422 and the worker is replaced, so one bad model cannot wedge later requests.
 */
import * as errors from "../../src/errors.ts";
import { FidstreamError, UnavailableError, UnprocessableError } from "../../src/errors.ts";
import { defaultServiceConfig, type Deps } from "../deps.ts";
import type { VaeOp, VaeResults } from "./ops.ts";

/** Runs VAE operations off the request thread. */
export interface VaeRunner {
  /** Runs one operation on the worker; resolves with its result. */
  run<K extends VaeOp["op"]>(req: Extract<VaeOp, { op: K }>): Promise<VaeResults[K]>;
  /** Stops the worker (a later run starts a new one). */
  close(): void;
}

/** Timing of the worker. */
export interface VaeRunnerOptions {
  /** Longest one operation may run (default 120 s; the service passes FIDSTREAM_VAE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Stop the worker after this long without work (default 60 s). */
  idleMs?: number;
}

type Reply = { id: number; value: unknown } | {
  id: number;
  error: { name: string; code?: string; message: string };
};

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

function reviveError(e: { name: string; code?: string; message: string }): Error {
  const cls = (errors as Record<string, unknown>)[e.name];
  if (typeof cls === "function" && e.code !== undefined) {
    return new (cls as new (code: string, message: string) => FidstreamError)(e.code, e.message);
  }
  return new Error(`VAE worker: ${e.name}: ${e.message}`);
}

/** A runner over one lazily started Worker (functions/vae/worker.ts). */
export function workerVaeRunner(opts: VaeRunnerOptions = {}): VaeRunner {
  const timeoutMs = opts.timeoutMs ?? defaultServiceConfig.vaeTimeoutMs;
  const idleMs = opts.idleMs ?? 60_000;
  let worker: Worker | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Map<number, Pending>();
  let next = 1;

  const stop = (reason: Error) => {
    worker?.terminate();
    worker = undefined;
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    pending.clear();
  };

  const settle = (id: number, fn: (p: Pending) => void) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    fn(p);
    if (pending.size === 0) {
      idleTimer = setTimeout(
        () => stop(new UnavailableError("vae_worker_stopped", "the VAE worker stopped")),
        idleMs,
      );
      Deno.unrefTimer(idleTimer);
    }
  };

  const start = (): Worker => {
    const w = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    w.onmessage = (e: MessageEvent<Reply>) => {
      const reply = e.data;
      settle(
        reply.id,
        (p) => ("error" in reply ? p.reject(reviveError(reply.error)) : p.resolve(reply.value)),
      );
    };
    w.onerror = (e) => {
      e.preventDefault();
      stop(
        new UnavailableError(
          "vae_worker_crashed",
          `the VAE worker crashed (${e.message}); retry the request`,
        ),
      );
    };
    return w;
  };

  return {
    run<K extends VaeOp["op"]>(req: Extract<VaeOp, { op: K }>): Promise<VaeResults[K]> {
      clearTimeout(idleTimer);
      worker ??= start();
      const w = worker;
      return new Promise<VaeResults[K]>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => {
          settle(id, (p) =>
            p.reject(
              new UnprocessableError(
                "model_timeout",
                `the ${req.op} step ran past ${timeoutMs} ms and was stopped; use a smaller model or fewer samples`,
              ),
            ));
          // The thread may be stuck in the model: replace it, failing what else was queued there.
          if (worker === w) {
            stop(new UnavailableError("vae_worker_restarted", "the VAE worker restarted; retry"));
          }
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        w.postMessage({ ...req, id });
      });
    },
    close() {
      clearTimeout(idleTimer);
      stop(new UnavailableError("vae_worker_stopped", "the VAE worker stopped"));
    },
  };
}

const runners = new WeakMap<Deps, VaeRunner>();

/** The VAE runner of a service instance (one per Deps, started on first use). */
export function vaeRunnerFor(deps: Deps): VaeRunner {
  let runner = runners.get(deps);
  if (!runner) {
    runner = workerVaeRunner({ timeoutMs: deps.config.vaeTimeoutMs });
    runners.set(deps, runner);
  }
  return runner;
}

/** Stops the service instance's VAE worker, if it has one (tests call this before closing the service). */
export function closeVaeRunner(deps: Deps): void {
  runners.get(deps)?.close();
  runners.delete(deps);
}
